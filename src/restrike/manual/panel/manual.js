// The manual scoring panel: big buttons that POST /api/v1/manual, an undo, the feed's
// activity, the match's entries and, once the feed is back, what it changed.

const $ = (id) => document.getElementById(id);
const status = $("status");
let feedLive = false;

async function call(method, url, body) {
  const answer = await fetch(url, {
    method, headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(typeof data.detail === "string" ? data.detail : `HTTP ${answer.status}`);
  return data;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  row.append(td);
}

function describe(e) {
  const parts = [e.action, e.side, e.color, e.value, e.seconds, e.clock_action, e.decision];
  return parts.filter((p) => p !== null && p !== undefined).join(" ");
}

function showState(state) {
  if (!state) return;
  for (const [i, side] of ["blue", "red"].entries()) {
    $(`${side}-score`).textContent = state.scores[i];
    $(`${side}-gj`).textContent = state.warnings[i];
    $(`${side}-name`).textContent = state.athletes[i].short_name || "";
  }
  $("round").textContent = state.round ?? "–";
  $("clock-now").textContent = state.clock && state.clock.time ? `${state.clock.time}${state.clock.running ? " ▶" : ""}` : "–";
  $("winner").textContent = state.winner ? state.winner.color : "–";
}

function showManual(body) {
  const feed = body.feed;
  feedLive = feed.live;
  const line = $("feed");
  line.textContent = `Feed: ${feed.activity} (${feed.reason})`;
  line.className = `feed ${feed.activity}`;
  const locked = feedLive && !$("force").checked;
  for (const button of document.querySelectorAll("button")) button.disabled = locked;
  $("undo").disabled = locked || body.undoable === null;
  const rows = $("entries");
  rows.replaceChildren();
  for (const e of body.entries) {
    const row = document.createElement("tr");
    if (e.undone_at) row.className = "undone";
    cell(row, e.id);
    cell(row, new Date(e.at).toLocaleTimeString());
    cell(row, describe(e) + (e.forced ? " (forced)" : ""));
    const code = document.createElement("code");
    code.textContent = e.raw;
    const td = document.createElement("td");
    td.append(code);
    row.append(td);
    rows.append(row);
  }
  const merge = body.merge;
  $("merge-box").hidden = !merge;
  if (merge) {
    const table = $("merge");
    table.replaceChildren();
    for (const d of merge.differences) {
      const row = document.createElement("tr");
      cell(row, d.field);
      cell(row, JSON.stringify(d.manual));
      cell(row, JSON.stringify(d.feed));
      table.append(row);
    }
    if (!merge.differences.length) {
      const row = document.createElement("tr");
      cell(row, "the feed agrees with every manual value");
      table.append(row);
    }
  }
}

async function refresh() {
  try {
    const [manual, state] = await Promise.all([call("GET", "/api/v1/manual"), call("GET", "/api/v1/state")]);
    showManual(manual);
    showState(state);
  } catch (err) {
    status.textContent = err.message;
  }
}

async function enter(entry) {
  status.textContent = "";
  try {
    const answer = await call("POST", "/api/v1/manual", { ...entry, force: $("force").checked });
    showState(answer.state);
  } catch (err) {
    status.textContent = err.message;
  }
  await refresh();
}

for (const side of document.querySelectorAll(".side")) {
  side.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const which = side.dataset.side;
    if (button.dataset.points) enter({ action: "points", side: which, value: Number(button.dataset.points) });
    if (button.dataset.penalty) enter({ action: "penalty", side: which, value: Number(button.dataset.penalty) });
  });
}
for (const button of document.querySelectorAll("[data-round]")) {
  button.addEventListener("click", () => enter({ action: "round", value: Number(button.dataset.round) }));
}
for (const button of document.querySelectorAll("[data-clock]")) {
  button.addEventListener("click", () => enter({ action: "clock", clock_action: button.dataset.clock }));
}
for (const button of document.querySelectorAll("[data-winner]")) {
  button.addEventListener("click", () => enter({
    action: "winner", color: button.dataset.winner, decision: $("decision").value || null }));
}
$("clock").addEventListener("submit", (event) => {
  event.preventDefault();
  const match = /^(\d{1,2}):([0-5]\d)$/.exec($("clock-time").value.trim());
  if (!match) { status.textContent = "the clock is m:ss, e.g. 1:30"; return; }
  enter({ action: "clock", seconds: Number(match[1]) * 60 + Number(match[2]), clock_action: "corr" });
});
$("undo").addEventListener("click", async () => {
  status.textContent = "";
  try {
    const answer = await call("POST", "/api/v1/manual/undo", { force: $("force").checked });
    showState(answer.state);
  } catch (err) {
    status.textContent = err.message;
  }
  await refresh();
});
$("force").addEventListener("change", refresh);

refresh();
setInterval(refresh, 1000);
