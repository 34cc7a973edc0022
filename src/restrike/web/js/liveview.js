// The live view: scoreboard, banners, event feed, Replay/Close, manual mode (the status
// bar is statusbar.js).

import { el, getJSON, postJSON, toast } from "./api.js";
import { board, describe, roundLabel, sideOf, timeOf } from "./format.js";
import { StatusBar } from "./statusbar.js";

const FEED_MAX = 200;
const FEED_FRAME = 60;

export class LiveView {
  constructor(client) {
    this.client = client;
    this.feed = document.getElementById("feed");
    this.status = new StatusBar(client);
    this.scenes = new Set();
    this.maxId = 0;
    this.bind();
    // The review clock and the feed's "last datagram" age move without messages.
    setInterval(() => this.client.mark("tick"), 250);
    // No polling for the review: every failed step arrives as a "review" message
    // (event review_error) over /ws/live; after a reconnect app.js reloads it.
    this.loadClips();
    this.loadScenes();
    this.loadEvents();
    this.loadReview();
  }

  /** The open (or last) review and the quota, before the first review message arrives. */
  async loadReview(force = false) {
    try {
      const review = await getJSON("/api/v1/review");
      if (review && (force || !this.client.model.review)) { this.client.setReview(review); this.client.mark("review"); }
    } catch { /* no replay workflow on this station */ }
  }

  /** The feed from the store: at start and after a resync (missed batches). */
  async loadEvents() {
    try {
      const data = await getJSON("/api/v1/events?limit=100");
      const events = (Array.isArray(data) ? data : data.events || []).slice().reverse();
      this.feed.replaceChildren();
      this.maxId = 0;
      this.renderFeed(events, this.client.model.state);
    } catch { /* the live batches fill it */ }
  }

  bind() {
    document.getElementById("btn-replay").addEventListener("click", () => this.replay());
    document.getElementById("btn-close").addEventListener("click", () => this.closeReview());
    for (const b of document.querySelectorAll("[data-decision]")) {
      b.addEventListener("click", () => this.closeReview(b.dataset.decision));
    }
    for (const b of document.querySelectorAll("[data-last]")) {
      b.addEventListener("click", () => this.replay(Number(b.dataset.last)));
    }
    document.getElementById("btn-last-n").addEventListener("click", () => {
      const n = Number(document.getElementById("last-n").value);
      if (!(n >= 1 && n <= 120)) { toast("N must be between 1 and 120 seconds", "error"); return; }
      this.replay(n);
    });
    document.getElementById("btn-open-clip").addEventListener("click", () => this.openClip());
    document.getElementById("btn-refresh-clips").addEventListener("click", () => this.loadClips());
    for (const b of document.querySelectorAll("[data-play]")) {
      b.addEventListener("click", () => {
        const body = b.dataset.seconds ? { seconds: Number(b.dataset.seconds), mode: "relative" } : undefined;
        this.player(b.dataset.play, body);
      });
    }
    for (const b of document.querySelectorAll("[data-speed]")) {
      b.addEventListener("click", () => this.player("speed", { value: Number(b.dataset.speed) }));
    }
  }

  async replay(seconds) {
    const btn = document.getElementById("btn-replay");
    btn.disabled = true;
    try {
      const body = seconds ? { seconds } : {};
      const res = await postJSON("/api/v1/replay", body);
      this.takeReview(res);
      toast(seconds ? `Replay of the last ${seconds} s requested` : "Replay requested", "ok");
    } catch (err) {
      toast(`Replay failed: ${err.message}`, "error", 8000);
    } finally {
      setTimeout(() => { btn.disabled = false; }, 400);
    }
  }

  takeReview(res) {
    const review = res && (res.review || ("active" in res ? res : null));
    if (review) { this.client.setReview(review); this.client.mark("review"); }
  }

  async closeReview(decision) {
    try {
      const res = await postJSON("/api/v1/replay/close", decision ? { decision } : {});
      this.takeReview(res);
      toast(decision ? `Review closed: ${decision}` : "Review closed", "ok");
    } catch (err) {
      toast(`Close failed: ${err.message}`, "error", 8000);
    }
  }

  async player(action, body) {
    try {
      await postJSON(`/api/v1/playback/${action}`, body || {});
    } catch (err) {
      toast(`Player: ${err.message}`, "error");
    }
  }

