// The status bar: console link, court feed, each OBS, mpv, the tournament hub, CPU and memory.

import { el, getJSON } from "./api.js";
import { fmtBytes, pick } from "./format.js";

export class StatusBar {
  constructor(client) {
    this.client = client;
    this.lastProc = null;
    this.pollProcess();
    setInterval(() => this.pollProcess(), 5000);
  }

  async pollProcess() {
    const stats = this.client.model.stats || {};
    if (pick(stats, "cpu_percent", "process.cpu_percent") !== undefined) return;
    try {
      const d = await getJSON("/api/v1/diagnostics");
      this.lastProc = d;
      this.client.mark("stats");
    } catch { /* shown as — */ }
  }

  render(m) {
    pill("st-ws", m.connected ? "ok" : "bad", m.connected ? "Console: live" : "Console: reconnecting…");
    const st = m.status || {};
    const stats0 = m.stats || {};
    const feed = { ...(st.feed || {}) };
    if (stats0.last_datagram_at != null && !(feed.last_datagram_at > stats0.last_datagram_at)) {
      feed.last_datagram_at = stats0.last_datagram_at;
    }
    const age = feedAge(feed);
    const rate = pick(feed, "rate", "datagrams_per_second") ?? this.datagramRate(stats0);
    // The station says whether datagrams are due (a running clock ticks every second):
    // live, quiet (connected; no clock runs: stopped, break, review), silent, disconnected.
    const activity = feed.activity ?? ((feed.receiving ?? (age != null && age < 5)) ? "live" : "silent");
    const words = { live: "live", quiet: "connected, quiet", silent: "silent", disconnected: "disconnected" };
    let text = `Feed: ${words[activity] ?? activity}`;
    if (feed.reason && activity !== "live") text += ` (${feed.reason})`;
    if (age != null) text += ` · last ${age < 1 ? "<1" : Math.round(age)} s ago`;
    if (rate != null) text += ` · ${Number(rate).toFixed(1)}/s`;
    pill("st-feed", activity === "live" || activity === "quiet" ? "ok" : "bad", text);
    this.renderObs(st.obs);
    const p = st.player || {};
    const alive = p.alive ?? p.running ?? (p.file !== undefined);
    const ptext = !st.player ? "mpv: no status" : !alive ? "mpv: not running" : p.file ? `mpv: ${p.playing ? "playing" : "paused"} ${basename(p.file)}${p.position != null ? " @ " + Number(p.position).toFixed(1) + " s" : ""}` : "mpv: idle";
    pill("st-player", !st.player ? "" : alive ? "ok" : "bad", ptext);
    this.renderHub((m.stats || {}).hub, (st.health || {}).hub);
    const stats = m.stats || {};
    const diag = this.lastProc || {};
    const cpu = pick(stats, "cpu_percent", "process.cpu_percent") ?? pick(diag, "process.cpu_percent", "cpu_percent", "process.cpu");
    const rss = pick(stats, "rss_bytes", "process.rss_bytes", "rss") ?? pick(diag, "process.rss_bytes", "process.rss", "process.memory_rss", "rss_bytes");
    setText("st-proc", `CPU ${cpu == null ? "—" : Number(cpu).toFixed(0) + " %"} · RAM ${fmtBytes(rss)}`);
    const rateEl = document.getElementById("feed-rate");
    rateEl.textContent = `${m.rate.toFixed(0)} events/s`;
  }

  /** The hub link (when the station sends to a hub): its state and lag, rows and seconds. */
  renderHub(stats, health) {
    const node = document.getElementById("st-hub");
    if (!node) return;
    const hub = { ...(health || {}), ...(stats || {}) };
    node.hidden = !hub.state || hub.state === "off";
    if (node.hidden) return;
    const lag = hub.lag_rows ? ` · lag ${hub.lag_rows} rows, ${Number(hub.lag_seconds || 0).toFixed(1)} s` : " · in step";
    const level = hub.state === "connected" ? (hub.lag_seconds > 5 ? "warn" : "ok") : "bad";
    pill("st-hub", level, `Hub: ${hub.state}${lag}`);
    node.title = (health && health.error) || "";
  }

  /** Datagrams per second from the stats counter, over the last few seconds. */
  datagramRate(stats) {
    const n = stats.datagrams_received;
    if (n == null) return null;
    const now = performance.now();
    const w = (this.rateSamples ||= []);
    if (!w.length || w[w.length - 1][1] !== n || now - w[w.length - 1][0] > 1000) w.push([now, n]);
    while (w.length > 2 && now - w[0][0] > 5000) w.shift();
    if (w.length < 2) return 0;
    const [t0, n0] = w[0];
    return now - t0 > 0 ? ((n - n0) * 1000) / (now - t0) : 0;
  }

  renderObs(obs) {
    const box = document.getElementById("st-obs");
    // status.obs is always the list of connections (the station keeps components'
    // health apart, in status.health).
    const list = Array.isArray(obs) ? obs : [];
    const key = JSON.stringify(list.map((o) => [o.name, o.connected, o.recording, o.streaming, o.replay_buffer, o.scene, o.stream_reconnecting]));
    if (key === this.obsKey) return;
    this.obsKey = key;
    if (!list.length) { box.replaceChildren(el("span", { class: "pill" }, el("span", { class: "dot" }), "OBS: none configured")); return; }
    box.replaceChildren(...list.map((o) => el("span", { class: "pill", "data-obs": o.name },
      el("span", { class: `dot ${o.connected ? "ok" : "bad"}` }),
      `OBS ${o.name}${o.connected ? "" : " offline"}`,
      o.recording ? el("span", { class: "tag on", title: "recording" }, "REC") : null,
      o.streaming ? el("span", { class: `tag on`, title: "streaming" }, o.stream_reconnecting ? "RECONNECTING" : "LIVE") : null,
      o.replay_buffer ? el("span", { class: "tag rb", title: "replay buffer" }, "RB") : null,
      o.scene ? el("span", { class: "muted" }, o.scene) : null)));
  }
}

function feedAge(feed) {
  const age = pick(feed, "last_datagram_age", "age", "last_age_s");
  if (age != null) return Number(age);
  const at = pick(feed, "last_datagram_at", "last_at", "last_received_at");
  if (at == null) return null;
  const t = typeof at === "number" ? at * 1000 : Date.parse(at);
  return Number.isNaN(t) ? null : Math.max(0, (Date.now() - t) / 1000);
}

function basename(p) { return String(p).split(/[\\/]/).pop(); }

export function setText(id, text) {
  const node = document.getElementById(id);
  if (node && node.textContent !== String(text)) node.textContent = text;
}

function pill(id, level, text) {
  const node = document.getElementById(id);
  if (!node) return;
  const key = level + text;
  if (node.dataset.key === key) return;
  node.dataset.key = key;
  node.replaceChildren(el("span", { class: `dot ${level}` }), text);
  node.dataset.level = level;
}
