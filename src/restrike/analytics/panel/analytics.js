// The Analytics panel: match, athlete, tournament and day pages over
// /api/v1/analytics/..., charts drawn by the vendored uPlot, every table sortable,
// filterable and downloadable (CSV, JSON); the live match follows /ws/live.

const $ = (id) => document.getElementById(id);
const statusLine = $("status");
const TECHNIQUES = ["punch", "body", "head", "technical_body", "technical_head"];
const charts = {}; // uPlot instances by page, destroyed when the page redraws

async function api(path) {
  try {
    const answer = await fetch(path, { headers: { Accept: "application/json" } });
    const body = await answer.json();
    if (!answer.ok) throw new Error(typeof body.detail === "string" ? body.detail : answer.statusText);
    statusLine.textContent = "";
    return body;
  } catch (err) {
    statusLine.textContent = `${path}: ${err.message}`;
    return null;
  }
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return node;
}

const name = (a) => (a ? `${a.long_name} (${a.country || "–"})` : "–");
const num = (v) => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v ?? "–");
const pct = (v) => `${Math.round((v || 0) * 100)} %`;

function figures(items) {
  return el("div", { class: "figures" },
    ...items.map(([label, value]) => el("div", { class: "figure" }, el("b", {}, value), el("span", {}, label))));
}

function download(file, type, text) {
  const link = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: file });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function csv(rows, columns) {
  const cell = (v) => { const s = String(v ?? ""); return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s; };
  return [columns.map((c) => cell(c.label)).join(","),
    ...rows.map((r) => columns.map((c) => cell(c.value(r))).join(","))].join("\n") + "\n";
}

// A table that sorts (click a heading), filters (any cell contains the text) and downloads.
function table(title, file, rows, columns, onRow, { print = true } = {}) {
  const box = el("div", { class: print ? "table" : "table no-print" });
  const filter = el("input", { type: "search", placeholder: "filter", "aria-label": `filter ${title}` });
  const csvButton = el("button", { type: "button" }, "CSV");
  const jsonButton = el("button", { type: "button" }, "JSON");
  box.append(el("h3", {}, title), el("div", { class: "tools" }, filter, csvButton, jsonButton));
  const head = el("tr", {}, ...columns.map((c) => el("th", { scope: "col" }, c.label)));
  const body = el("tbody");
  box.append(el("table", {}, el("thead", {}, head), body));
  let sort = null;
  let shown = rows;
  function draw() {
    const text = filter.value.trim().toLowerCase();
    shown = rows.filter((r) => !text || columns.some((c) => String(c.value(r) ?? "").toLowerCase().includes(text)));
    if (sort) {
      const { column, dir } = sort;
      shown = [...shown].sort((a, b) => {
        const x = column.value(a); const y = column.value(b);
        return (typeof x === "number" && typeof y === "number" ? x - y : String(x ?? "").localeCompare(String(y ?? ""))) * dir;
      });
    }
    body.replaceChildren(...(shown.length ? shown.map((r) => {
      const tr = el("tr", onRow ? { class: "link" } : {}, ...columns.map((c) => el("td", {}, num(c.value(r)))));
      if (onRow) tr.addEventListener("click", () => onRow(r));
      return tr;
    }) : [el("tr", {}, el("td", { colspan: columns.length, class: "empty" }, "nothing"))]));
  }
  head.querySelectorAll("th").forEach((th, i) => th.addEventListener("click", () => {
    const dir = sort && sort.column === columns[i] ? -sort.dir : 1;
    sort = { column: columns[i], dir };
    head.querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
    th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    draw();
  }));
  filter.addEventListener("input", draw);
  csvButton.addEventListener("click", () => download(`${file}.csv`, "text/csv", csv(shown, columns)));
  jsonButton.addEventListener("click", () => download(`${file}.json`, "application/json", JSON.stringify(shown, null, 2)));
  draw();
  return box;
}

const col = (label, value) => ({ label, value: typeof value === "function" ? value : (r) => r[value] });

// A uPlot chart in `box`; `series`: [{label, stroke, values}] over the x values `xs`.
function clearCharts(page) {
  (charts[page] || []).forEach((c) => c.destroy());
  charts[page] = [];
}

