// The archive: tournaments → days → matches, search, recordings, clips, and the timeline.

import { el, getJSON, postJSON, toast } from "./api.js";
import { describe, pick, sideOf, timeOf } from "./format.js";

const MARKED = new Set(["point", "warnings", "challenge", "clock", "injury"]);
const KINDS = ["point", "warnings", "challenge", "injury", "clock", "break", "round", "score",
  "round_score", "hit_level", "athlete", "match_loaded", "match_config", "winner", "winner_shown",
  "timeout", "invalid", "unknown"];
const LEAD_IN = 2; // seconds of video shown before the clicked moment

const asList = (data, key) => (Array.isArray(data) ? data : (data && (data[key] || data.items)) || []);
const ts = (v) => (v == null ? NaN : typeof v === "number" ? v * 1000 : Date.parse(v));

export function matchSides(m) {
  const list = m.athletes || [m.blue, m.red].filter(Boolean);
  return [0, 1].map((i) => {
    const a = list[i] || {};
    return {
      name: a.long_name || a.name || a.short_name || pick(m, i ? "red_name" : "blue_name") || "",
      country: (a.country || a.ioc || pick(m, i ? "red_country" : "blue_country") || "").toUpperCase(),
    };
  });
}

export function tournamentOf(m) {
  const t = m.tournament;
  return (t && typeof t === "object" ? t.name : t) || m.tournament_name || "Tournament";
}

export function dayOf(m) {
  const d = m.day;
  const v = (d && typeof d === "object" ? d.date || d.name : d) || m.day_date;
  if (v) return String(v);
  const start = ts(m.started_at || m.start);
  return Number.isNaN(start) ? "Unknown day" : new Date(start).toISOString().slice(0, 10);
}

/** The events worth a marker: points, new gam-jeoms (the count went up), challenges,
 * clock stops (time-outs, not period ends) and injuries (shown or started). */
export function markedEvents(events) {
  const sorted = events.slice().sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const warnings = {};
  const injuryOpen = {};
  let challenge = null;
  const out = [];
  for (const e of sorted) {
    if (!MARKED.has(e.kind)) continue;
    const a = e.args || {};
    if (e.kind === "clock" && a.action !== "stop") continue;
    if (e.kind === "injury") {
      // One marker per injury: where it is first shown or started.
      if (["hide", "reset", "stopEnd"].includes(a.action)) injuryOpen[e.athlete] = false;
      if (!["show", "start"].includes(a.action) || injuryOpen[e.athlete]) continue;
      injuryOpen[e.athlete] = true;
    }
    if (e.kind === "warnings") {
      const before = warnings[e.athlete] ?? 0;
      warnings[e.athlete] = a.count;
      if (!(a.count > before)) continue;
    }
    if (e.kind === "challenge") {
      // One marker per challenge, at the request; the decision joins its details.
      if (a.decision == null) {
        challenge = { ...e, outcomes: [] };
        out.push(challenge);
      } else if (challenge && challenge.athlete === e.athlete) {
        challenge.outcomes.push(e);
      } else {
        out.push(e);
      }
      continue;
    }
    out.push(e);
  }
  return out;
}

function markerText(e, names) {
  let text = `${timeOf(e.received_at)} — ${describe(e, names)}`;
  for (const o of e.outcomes || []) text += `; ${timeOf(o.received_at)} ${describe(o, names).replace(/^Challenge by [^:]+: /, "")}`;
  return text;
}

function covers(r, t) {
  const rs = ts(r.started_at);
  const re = ts(r.ended_at);
  return !Number.isNaN(rs) && t >= rs && (Number.isNaN(re) || t <= re);
}