  async loadClips() {
    const select = document.getElementById("clip-select");
    try {
      const data = await getJSON("/api/v1/clips?limit=50");
      const clips = Array.isArray(data) ? data : data.clips || data.items || [];
      select.replaceChildren(el("option", { value: "" }, clips.length ? "Choose a clip" : "No clips yet"));
      for (const c of clips) {
        const label = `${timeOf(c.requested_at)} · match ${c.match ?? "?"} · ${c.requested_by || ""} · ${c.decision || "open"}`;
        select.append(el("option", { value: c.path }, label));
      }
    } catch {
      select.replaceChildren(el("option", { value: "" }, "Clips unavailable"));
    }
  }

  async openClip() {
    const path = document.getElementById("clip-select").value;
    if (!path) { toast("Choose a clip first", "error"); return; }
    try {
      await postJSON("/api/v1/playback/open", { path });
      toast("Clip opened in the player", "ok");
    } catch (err) {
      toast(`Open failed: ${err.message}`, "error", 8000);
    }
  }

  async loadScenes() {
    try {
      const s = await getJSON("/api/v1/settings");
      for (const item of s.settings || []) {
        if (/scene$/.test(item.name) && typeof item.value === "string" && item.value) this.scenes.add(item.value);
      }
    } catch { /* scenes also come from OBS */ }
    try {
      const list = await getJSON("/api/v1/obs");
      for (const o of Array.isArray(list) ? list : []) {
        if (!o.connected) continue;
        const res = await postJSON(`/api/v1/obs/${encodeURIComponent(o.name)}/list_scenes`, {}).catch(() => null);
        for (const sc of (res && res.scenes) || []) this.scenes.add(typeof sc === "string" ? sc : sc.sceneName || sc.name);
      }
    } catch { /* no OBS routes */ }
    this.renderScenes();
  }

  renderScenes() {
    const box = document.getElementById("scene-buttons");
    const st = this.client.model.status || {};
    const obs = Array.isArray(st.obs) ? st.obs : [];
    const names = new Set(this.scenes);
    for (const o of obs) {
      if (o.scene) names.add(o.scene);
      for (const sc of o.scenes || []) names.add(typeof sc === "string" ? sc : sc.sceneName || sc.name);
    }
    const key = [...names].join("|") + "#" + obs.map((o) => `${o.name}:${o.scene}`).join(",");
    if (key === this.sceneKey) return;
    this.sceneKey = key;
    const target = obs.find((o) => /stream/.test(o.role || "")) || obs[0];
    box.replaceChildren();
    if (!names.size) { box.append(el("span", { class: "muted" }, "No scenes known")); return; }
    box.dataset.count = String(names.size);
    for (const name of names) {
      const current = target && target.scene === name;
      box.append(el("button", {
        "aria-pressed": current ? "true" : "false", class: current ? "primary" : "",
        onclick: () => this.scene(target, name),
      }, name));
    }
  }

  async scene(target, name) {
    try {
      // The review workflow knows which OBS streams; without it, ask that OBS directly.
      try {
        await postJSON("/api/v1/replay/scene", { scene: name });
      } catch (err) {
        if (err.status !== 404 || !target) throw err;
        await postJSON(`/api/v1/obs/${encodeURIComponent(target.name)}/switch_scene`, { scene: name });
      }
      toast(`Scene ${name}`, "ok");
    } catch (err) {
      toast(`Scene switch failed: ${err.message}`, "error", 8000);
    }
  }

  render(m, dirty, fresh) {
    // Each part on its own: an unexpected shape in one never freezes the others.
    const part = (fn) => { try { fn(); } catch (err) { console.error("render", err); } };
    if (dirty.has("review-error") && m.reviewError) part(() => toast(`Review problem: ${m.reviewError.text}`, "error", 10000));
    if (dirty.has("state") || dirty.has("review") || dirty.has("tick")) part(() => this.renderBoard(m));
    // Lines written before the first state could not name the athletes: write them again.
    if (this.feedWithoutNames && m.state) { this.feedWithoutNames = false; this.loadEvents(); }
    if (fresh.length) part(() => this.renderFeed(fresh, m.state));
    if (dirty.has("status") || dirty.has("stats") || dirty.has("connection") || dirty.has("tick")) {
      part(() => this.status.render(m));
    }
    if (dirty.has("status")) part(() => this.renderScenes());
  }

