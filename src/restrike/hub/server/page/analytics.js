// The control room's analytics pages: a tournament, a day, an athlete (search), a match
// — every court's figures from the hub's /api/v1/analytics/... (the station's shapes).
export const $ = (id) => document.getElementById(id);

export function text(tag, content, cls) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  el.textContent = content ?? "";
  return el;
}

export async function getJson(path) {
  const answer = await fetch(path);
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(body.detail || `${path}: ${answer.status}`);
  return body;
}

export function athleteName(a) { return a ? `${a.long_name} (${a.country})` : "—"; }

function figures(title, rows) {
  const list = document.createElement("dl");
  for (const [k, v] of rows) list.append(text("dt", k), text("dd", v));
  $("report").replaceChildren(text("h3", title), list);
}

function groupRows(report) {
  return [
    ["Courts", report.courts.join(", ") || "—"],
    ["Matches completed", `${report.matches_completed} of ${report.matches_planned}`],
    ["Average fight", `${report.average_fight_seconds ?? "—"} s`],
    ["Decisions", Object.entries(report.decisions).map(([k, v]) => `${k} ${v}`).join(", ")],
    ["Events", report.events.total],
    ["Top athletes", report.top_athletes.map((a) => `${athleteName(a.athlete)} ${a.points} pts`).join("; ")],
    ["Top countries", report.top_countries.map((c) => `${c.country} ${c.wins} wins`).join("; ")],
  ];
}

async function show(load) {
  try { await load(); } catch (e) { $("report").replaceChildren(text("div", String(e.message || e), "warning")); }
}

export const showTournament = (id) => show(async () => {
  const r = await getJson(`/api/v1/analytics/tournaments/${encodeURIComponent(id)}`);
  figures(`Tournament ${r.tournament.name}`, [["Days", [...new Set(r.days.map((d) => d.date))].join(", ")], ...groupRows(r)]);
});

export const showDay = (day) => show(async () => {
  const r = await getJson(`/api/v1/analytics/days/${day}`);
  figures(`Day ${r.day}`, [["Tournaments", [...new Set(r.days.map((d) => d.tournament))].join(", ") || "—"], ...groupRows(r)]);
});

export const showAthlete = (id) => show(async () => {
  const r = await getJson(`/api/v1/analytics/athletes/${id}`);
  figures(`Athlete ${athleteName(r.athlete)}`, [
    ["Courts", r.courts.join(", ")],
    ["Matches", `${r.matches} (${r.wins} won, ${r.losses} lost)`],
    ["Points", `${r.points_for} for, ${r.points_against} against`],
    ["Matches fought", r.trend.map((m) => `${m.number ?? "?"} ${m.won ? "won" : "lost"} ${m.points_for}-${m.points_against}`).join("; ")],
  ]);
});

export const showMatch = (id) => show(async () => {
  const r = await getJson(`/api/v1/analytics/matches/${id}`);
  const [blue, red] = r.athletes;
  figures(`Match ${r.match.number ?? r.match.id} on ${r.match.court}`, [
    ["Blue", `${athleteName(blue.athlete)} ${blue.score}`],
    ["Red", `${athleteName(red.athlete)} ${red.score}`],
    ["Winner", `${r.winner || "—"} ${r.decision || ""}`],
    ["Rounds", r.round_winners.map((w) => w || "—").join(", ")],
    ["Events", r.events.total],
  ]);
});

async function searchAthletes() {
  const words = $("athlete-search").value.trim();
  const { athletes } = await getJson(`/api/v1/analytics/athletes?search=${encodeURIComponent(words)}&limit=20`);
  $("athletes").replaceChildren(...athletes.map((a) => {
    const item = text("li", `${athleteName(a)}: ${a.matches} matches, ${a.wins} won`);
    item.addEventListener("click", () => showAthlete(a.id));
    return item;
  }));
}

function placeholder(label) {
  const option = text("option", label);
  option.value = "";
  return option;
}

/** The tournament and day choices, from the hub's tournaments and their days. */
export async function refreshChoices() {
  const { tournaments } = await getJson("/api/v1/tournaments");
  const select = $("tournament");
  const chosen = select.value;
  select.replaceChildren(placeholder("tournament…"), ...tournaments.map((t) => {
    const option = text("option", `${t.name} (${t.courts.length} courts, ${t.matches} matches)`);
    option.value = String(t.id);
    return option;
  }));
  select.value = chosen;
  const { matches } = await getJson("/api/v1/matches?limit=1000");
  const days = [...new Set(matches.map((m) => m.day))].sort().reverse();
  const daySelect = $("day");
  const day = daySelect.value;
  daySelect.replaceChildren(placeholder("day…"), ...days.map((d) => { const o = text("option", d); o.value = d; return o; }));
  daySelect.value = day;
}

export function wireAnalytics() {
  $("tournament").addEventListener("change", (e) => { if (e.target.value) showTournament(e.target.value); });
  $("day").addEventListener("change", (e) => { if (e.target.value) showDay(e.target.value); });
  $("athlete-form").addEventListener("submit", (e) => { e.preventDefault(); show(searchAthletes); });
}