function chart(page, title, xs, series, { bars = false, xLabel = "", time = false, print = true } = {}) {
  const box = el("div", { class: print ? "chart" : "chart no-print" }, el("h3", {}, title));
  if (!window.uPlot || !xs.length) {
    box.append(el("p", { class: "empty" }, xs.length ? "charts unavailable" : "no data yet"));
    return box;
  }
  const width = Math.max(320, Math.min(document.body.clientWidth - 40, 900));
  const paths = bars ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined;
  const plot = new uPlot({
    width, height: 220, scales: { x: { time } },
    axes: [{ stroke: "#aaa", grid: { stroke: "#333" }, label: xLabel }, { stroke: "#aaa", grid: { stroke: "#333" } }],
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2,
      fill: bars ? s.stroke + "99" : undefined, paths }))],
  }, [xs, ...series.map((s) => s.values)], box);
  (charts[page] ||= []).push(plot);
  return box;
}

// --- match -------------------------------------------------------------------------

function sideBox(a) {
  const tech = a.techniques;
  return el("div", { class: `side ${a.side}` },
    el("h3", {}, `${a.side.toUpperCase()} · ${name(a.athlete)}`),
    figures([["score", a.score], ["rounds", a.round_scores.join(" / ")], ["gam-jeoms", a.gam_jeoms],
      ["points from gam-jeoms", a.gam_jeom_points], ["hit level mean / max", `${num(a.hit_levels.mean)} / ${a.hit_levels.max}`],
      ["challenges won / made", `${a.challenges.won} / ${a.challenges.made}`],
      ["injuries (s)", `${a.injuries.count} (${a.injuries.seconds})`],
      ["head / body points", `${a.scoring.head_points} / ${a.scoring.body_points}`],
      ["answered within 5 s", `${a.scoring.answered_within_5s} / ${a.scoring.conceded}`],
      ["last 30 s of a round", a.scoring.last_30s],
      ["leading / tied / trailing", `${a.scoring.by_state.leading} / ${a.scoring.by_state.tied} / ${a.scoring.by_state.trailing}`]]),
    table("Techniques", `techniques-${a.side}`, TECHNIQUES.map((t) => ({ technique: t, ...tech[t] })),
      [col("technique", "technique"), col("count", "count"), col("points", "points")]));
}

function showMatch(m) {
  clearCharts("match");
  const [blue, red] = m.athletes;
  const times = m.timeline.map((e) => Date.parse(e.time) / 1000);
  const info = m.match;
  $("match").replaceChildren(
    el("h2", {}, `Match ${info.number ?? info.id} · ${info.phase ?? ""} · ${info.category ?? ""}`),
    el("p", {}, `${info.tournament ?? ""} · ${info.day ?? ""} · ${m.winner ? `winner ${m.winner} (${m.decision ?? "?"})` : "not finished"}`),
    figures([["score", `${blue.score} – ${red.score}`], ["fight time (s)", m.duration.fight_seconds],
      ["wall time (s)", Math.round(m.duration.wall_seconds)], ["intensity (actions/min)", num(m.intensity)],
      ["events", m.events.total], ["round winners", m.round_winners.map((w) => w ?? "–").join(" / ")]]),
    el("div", { class: "sides" }, sideBox(blue), sideBox(red)),
    chart("match", "Running score", times, [
      { label: "blue", stroke: "#4f7dff", values: m.timeline.map((e) => e.score.blue) },
      { label: "red", stroke: "#ff4f4f", values: m.timeline.map((e) => e.score.red) }], { time: true }),
    chart("match", "Hit levels", blue.hit_levels.histogram.map((h) => h.from), [
      { label: "blue", stroke: "#4f7dff", values: blue.hit_levels.histogram.map((h) => h.count) },
      { label: "red", stroke: "#ff4f4f", values: red.hit_levels.histogram.map((h) => h.count) }], { bars: true, xLabel: "level from", print: false }),
    table("Scoring timeline", `timeline-${info.id}`, m.timeline, [col("time", (e) => e.time.slice(11, 19)),
      col("round", "round"), col("clock", "clock"), col("athlete", "athlete"), col("points", "points"),
      col("blue", (e) => e.score.blue), col("red", (e) => e.score.red), col("cause", "cause"), col("technique", "technique")]),
    table("Events by kind", `events-${info.id}`, Object.entries(m.events.by_kind).map(([kind, count]) => ({ kind, count })),
      [col("kind", "kind"), col("count", "count")], null, { print: false }));
}