  renderBoard(m) {
    const b = board(m.state);
    const review = m.review || b.review;
    setText("sb-match", b.number ? `Match ${b.number}${b.phase ? " · " + b.phase : ""}` : (b.loaded ? "Match loaded" : "No match loaded"));
    setText("sb-category", [b.category, b.division].filter(Boolean).join(" · "));
    setText("sb-round", b.onBreak ? "Break" : roundLabel(b.round));
    const clock = document.getElementById("sb-clock");
    setText("sb-clock", b.clock);
    clock.classList.toggle("running", b.running);
    setText("sb-clock-note", b.clockAction === "stop" ? "clock stopped" : b.clockAction === "stopEnd" ? "period over" : "");
    const quota = review && review.quota;
    b.sides.forEach((s, i) => {
      const root = document.getElementById(`sb-${s.side}`);
      root.style.setProperty("--c-bg", s.bg);
      root.style.setProperty("--c-fg", s.fg);
      const img = root.querySelector("img.flag");
      if (img.getAttribute("src") !== s.flag) { img.src = s.flag; img.alt = s.ioc ? `flag ${s.ioc}` : ""; }
      root.querySelector(".name").textContent = s.longName || s.name;
      root.querySelector(".ioc").textContent = s.ioc;
      root.querySelector(".score").textContent = s.score;
      root.querySelector(".wg").textContent = s.warnings;
      root.querySelector(".hl").textContent = s.hitLevel;
      root.querySelector(".q").textContent = quota ? `Challenges left ${quota[i]}` : "";
    });
    this.renderRounds(b);
    this.renderBanners(b, review);
    this.renderAngles(review);
  }

  /** Multi-angle review: "All" (the grid) and one button per saved angle, missing ones
   *  greyed with their reason; the player shows the chosen angle alone (keys 1-9, 0 in mpv). */
  renderAngles(review) {
    const angles = (review && review.angles) || [];
    const missing = (review && review.missing_angles) || [];
    const key = JSON.stringify([review && review.id, angles.map((a) => a.name), missing]);
    if (key === this.anglesKey) return;
    this.anglesKey = key;
    const row = document.getElementById("angle-buttons");
    row.hidden = angles.length < 2 && !missing.length;
    const pick = (angle, label) => el("button", { onclick: () => this.player("angle", { angle }) }, label);
    row.replaceChildren(el("span", { class: "muted" }, "Angles:"), pick(null, "All"),
      ...angles.map((a, i) => pick(i + 1, `${i + 1} ${a.name}`)),
      ...missing.map((m) => el("button", { disabled: "", title: m.error || "not saved" }, `${m.name} (missing)`)));
  }

  renderRounds(b) {
    const n = Math.max(b.rounds || 3, b.sides[0].rounds.length, b.sides[1].rounds.length);
    const key = JSON.stringify([n, b.sides.map((s) => [s.name, s.rounds, s.score])]);
    if (key === this.roundsKey) return;
    this.roundsKey = key;
    const table = document.getElementById("sb-rounds");
    const head = el("tr", {}, el("th", {}, ""));
    for (let r = 1; r <= n; r += 1) head.append(el("th", { scope: "col" }, r >= 4 ? "GP" : `R${r}`));
    head.append(el("th", { scope: "col" }, "Total"));
    const rows = b.sides.map((s) => {
      const tr = el("tr", {}, el("th", { scope: "row" }, s.name));
      for (let r = 0; r < n; r += 1) tr.append(el("td", {}, s.rounds[r] ?? "–"));
      tr.append(el("td", {}, el("b", {}, s.score)));
      return tr;
    });
    table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
  }

