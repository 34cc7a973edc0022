// The control room: every court from /ws/live, results and analytics from the read API,
// OBS actions on the courts through their stations (POST /api/v1/commands).
import { $, athleteName, getJson, refreshChoices, showMatch, text, wireAnalytics } from "./analytics.js";

/** When the courts were last received (the open reviews' countdowns run from it). */
let receivedAt = performance.now();

function pill(label, ok) {
  return text("span", label, "pill " + (ok ? "ok" : "bad"));
}

function side(state, index, color) {
  const box = text("div", "", "side " + color);
  const who = (state.athletes || [])[index] || {};
  box.append(text("div", (state.scores || [0, 0])[index], "score"));
  box.append(text("div", `${who.long_name || who.short_name || "—"} ${who.country || ""}`, "name"));
  return box;
}

function courtCard(court) {
  const card = text("article", "", "court" + (court.connected ? "" : " offline"));
  card.dataset.court = court.court;
  const title = text("h3", court.court);
  title.append(pill(court.connected ? "connected" : "offline", court.connected));
  card.append(title);
  const state = court.state || {};
  const match = state.match || {};
  card.append(text("div", [match.number, match.category, match.phase].filter(Boolean).join(" · ") || "no match"));
  const board = text("div", "", "board");
  const clock = state.clock || {};
  board.append(side(state, 0, "blue"), text("div", `${clock.time ?? "–:––"}${state.round ? " R" + state.round : ""}`, "clock"), side(state, 1, "red"));
  card.append(board);
  const review = court.review;
  if (review && review.active) {
    const box = text("div", `Review requested by ${review.requested_by || "?"}: `, "review");
    const left = text("span", "", "left");
    if (typeof review.review_clock_remaining === "number") left.dataset.left = review.review_clock_remaining;
    box.append(left);
    card.append(box);
  }
  const health = text("div", "", "health");
  const feed = court.feed || {};
  health.append(pill(`feed ${feed.activity || (feed.receiving ? "receiving" : "silent")}`, !!feed.receiving));
  const obsList = court.obs || [];
  if (!obsList.length) health.append(pill("no OBS", false));
  for (const obs of obsList) {
    const rec = obs.recording ? " ●REC" : " not recording";
    health.append(pill(`OBS ${obs.name || ""}${obs.connected ? rec : " offline"}${obs.streaming ? " ●LIVE" : ""}${obs.scene ? " · " + obs.scene : ""}`, !!obs.connected));
  }
  health.append(pill(`lag ${court.lag_seconds.toFixed(1)} s / ${court.lag_rows} rows`, court.lag_seconds < 2));
  health.append(pill(court.commands ? "commands" : "no commands", court.commands));
  health.append(text("span", `${court.datagrams} datagrams`));
  card.append(health);
  return card;
}

/** Each open review's seconds left, counted down from the last courts received. */
function tickReviews() {
  const gone = (performance.now() - receivedAt) / 1000;
  for (const el of document.querySelectorAll(".review .left")) {
    el.textContent = el.dataset.left === undefined ? "" : `${Math.max(0, Math.ceil(Number(el.dataset.left) - gone))} s left`;
  }
}

function showCourts(body) {
  $("open-warning").hidden = !!body.tokens;
  receivedAt = performance.now();
  $("grid").replaceChildren(...body.courts.map(courtCard));
  tickReviews();
  const select = $("scene-court");
  const names = body.courts.map((c) => c.court);
  if (names.join("\n") !== [...select.options].map((o) => o.value).join("\n")) {
    const chosen = select.value;
    select.replaceChildren(...names.map((n) => { const o = text("option", n); o.value = n; return o; }));
    if (names.includes(chosen)) select.value = chosen;
  }
}

const WORDS = { start_recording: "Start recording", stop_recording: "Stop recording",
  start_streaming: "Start streaming", stop_streaming: "Stop streaming", switch_scene: "Switch scene" };

/** One action's answer: a line per court (done, failed with the error, offline...). */
function showCommand(record) {
  const box = $("command-result");
  if (!record) { box.replaceChildren(); return; }
  box.dataset.id = record.id;
  const scene = record.params.scene ? ` "${record.params.scene}"` : "";
  const head = text("div", `${WORDS[record.action] || record.action}${scene} — ${new Date(record.at * 1000).toLocaleTimeString()}`);
  const list = document.createElement("ul");
  for (const c of record.courts) {
    const obs = (c.connections || []).map((o) => `${o.name} ${o.ok ? "ok" : "failed"}`).join(", ");
    const item = text("li", `${c.court}: ${c.state}${obs ? " (" + obs + ")" : ""}${c.error ? " — " + c.error : ""}`, c.state.replace(" ", "-"));
    item.dataset.court = c.court;
    list.append(item);
  }
  if (!record.courts.length) list.append(text("li", "no court has sent to this hub yet", "offline"));
  box.replaceChildren(head, list);
}

async function command(action, params, courts) {
  const buttons = document.querySelectorAll("#actions button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const answer = await fetch("/api/v1/commands", { method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ action, params, courts }) });
    const body = await answer.json();
    if (!answer.ok) {
      $("command-result").replaceChildren(text("div", `${WORDS[action]}: ${body.detail || answer.status}`, "warning"));
      return;
    }
    showCommand(body);
  } catch (e) {
    $("command-result").replaceChildren(text("div", `${WORDS[action]}: ${e}`, "warning"));
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

/** Answers that came after the request's wait reach the record: show the newest. */
async function refreshCommand() {
  const shown = $("command-result").dataset.id;
  if (!shown) return;
  const { commands } = await getJson("/api/v1/commands");
  showCommand(commands.find((c) => String(c.id) === shown));
}

for (const button of document.querySelectorAll("#actions button[data-action]")) {
  button.addEventListener("click", () => {
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    command(button.dataset.action, {}, null);
  });
}
$("scene-switch").addEventListener("click", () => {
  const scene = $("scene-name").value.trim();
  if (!scene || !$("scene-court").value) return;
  command("switch_scene", { scene }, [$("scene-court").value]);
});

function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/live`);
  ws.onopen = () => { $("link").textContent = "live"; $("link").className = "pill ok"; };
  ws.onmessage = (msg) => {
    const body = JSON.parse(msg.data);
    if (body.type === "courts") showCourts(body);
  };
  ws.onclose = () => {
    $("link").textContent = "reconnecting…"; $("link").className = "pill bad";
    setTimeout(connect, 1000);
  };
}

async function showResults() {
  const { matches } = await getJson("/api/v1/matches?finished=true&limit=100");
  $("results-body").replaceChildren(...matches.map((m) => {
    const row = document.createElement("tr");
    row.title = "the match's figures";
    row.addEventListener("click", () => showMatch(m.id));
    const result = m.result || {};
    const score = result.blue_points != null ? `${result.blue_points}-${result.red_points}` : "";
    for (const cell of [m.court, m.tournament, m.number, m.category, athleteName(m.blue),
      athleteName(m.red), `${m.winner || ""} ${score} ${m.decision || ""}`, m.ended_at]) {
      row.append(text("td", cell));
    }
    return row;
  }));
}

wireAnalytics();
connect();
setInterval(tickReviews, 500);
const refresh = () => Promise.all([showResults(), refreshChoices(), refreshCommand()]).catch((e) => console.warn(e));
refresh();
setInterval(refresh, 5000);
