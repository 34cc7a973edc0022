// Diagnostics: live log tail (GET /api/v1/logs), log search (GET /api/v1/logs/search: files
// and monthly archives), stats, versions, effective configuration.

import { el, getJSON } from "./api.js";
import { timeOf } from "./format.js";

export class DiagnosticsView {
  constructor(client) {
    this.client = client;
    this.active = false;
    this.lastId = 0;
    this.view = 0;  // bumped when the list is cleared: answers to older requests are dropped
    this.log = document.getElementById("log");
    document.getElementById("log-level").addEventListener("change", () => { this.view += 1; this.lastId = 0; this.log.replaceChildren(); this.pollLogs(); });
    document.getElementById("log-search-form").addEventListener("submit", (e) => { e.preventDefault(); this.search(); });
  }

  /** Search the log files and the monthly archives; an empty search goes back to the live tail. */
  async search() {
    const q = document.getElementById("log-search").value.trim();
    const status = document.getElementById("log-search-status");
    this.view += 1;
    this.lastId = 0;
    this.log.replaceChildren();
    this.searching = Boolean(q);
    if (!q) { status.textContent = ""; this.pollLogs(); return; }
    const level = document.getElementById("log-level").value;
    status.textContent = "searching…";
    let data;
    try {
      data = await getJSON(`/api/v1/logs/search?q=${encodeURIComponent(q)}&level=${level}&limit=500`);
    } catch (err) {
      status.textContent = `Search failed: ${err.message}`;
      return;
    }
    status.textContent = `${data.count} found in ${data.files_read} files (newest first); clear the search for the live log`;
    this.log.replaceChildren(...data.records.map((r) => el("li", { class: r.level, title: r.file },
      `${r.time} ${String(r.level).padEnd(7)} ${r.logger}: ${r.message}`)));
  }

  show() {
    this.active = true;
    this.pollLogs();
    this.pollDiag();
    if (!this.timer) {
      this.timer = setInterval(() => { if (this.active) this.pollLogs(); }, 1000);
      this.diagTimer = setInterval(() => { if (this.active) this.pollDiag(); }, 5000);
    }
  }

  hide() { this.active = false; }

  async pollLogs() {
    if (this.searching) return;  // the search results stay until the search is cleared
    const level = document.getElementById("log-level").value;
    const view = this.view;
    let data;
    try {
      data = await getJSON(`/api/v1/logs?level=${level}&limit=200`);
    } catch (err) {
      if (view === this.view) this.log.replaceChildren(el("li", { class: "ERROR" }, `Log unavailable: ${err.message}`));
      return;
    }
    // A poll sent before the level changed (or a search began) answers for another list.
    if (view !== this.view || this.searching) return;
    const records = Array.isArray(data) ? data : data.records || data.logs || [];
    const fresh = records.filter((r) => r.id == null || r.id > this.lastId).reverse();
    if (!fresh.length) return;
    this.lastId = Math.max(this.lastId, ...fresh.map((r) => r.id || 0));
    const items = fresh.map((r) => el("li", { class: r.level },
      `${r.time || ""} ${String(r.level || "").padEnd(7)} ${r.logger || ""}: ${r.message}`));
    this.log.prepend(...items.reverse());
    while (this.log.childElementCount > 500) this.log.lastElementChild.remove();
    if (document.getElementById("log-follow").checked) this.log.scrollTop = 0;
  }

  async pollDiag() {
    let d;
    try { d = await getJSON("/api/v1/diagnostics"); } catch (err) {
      document.getElementById("diag-raw").textContent = `Diagnostics unavailable: ${err.message}`;
      return;
    }
    const stats = { ...(this.client.model.stats || {}), ...(d.process ? {
      cpu_percent: d.process.cpu_percent, rss_mb: d.process.rss_mb, threads: d.process.threads } : {}),
    uptime_seconds: d.uptime_seconds, live_clients: d.queues && d.queues.live_clients };
    kv("diag-stats", stats);
    const versions = { ...(d.versions || {}) };
    if (versions.protocol && typeof versions.protocol === "object") {
      versions.protocol = `${versions.protocol.name} ${versions.protocol.version} (${versions.protocol.source})`;
    }
    kv("diag-versions", versions);
    document.getElementById("diag-config").textContent = JSON.stringify(d.config ?? {}, null, 2);
    document.getElementById("diag-raw").textContent = JSON.stringify(d, null, 2);
  }
}

function kv(id, obj) {
  const dl = document.getElementById(id);
  const show = (k, v) => {
    if (v !== null && typeof v === "object") return JSON.stringify(v);
    if (k.endsWith("_at") && typeof v === "number") return timeOf(v);
    return String(v ?? "—");
  };
  dl.replaceChildren(...Object.entries(obj).filter(([, v]) => v !== undefined)
    .flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, show(k, v))]));
}