async function loadMatches() {
  const body = await api("/api/v1/matches?limit=200");
  if (!body) return;
  $("match-id").replaceChildren(...body.matches.map((m) => el("option", { value: m.id },
    `${m.number ?? m.id} · ${m.blue?.long_name ?? "?"} – ${m.red?.long_name ?? "?"} · ${m.day}`)));
  if (body.matches.length) await openMatch(body.matches[0].id);
}

async function openMatch(id) {
  $("match-id").value = String(id);
  const m = await api(`/api/v1/analytics/matches/${id}`);
  if (m) showMatch(m);
}

// --- athletes ------------------------------------------------------------------------

async function searchAthletes() {
  const text = $("athlete-search").value;
  const body = await api(`/api/v1/analytics/athletes?search=${encodeURIComponent(text)}&limit=200`);
  if (!body) return;
  $("athletes").replaceChildren(table("Athletes", "athletes", body.athletes, [col("name", "long_name"),
    col("short", "short_name"), col("country", "country"), col("matches", "matches"), col("wins", "wins"),
    col("win rate", (a) => pct(a.win_rate)), col("points for", "points_for"), col("points against", "points_against")],
  (a) => openAthlete(a.id)));
}

async function openAthlete(id) {
  const a = await api(`/api/v1/analytics/athletes/${id}`);
  if (!a) return;
  clearCharts("athlete");
  const trend = a.trend;
  $("athlete").replaceChildren(
    el("h2", {}, name(a.athlete)),
    figures([["matches", a.matches], ["wins / losses", `${a.wins} / ${a.losses}`], ["win rate", pct(a.win_rate)],
      ["points for / against", `${a.points_for} / ${a.points_against}`], ["points per match", num(a.average_points)],
      ["gam-jeoms", a.gam_jeoms], ["challenge success", pct(a.challenges.success_rate)],
      ["injuries", a.injuries.count], ["head share", pct(a.scoring.head_share)],
      ["answer rate (5 s)", pct(a.scoring.answer_rate)]]),
    chart("athlete", "Points per match", trend.map((_, i) => i + 1), [
      { label: "for", stroke: "#4fd17d", values: trend.map((t) => t.points_for) },
      { label: "against", stroke: "#ff9b4f", values: trend.map((t) => t.points_against) }], { xLabel: "match" }),
    table("Techniques", `athlete-${id}-techniques`, TECHNIQUES.map((t) => ({ technique: t, ...a.techniques[t] })),
      [col("technique", "technique"), col("count", "count"), col("points", "points")]),
    table("Matches (finished)", `athlete-${id}-matches`, trend, [col("day", "day"), col("tournament", "tournament"),
      col("phase", "phase"), col("opponent", (t) => name(t.opponent)), col("won", (t) => (t.won ? "yes" : "no")),
      col("for", "points_for"), col("against", "points_against"), col("decision", "decision"), col("intensity", "intensity")],
    (t) => { showPage("match"); $("match-live").checked = false; openMatch(t.match); }),
    table("Not finished", `athlete-${id}-unfinished`, a.unfinished, [col("match", "match"), col("day", "day"),
      col("phase", "phase"), col("score", (u) => (u.score ? `${u.score.for}-${u.score.against}` : "–"))]));
}

// --- tournament and day ----------------------------------------------------------------