  renderBanners(b, review) {
    const out = [];
    const remaining = this.client.reviewRemaining();
    if (review && review.active) {
      const raw = review.requested_by || "operator";
      const by = raw === "blue" || raw === "red" ? `${b.sides[raw === "blue" ? 0 : 1].longName || raw} (${raw})` : raw;
      out.push(["review", `VIDEO REVIEW — requested by ${by}`,
        remaining == null ? "" : `${Math.ceil(remaining)} s left`]);
      // The analysis plugin's impact in this review's clip: a button moves mpv there.
      const found = this.client.model.analysis;
      if (found && found.clip === review.clip && found.impact != null && found.suggested_start != null) {
        out.push(["impact", `Impact at ${found.impact.toFixed(1)} s`, found.moved ? "the replay jumped there" : "",
          { label: "Go to impact", run: () => this.player("seek", { seconds: found.suggested_start, mode: "absolute" }) }]);
      }
    }
    // "Review closed" stays 10 s after this page saw the review end.
    const active = !!(review && review.active);
    if (this.reviewWasActive && !active) this.closedUntil = performance.now() + 10000;
    this.reviewWasActive = active;
    if (!active && review && review.decision && performance.now() < (this.closedUntil || 0)) {
      const d = typeof review.decision === "object" ? review.decision.decision : review.decision;
      out.push(["challenge", `Review closed: ${d}`, review.decision_ms != null ? `${(review.decision_ms / 1000).toFixed(1)} s` : ""]);
    }
    if (review && review.quota_exhausted && (active || performance.now() < (this.closedUntil || 0))) {
      const who = review.requested_by === "blue" || review.requested_by === "red" ? review.requested_by : "the coach";
      out.push(["quota", `NO CHALLENGE LEFT — ${who} has used the quota (WT Art. 21)`, "recorded · the referee decides"]);
    }
    // A failed step: the open review's error, or any report of the last 15 s.
    const err = this.client.model.reviewError;
    const recent = err && performance.now() - err.at < 15000 ? err.text : null;
    // The quota flag has its own banner; what is left of the text is a failed step.
    const problem = ((active && review.error) || recent || "").replace(/^[^;]*no challenge left[^;]*(; )?/, "");
    if (problem) out.push(["error", `Review problem: ${problem}`, ""]);
    if (b.challenge && b.challenge.status === "requested" && !(review && review.active)) {
      out.push(["challenge", `Challenge by ${b.challenge.by}`, b.challenge.clock ? `at ${b.challenge.clock}` : ""]);
    }
    if (b.injury) {
      const who = sideOf(b.injury.athlete) || "";
      out.push(["injury", `Injury ${who}`.trim(), b.injury.time || ""]);
    }
    if (b.winner && b.winner.name) {
      out.push(["winner", `Winner: ${b.winner.name}`, b.winner.decision || ""]);
    }
    const licence = licenceBanner(this.client.model.license);
    if (licence) out.push(licence);
    // The system monitor's warnings (GET /api/v1/system, live as status.system).
    const system = (this.client.model.status || {}).system;
    for (const text of (system && system.warnings) || []) out.push(["system", `System: ${text}`, ""]);
    const key = JSON.stringify(out);
    if (key === this.bannerKey) return;
    this.bannerKey = key;
    document.getElementById("banners").replaceChildren(...out.map(([kind, text, extra, action]) =>
      el("div", { class: `banner ${kind}`, "data-kind": kind }, el("span", {}, text), extra ? el("span", { class: "extra" }, extra) : null,
        action ? el("button", { type: "button", onclick: action.run }, action.label) : null)));
  }

  renderFeed(fresh, state) {
    if (!state && fresh.length) this.feedWithoutNames = true;
    // Event ids only grow: what the store already gave us is not shown twice.
    const news = fresh.filter((ev) => ev.id == null || !(ev.id <= this.maxId));
    for (const ev of news) if (ev.id != null && !(ev.id <= this.maxId)) this.maxId = ev.id;
    // A frame adds at most FEED_FRAME lines: in a burst nobody reads them, and the feed
    // must never cost more than a sliver of the frame.
    const frag = document.createDocumentFragment();
    const shown = news.slice(-FEED_FRAME);
    for (let i = shown.length - 1; i >= 0; i -= 1) {
      const ev = shown[i];
      const li = document.createElement("li");
      const side = sideOf(ev.athlete);
      li.className = side ? `${side} ${ev.kind}` : ev.kind || "";
      if (ev.raw) li.title = ev.raw;
      const t = document.createElement("span");
      t.className = "t";
      t.textContent = timeOf(ev.received_at);
      const d = document.createElement("span");
      d.textContent = describe(ev, state);
      li.append(t, d);
      frag.append(li);
    }
    this.feed.prepend(frag);
    let extra = this.feed.childElementCount - FEED_MAX;
    while (extra-- > 0) this.feed.lastElementChild.remove();
  }
}

function setText(id, text) {
  const node = document.getElementById(id);
  if (node && node.textContent !== String(text)) node.textContent = text;
}

/** The licence's banner: a trial's last week, a licence not validated for days
 *  (warning), or the licensed features refused (locked, revoked); none otherwise. */
function licenceBanner(lic) {
  if (!lic || !lic.state) return null;
  const days = lic.days_left == null ? "" : `${lic.days_left} day${lic.days_left === 1 ? "" : "s"} left`;
  if (lic.state === "locked" || lic.state === "revoked") {
    return ["license-locked", `LICENCE ${lic.state.toUpperCase()}: replay, recording and overlays are off — ${lic.reason || "see the Licence tab"}`, "scoreboard and archive keep working"];
  }
  if (lic.state === "warning") return ["license", `Licence warning: ${lic.reason || "not validated"}`, days];
  if (lic.state === "trial" && lic.days_left != null && lic.days_left <= 7) return ["license", "Trial licence ending: activate it on the Licence tab", days];
  return null;
}
