// Pure helpers shared by the console and the overlays: no DOM, no globals.

export const SIDES = ["blue", "red"];
export const TECHNIQUES = { 1: "punch", 2: "body", 3: "head", 4: "technical body", 5: "technical head" };
export const TECHNIQUE_POINTS = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5 };
export const DECISIONS = {
  PTF: "final score", PTG: "point gap", GDP: "golden point", SUP: "superiority",
  WDR: "withdrawal", DSQ: "disqualification", PUN: "punitive declaration", RSC: "referee stops contest",
};

/** A CSS colour from what tkStrike sends (name, #hex, rgb(), or a signed ARGB integer). */
export function cssColor(value, fallback) {
  if (value == null || value === "") return fallback;
  const v = String(value).trim();
  if (/^-?\d+$/.test(v)) {
    const n = Number(v) >>> 0;
    return `#${(n & 0xffffff).toString(16).padStart(6, "0")}`;
  }
  if (/^[0-9a-f]{6}$/i.test(v)) return `#${v}`;
  if (/^(#[0-9a-f]{3,8}|rgba?\(.+\)|hsla?\(.+\)|[a-z]+)$/i.test(v)) return v;
  return fallback;
}

export function flagUrl(ioc) {
  const code = String(ioc || "").trim().toUpperCase();
  return /^[A-Z0-9]{2,4}$/.test(code) ? `/flags/${code}.svg` : "/flags/XXX.svg";
}

export function sideOf(athlete) {
  return athlete === 1 ? "blue" : athlete === 2 ? "red" : athlete === 0 ? "referee" : null;
}

export function athleteName(state, athlete) {
  const a = state && state.athletes && state.athletes[athlete - 1];
  if (!a) return sideOf(athlete) || "";
  return a.long_name || a.short_name || sideOf(athlete);
}

/** The scoreboard as plain values, whatever parts of the state are missing. */
export function board(state) {
  const s = state || {};
  const athletes = s.athletes || [];
  const sides = [0, 1].map((i) => {
    const a = athletes[i] || {};
    const side = SIDES[i];
    return {
      side,
      name: a.short_name || a.long_name || (side === "blue" ? "Blue" : "Red"),
      longName: a.long_name || a.short_name || "",
      ioc: (a.country || "").toUpperCase(),
      flag: flagUrl(a.country),
      bg: cssColor(a.background, side === "blue" ? "#1f6fff" : "#e5322d"),
      fg: cssColor(a.foreground, "#ffffff"),
      score: (s.scores || [0, 0])[i] ?? 0,
      warnings: (s.warnings || [0, 0])[i] ?? 0,
      hitLevel: (s.hit_levels || [0, 0])[i] ?? 0,
      rounds: (s.round_scores || [[], []])[i] || [],
    };
  });
  const m = s.match || {};
  const clock = s.clock || {};
  const brk = s.break || null;
  const onBreak = !!(brk && brk.time && (brk.running || brk.action === "start"));
  return {
    loaded: !!s.loaded,
    number: m.number || null,
    phase: m.phase || "",
    category: m.category || "",
    division: m.division || "",
    rounds: m.rounds || Math.max(3, (sides[0].rounds || []).length),
    round: s.round,
    clock: onBreak ? brk.time : clock.time || "-:--",
    running: onBreak ? !!brk.running : !!clock.running,
    onBreak,
    clockAction: clock.action || null,
    sides,
    injury: s.injury && s.injury.shown !== false && s.injury.action !== "hide" ? s.injury : null,
    challenge: s.challenge || null,
    winner: s.winner || null,
    review: s.review || null,
  };
}

export function roundLabel(round) {
  if (round == null) return "Round —";
  return round >= 4 ? "Golden point" : `Round ${round}`;
}

const p2 = (n) => (n < 10 ? "0" : "") + n;

/** Local HH:MM:SS.mmm of an ISO time or epoch seconds (plain arithmetic: it runs per event). */
export function timeOf(iso) {
  if (iso == null || iso === "") return "";
  const d = typeof iso === "number" ? new Date(iso * 1000) : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const ms = d.getMilliseconds();
  return `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}`;
}

/** One line of text for an event of GET /api/v1/events or /ws/live. */
export function describe(ev, state) {
  const a = ev.args || {};
  const who = ev.athlete === 1 || ev.athlete === 2 ? athleteName(state, ev.athlete) : "";
  switch (ev.kind) {
    case "point": return `Point ${who}: ${TECHNIQUES[a.technique] || a.technique}`;
    case "warnings": return `Gam-jeom ${who}: ${a.count}`;
    case "score": return `Score ${who}: ${a.score ?? a.total ?? JSON.stringify(a)}`;
    case "round_score": return `Round ${a.round ?? ev.round ?? ""} score ${who}: ${a.score}`;
    case "clock": return `Clock ${fmtClock(a.time)}${a.action ? " " + a.action : ""}`;
    case "break": return `Break ${fmtClock(a.time)}${a.action ? " " + a.action : ""}`;
    case "round": return `Round ${a.round}`;
    case "injury": return `Injury ${who || "time"} ${fmtClock(a.time)}${a.action ? " " + a.action : ""}`;
    case "challenge": {
      const by = ev.athlete === 0 ? "referee" : who;
      const d = { 1: "accepted", 0: "rejected", "-1": "cancelled" }[a.decision];
      const o = a.outcome == null ? "" : a.outcome === 1 ? ", won" : ", lost";
      return `Challenge by ${by}: ${d || "requested"}${o}`;
    }
    case "hit_level": return `Hit level ${who}: ${a.level}`;
    case "athlete": return `Athlete ${sideOf(ev.athlete)}: ${a.long_name || a.short_name} (${a.country || "?"})`;
    case "match_loaded": return "Match loaded";
    case "match_ready": return "Match ready";
    case "match_config": return `Match ${a.number || ""} ${a.phase || ""} ${a.category || ""}`.trim();
    case "winner": return `Winner: ${a.name || String(a.color || "").toLowerCase()}`;
    case "round_winners": return `Round winners: ${[a.round1, a.round2, a.round3].map((w) => ({ 1: "blue", 2: "red" }[w] || "–")).join(", ")}`;
    case "timeout": return `Time-out ${who} ${fmtClock(a.time)}${a.action ? " " + a.action : ""}`;
    case "referee": return `Referee ${a.name}${a.country ? " (" + a.country + ")" : ""}`;
    case "judge": return `Judge ${a.seat}: ${a.name}${a.country ? " (" + a.country + ")" : ""}`;
    case "video_time": return `Video time ${a.value}`;
    case "hardware_test": return `Hardware test ${{ 0: "closed", 1: "open", 2: "blue body hit", 3: "blue head hit", 4: "red body hit", 5: "red head hit" }[a.state] ?? a.state}`;
    case "hello": return "Scoring software connected";
    case "goodbye": return "Scoring software disconnected";
    case "winner_shown": return `Winner shown: ${a.name || ""} ${a.decision || ""}`.trim();
    case "invalid": return `Invalid: ${ev.error || ev.raw}`;
    case "unknown": return `Unknown: ${ev.raw}`;
    default: return `${ev.kind || ev.code}${ev.raw ? " — " + ev.raw : ""}`;
  }
}

export function fmtClock(v) {
  if (v == null) return "";
  if (typeof v === "string") return v;
  const s = Math.max(0, Math.round(v));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function fmtBytes(n) {
  if (n == null || Number.isNaN(n)) return "—";
  const u = ["B", "KB", "MB", "GB"];
  let i = 0; let v = Number(n);
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i += 1; }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${u[i]}`;
}

/** Read the first present key path among several ("a.b", "c"). */
export function pick(obj, ...paths) {
  for (const p of paths) {
    let cur = obj;
    for (const k of p.split(".")) {
      if (cur == null) break;
      cur = cur[k];
    }
    if (cur !== undefined && cur !== null) return cur;
  }
  return undefined;
}