function showGroup(box, title, g, file) {
  clearCharts(box.id);
  box.replaceChildren(
    el("h2", {}, title),
    figures([["matches planned", g.matches_planned], ["completed", g.matches_completed],
      ["completion", pct(g.completion_rate)], ["average fight (s)", num(g.average_fight_seconds)],
      ["average intensity", num(g.average_intensity)], ["events", g.events.total], ["peak hour", g.peak_hour ?? "–"],
      ["challenges won / made", `${g.challenges.won} / ${g.challenges.made}`], ["head share", pct(g.scoring.head_share)]]),
    chart(box.id, "Activity per hour", g.hourly.map((h) => h.hour), [
      { label: "events / 10", stroke: "#4f7dff", values: g.hourly.map((h) => h.events / 10) },
      { label: "points", stroke: "#4fd17d", values: g.hourly.map((h) => h.points) },
      { label: "challenges", stroke: "#ffb84f", values: g.hourly.map((h) => h.challenges) }], { bars: true, xLabel: "local hour" }),
    table("Top athletes", `${file}-athletes`, g.top_athletes, [col("athlete", (r) => name(r.athlete)),
      col("points", "points"), col("wins", "wins"), col("matches", "matches"), col("win rate", (r) => pct(r.win_rate))],
    (r) => { showPage("athlete"); openAthlete(r.athlete.id); }),
    table("Top countries", `${file}-countries`, g.top_countries, [col("country", "country"), col("wins", "wins"),
      col("points", "points"), col("matches", "matches")]),
    table("Decisions", `${file}-decisions`, Object.entries(g.decisions).map(([decision, count]) => ({ decision, count })),
      [col("decision", "decision"), col("count", "count")]),
    table("Per hour", `${file}-hourly`, g.hourly, [col("hour", "hour"), col("events", "events"), col("points", "points"),
      col("challenges", "challenges"), col("won", "challenges_won")]),
    table("Events by kind", `${file}-events`, Object.entries(g.events.by_kind).map(([kind, count]) => ({ kind, count })),
      [col("kind", "kind"), col("count", "count")]));
}

async function loadTournaments() {
  const body = await api("/api/v1/tournaments");
  if (!body) return;
  $("tournament-id").replaceChildren(...body.tournaments.map((t) => el("option", { value: t.id }, t.name)));
  if (body.tournaments.length) await openTournament(body.tournaments[0].id);
  const days = await api("/api/v1/days");
  if (days?.days.length) { $("day-date").value = days.days[0].date; await openDay(days.days[0].date); }
}

async function openTournament(id) {
  const g = await api(`/api/v1/analytics/tournaments/${id}`);
  if (g) showGroup($("tournament"), g.tournament.name, g, `tournament-${id}`);
}

async function openDay(date) {
  const g = await api(`/api/v1/analytics/days/${date}`);
  if (g) showGroup($("day"), `Day ${g.day}`, g, `day-${g.day}`);
}

// --- pages, live ---------------------------------------------------------------------------

function showPage(page) {
  for (const b of document.querySelectorAll("[data-page]")) b.setAttribute("aria-pressed", String(b.dataset.page === page));
  for (const s of document.querySelectorAll(".page")) s.hidden = s.id !== `page-${page}`;
  if (page === "athlete" && !$("athletes").childElementCount) searchAthletes();
}

function follow() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/live`);
  ws.addEventListener("message", (e) => {
    const message = JSON.parse(e.data);
    if (message.type !== "analytics" || !$("match-live").checked) return;
    const id = String(message.analytics.match.id);
    if (![...$("match-id").options].some((o) => o.value === id)) loadMatches();
    $("match-id").value = id;
    showMatch(message.analytics);
  });
  ws.addEventListener("close", () => setTimeout(follow, 2000));
}

for (const b of document.querySelectorAll("[data-page]")) b.addEventListener("click", () => showPage(b.dataset.page));
$("match-id").addEventListener("change", () => { $("match-live").checked = false; openMatch($("match-id").value); });
$("print").addEventListener("click", () => window.print());
let typing = null;
$("athlete-search").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(searchAthletes, 250); });
$("pick-athlete").addEventListener("submit", (e) => { e.preventDefault(); searchAthletes(); });
$("tournament-id").addEventListener("change", () => openTournament($("tournament-id").value));
$("day-date").addEventListener("change", () => { if ($("day-date").value) openDay($("day-date").value); });
loadMatches();
loadTournaments();
follow();