export class ArchiveView {
  constructor() {
    this.matches = [];
    this.selected = null;
    this.form = document.getElementById("archive-filters");
    const kindSelect = this.form.elements.kind;
    for (const k of KINDS) kindSelect.append(el("option", { value: k }, k.replace("_", " ")));
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.search(); });
    this.form.addEventListener("reset", () => setTimeout(() => this.search(), 0));
    this.tip = document.getElementById("tip");
    this.loaded = false;
  }

  async show() {
    if (!this.loaded) { this.loaded = true; await this.search(); }
  }

  async search() {
    const f = new FormData(this.form);
    const number = String(f.get("number") || "").trim().toLowerCase();
    const athlete = String(f.get("athlete") || "").trim().toLowerCase();
    const country = String(f.get("country") || "").trim().toUpperCase();
    const kind = String(f.get("kind") || "");
    let matches;
    try {
      matches = asList(await getJSON("/api/v1/matches?limit=1000"), "matches");
    } catch (err) {
      document.getElementById("archive-count").textContent = `Matches unavailable: ${err.message}`;
      return;
    }
    let withKind = null;
    if (kind) {
      withKind = new Set();
      try {
        let before = null;
        for (let page = 0; page < 20; page += 1) {
          const q = `/api/v1/events?kind=${encodeURIComponent(kind)}&limit=1000${before ? `&before_id=${before}` : ""}`;
          const data = await getJSON(q);
          for (const e of asList(data, "events")) withKind.add(String(e.match ?? e.match_id));
          before = data && data.next_before_id;
          if (!before) break;
        }
      } catch (err) {
        document.getElementById("archive-count").textContent = `Event search failed: ${err.message}`;
        return;
      }
    }
    this.matches = matches.filter((m) => {
      const sides = matchSides(m);
      if (number && !String(m.number ?? "").toLowerCase().includes(number)) return false;
      if (athlete && !sides.some((s) => s.name.toLowerCase().includes(athlete))) return false;
      if (country && !sides.some((s) => s.country === country)) return false;
      if (withKind && !withKind.has(String(m.id))) return false;
      return true;
    });
    document.getElementById("archive-count").textContent =
      `${this.matches.length} match${this.matches.length === 1 ? "" : "es"}${kind ? ` with ${kind} events` : ""}`;
    this.renderTree();
  }

  renderTree() {
    const tree = new Map();
    for (const m of this.matches) {
      const t = tournamentOf(m);
      const d = dayOf(m);
      if (!tree.has(t)) tree.set(t, new Map());
      const days = tree.get(t);
      if (!days.has(d)) days.set(d, []);
      days.get(d).push(m);
    }
    const root = document.getElementById("archive-tree");
    root.replaceChildren();
    for (const [t, days] of tree) {
      const dayList = el("ul");
      for (const [d, ms] of days) {
        const items = ms.map((m) => {
          const [b, r] = matchSides(m);
          const btn = el("button", {
            class: "match-btn", "data-match": m.id, "aria-pressed": String(this.selected === m.id),
            onclick: () => this.open(m),
          }, el("b", {}, `#${m.number ?? m.id}`),
          el("span", {}, `${b.name || "?"} ${b.country ? `(${b.country})` : ""} vs ${r.name || "?"} ${r.country ? `(${r.country})` : ""}`));
          return el("li", {}, btn);
        });
        dayList.append(el("li", {}, el("details", { open: true }, el("summary", {}, d), el("ul", {}, ...items))));
      }
      root.append(el("li", {}, el("details", { open: true }, el("summary", {}, t), dayList)));
    }
    if (!this.matches.length) root.append(el("li", { class: "muted" }, "No match found"));
  }

  async open(m) {
    this.selected = m.id;
    for (const b of document.querySelectorAll(".match-btn")) b.setAttribute("aria-pressed", String(b.dataset.match === String(m.id)));
    const [b, r] = matchSides(m);
    document.getElementById("match-title").textContent =
      `Match ${m.number ?? m.id}: ${b.name} ${b.country} vs ${r.name} ${r.country}`;
    let detail = m;
    try { detail = await getJSON(`/api/v1/matches/${encodeURIComponent(m.id)}`); } catch (err) { toast(err.message, "error"); }
    const events = asList(detail.events || [], "events");
    const [recordings, clips] = await Promise.all([
      getJSON("/api/v1/recordings").then((d) => asList(d, "recordings")).catch(() => []),
      getJSON("/api/v1/clips?limit=1000").then((d) => asList(d, "clips")).catch(() => []),
    ]);
    // Clips and recordings name their match by id or number; keep what belongs to this one,
    // or whose time overlaps it.
    const start = ts(detail.loaded_at || detail.started_at);
    const end = ts(detail.ended_at);
    const mine = (x) => {
      if (x.day && m.day && String(x.day) !== String(m.day)) return false;
      if (x.match != null) return String(x.match) === String(m.id) || String(x.match) === String(m.number);
      const t0 = ts(x.requested_at ?? x.started_at);
      return !Number.isNaN(t0) && t0 >= start && (Number.isNaN(end) || t0 <= end + 60000);
    };
    this.current = { match: detail, events, recordings: recordings.filter(mine), clips: clips.filter(mine) };
    this.renderAngleChoice();
    this.renderTimeline();
    this.renderFiles();
    if (innerWidth < 900) document.getElementById("archive-detail").scrollIntoView({ block: "start" });
  }

  renderTimeline() {
    const { match, events, recordings } = this.current;
    const line = document.getElementById("timeline");
    line.replaceChildren(el("div", { class: "axis" }));
    const marked = markedEvents(events);
    const markedTimes = marked.map((e) => ts(e.received_at)).filter((t) => !Number.isNaN(t));
    const starts = [ts(match.started_at), ...markedTimes].filter((t) => !Number.isNaN(t));
    const ends = [ts(match.ended_at), ...markedTimes].filter((t) => !Number.isNaN(t));
    const start = starts.length ? Math.min(...starts) : 0;
    const end = ends.length ? Math.max(...ends) : start + 1;
    const span = Math.max(1, end - start);
    const note = document.getElementById("timeline-note");
    note.textContent = marked.length
      ? `${marked.length} marked events. Hover or focus a marker for details; click or press Enter to play that moment${recordings.length ? "" : " (no recording: clips are used)"}.`
      : "No marked events in this match.";
    const [b, r] = matchSides(match);
    const names = { athletes: [{ long_name: b.name }, { long_name: r.name }] };
    document.getElementById("tl-labels").replaceChildren(
      el("span", {}, starts.length ? timeOf(new Date(start).toISOString()) : ""),
      el("span", {}, ends.length ? timeOf(new Date(end).toISOString()) : ""));
    // Three lanes: a marker too close to the previous one in a lane takes the next lane.
    const laneEnd = [-Infinity, -Infinity, -Infinity];
    const width = line.clientWidth || 1000;
    for (const e of marked) {
      const t = ts(e.received_at);
      const x = Math.min(99, Math.max(1, Number.isNaN(t) ? 0 : ((t - start) / span) * 100));
      const px = (x / 100) * width;
      let lane = laneEnd.findIndex((end) => px - end >= 26);
      if (lane < 0) lane = laneEnd.indexOf(Math.min(...laneEnd));
      laneEnd[lane] = px;
      const a = e.args || {};
      const side = sideOf(e.athlete);
      const cls = ["marker", e.kind, e.kind === "point" ? `t${a.technique}` : "", side === "blue" || side === "red" ? side : ""].join(" ");
      const text = markerText(e, names);
      const btn = el("button", { class: cls, style: `left:${x.toFixed(2)}%;top:${6 + lane * 30}px`,
        "aria-label": text, "data-event": e.id, "data-kind": e.kind, "data-lane": lane });
      btn.addEventListener("mouseenter", (ev) => this.showTip(text, ev.clientX, ev.clientY));
      btn.addEventListener("mousemove", (ev) => this.showTip(text, ev.clientX, ev.clientY));
      btn.addEventListener("mouseleave", () => this.hideTip());
      btn.addEventListener("focus", () => { const r = btn.getBoundingClientRect(); this.showTip(text, r.left, r.bottom); });
      btn.addEventListener("blur", () => this.hideTip());
      btn.addEventListener("click", () => this.play(e));
      line.append(btn);
    }
  }

  showTip(text, x, y) {
    this.tip.textContent = text;
    this.tip.classList.remove("hidden");
    const w = this.tip.offsetWidth;
    this.tip.style.left = `${Math.max(4, Math.min(innerWidth - w - 4, x + 12))}px`;
    this.tip.style.top = `${y + 16}px`;
  }

  hideTip() { this.tip.classList.add("hidden"); }

  /** The camera angles of this match's multi-angle clips: a marker plays in the one
   *  chosen (or in every angle together) when a clip covers its moment. */
  renderAngleChoice() {
    const names = [];
    for (const c of this.current.clips) for (const a of c.angles || []) if (!names.includes(a.name)) names.push(a.name);
    const select = document.getElementById("timeline-angle");
    const before = select.value;
    select.replaceChildren(el("option", { value: "" }, "the match recording"),
      el("option", { value: "*" }, "every angle together"),
      ...names.map((n) => el("option", { value: `angle:${n}` }, `angle ${n}`)));
    select.value = [...select.options].some((o) => o.value === before) ? before : "";
    document.getElementById("timeline-angle-row").style.display = names.length < 2 ? "none" : "";
  }

  /** The second of a clip's common time line where an event falls (null: not in it). */
  static inClip(c, e) {
    const link = (c.events || []).find((x) => String(x.id) === String(e.id));
    if (link && link.in_clip != null) return Number(link.in_clip);
    const t = ts(e.received_at);
    const start = ts(c.clip_start);
    const end = ts(c.requested_at);
    if (Number.isNaN(t) || Number.isNaN(start) || t < start || (!Number.isNaN(end) && t > end)) return null;
    return (t - start) / 1000;
  }

  /** An event in the chosen angle: {angles, second} for every angle together (on the
   *  clip's common time line), [path, second] for one angle (its own second: the
   *  common one minus its offset); null when no multi-angle clip covers it. */
  locateAngle(e, choice) {
    for (const c of this.current.clips) {
      const angles = c.angles || [];
      if (angles.length < 2) continue;
      const second = ArchiveView.inClip(c, e);
      if (second == null) continue;
      if (choice === "*") return { angles, second };
      const a = angles.find((x) => `angle:${x.name}` === choice);
      if (a) return [a.path, second - Number(a.offset || 0)];
    }
    return null;
  }

  /** Where to play an event: [path, second] from the match recording, else from a clip. */
  locate(e) {
    const { recordings, clips } = this.current;
    const t = ts(e.received_at);
    for (const c of clips) {
      const link = (c.events || []).find((x) => String(x.id) === String(e.id));
      if (!link) continue;
      if (link.in_recording != null) {
        const rec = recordings.find((r) => (r.output || "recording") === "recording" && covers(r, t));
        if (rec) return [rec.path, Number(link.in_recording)];
      }
      if (link.in_clip != null && c.path) {
        // A multi-angle clip's path is its first angle's file: its own second.
        const first = (c.angles || []).find((a) => a.path === c.path);
        return [c.path, Number(link.in_clip) - Number((first && first.offset) || 0)];
      }
    }
    const rec = recordings.find((r) => (r.output || "recording") === "recording" && covers(r, t))
      || recordings.find((r) => covers(r, t));
    if (rec) return [rec.path, (t - ts(rec.started_at)) / 1000];
    return null;
  }

  async play(e) {
    const choice = document.getElementById("timeline-angle").value;
    const inAngle = choice ? this.locateAngle(e, choice) : null;
    if (inAngle && !Array.isArray(inAngle)) {
      const start = Math.max(0, Math.round((inAngle.second - LEAD_IN) * 10) / 10);
      try {
        await postJSON("/api/v1/playback/open_angles", { angles: inAngle.angles.map((a) => ({ path: a.path, offset: a.offset })), start });
        toast(`Playing every angle from ${start} s`, "ok");
      } catch (err) {
        toast(`Playback failed: ${err.message}`, "error", 8000);
      }
      return;
    }
    if (choice && !inAngle) toast("No multi-angle clip covers this moment: the recording plays it", "ok");
    const where = inAngle || this.locate(e);
    if (!where) { toast("No recording or clip covers this moment", "error"); return; }
    const [path, second] = where;
    const start = Math.max(0, Math.round((second - LEAD_IN) * 10) / 10);
    try {
      await postJSON("/api/v1/playback/open", { path, start });
      toast(`Playing ${path.split(/[\\/]/).pop()} from ${start} s`, "ok");
    } catch (err) {
      toast(`Playback failed: ${err.message}`, "error", 8000);
    }
  }

  renderFiles() {
    const { recordings, clips } = this.current;
    const recBody = document.querySelector("#recordings tbody");
    recBody.replaceChildren(...(recordings.length ? recordings.map((r) => el("tr", {},
      el("td", {}, r.role || r.output || r.obs || ""), el("td", {}, timeOf(r.started_at || r.start)),
      el("td", { class: "path" }, r.path),
      el("td", {}, el("button", { class: "small", onclick: () => this.openFile(r.path, 0) }, "Play")))) :
      [el("tr", {}, el("td", { class: "muted" }, "No recording for this match"))]));
    const clipBody = document.querySelector("#clips tbody");
    clipBody.replaceChildren(...(clips.length ? clips.map((c) => el("tr", {},
      el("td", {}, timeOf(c.requested_at)), el("td", {}, c.requested_by || ""),
      el("td", {}, el("b", {}, typeof c.decision === "object" && c.decision ? c.decision.decision || JSON.stringify(c.decision) : c.decision || "open")),
      el("td", { class: "path" }, c.path || "", ...this.angleLinks(c)),
      el("td", {}, c.path ? el("button", { class: "small", onclick: () => this.openFile(c.path) }, "Play") : ""))) :
      [el("tr", {}, el("td", { class: "muted" }, "No clip for this match"))]));
  }

  /** A multi-angle clip: every angle together, each angle alone (a download link too),
   *  and the angles that are missing. */
  angleLinks(c) {
    const angles = c.angles || [];
    if (angles.length < 2 && !(c.missing_angles || []).length) return [];
    const all = el("button", { class: "small", onclick: () => this.openAngles(angles) }, "All angles");
    const each = angles.map((a) => el("span", {}, " · ",
      el("a", { href: `/api/v1/files?path=${encodeURIComponent(a.path)}`, title: a.path }, a.name), " ",
      el("button", { class: "small", onclick: () => this.openFile(a.path) }, "Play")));
    const gone = (c.missing_angles || []).map((m) => el("span", { class: "muted", title: m.error || "" }, ` · ${m.name} missing`));
    return [el("div", {}, angles.length > 1 ? all : "", ...each, ...gone)];
  }

  async openAngles(angles) {
    try {
      await postJSON("/api/v1/playback/open_angles", { angles: angles.map((a) => ({ path: a.path, offset: a.offset })) });
      toast("Opened every angle in the player", "ok");
    } catch (err) {
      toast(`Playback failed: ${err.message}`, "error", 8000);
    }
  }

  async openFile(path, start) {
    try {
      await postJSON("/api/v1/playback/open", start == null ? { path } : { path, start });
      toast("Opened in the player", "ok");
    } catch (err) {
      toast(`Playback failed: ${err.message}`, "error", 8000);
    }
  }
}
