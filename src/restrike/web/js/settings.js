// Settings: one form built from GET /api/v1/settings, saved with PUT; the protocol
// definition editor; OBS connections. Every refusal is shown next to what caused it.

import { ApiError, el, getJSON, postJSON, putJSON, request, toast } from "./api.js";

const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

export class SettingsView {
  constructor() {
    this.form = document.getElementById("settings-form");
    this.msg = document.getElementById("settings-msg");
    this.items = [];
    this.obs = [];
    this.loaded = false;
    document.getElementById("btn-save-settings").addEventListener("click", () => this.save());
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.save(); });
    const text = document.getElementById("protocol-text");
    text.addEventListener("input", () => this.gutter());
    text.addEventListener("scroll", () => { document.getElementById("protocol-gutter").scrollTop = text.scrollTop; });
    document.getElementById("btn-protocol-check").addEventListener("click", () => this.protocol("check"));
    document.getElementById("btn-protocol-save").addEventListener("click", () => this.protocol("save"));
    document.getElementById("btn-protocol-reset").addEventListener("click", () => this.protocol("reset"));
    document.getElementById("protocol-upload").addEventListener("change", (e) => this.upload(e.target.files[0]));
    document.getElementById("btn-obs-add").addEventListener("click", () => this.addObs());
  }

  async show() {
    if (this.loaded) return;
    this.loaded = true;
    await Promise.all([this.load(), this.loadProtocol()]);
  }

  async load() {
    let data;
    let interfaces = [];
    try {
      [data, interfaces] = await Promise.all([
        getJSON("/api/v1/settings"),
        getJSON("/api/v1/interfaces").catch(() => []),
      ]);
    } catch (err) {
      this.message(`Settings unavailable: ${err.message}`, true);
      return;
    }
    this.items = data.settings || [];
    this.obs = (data.obs || []).map((o) => ({ ...o }));
    document.getElementById("settings-file").textContent = data.file ? `File: ${data.file}` : "";
    if (data.note) this.message(data.note, false);
    const groups = new Map();
    for (const s of this.items) {
      const section = s.section || s.name.split(".")[0];
      if (!groups.has(section)) groups.set(section, []);
      groups.get(section).push(s);
    }
    this.form.replaceChildren();
    for (const [section, items] of groups) {
      const fs = el("fieldset", { "data-section": section }, el("legend", {}, section));
      for (const s of items) fs.append(this.field(s, interfaces));
      this.form.append(fs);
    }
    this.renderObs();
  }

  field(s, interfaces) {
    const id = `set-${s.name.replace(/[^a-z0-9]+/gi, "-")}`;
    let input;
    const value = s.value ?? s.default;
    const isHost = /(^|\.)(udp\.host|host)$/.test(s.name) && s.name.startsWith("udp");
    if (s.type === "bool") {
      input = el("select", { id, name: s.name }, el("option", { value: "true" }, "on"), el("option", { value: "false" }, "off"));
      input.value = value ? "true" : "false";
    } else if (s.type === "table") {
      input = el("input", { id, name: s.name, type: "text", placeholder: "restrike.obs=DEBUG, uvicorn=WARNING" });
      input.value = Object.entries(value || {}).map(([k, v]) => `${k}=${v}`).join(", ");
      input.dataset.table = "1";
    } else if (s.choices && s.choices.length) {
      input = el("select", { id, name: s.name }, ...s.choices.map((c) => el("option", { value: c }, c)));
      input.value = value ?? "";
    } else if (s.kind === "level") {
      input = el("select", { id, name: s.name }, ...LOG_LEVELS.map((c) => el("option", { value: c }, c)));
      input.value = String(value || "INFO").toUpperCase();
    } else if (isHost) {
      const opts = [["0.0.0.0", "all interfaces (0.0.0.0)"], ...interfaces.map((i) => [i.address, `${i.name} — ${i.address}${i.broadcast ? " (broadcast " + i.broadcast + ")" : ""}`])];
      if (value && !opts.some(([a]) => a === value)) opts.push([value, `${value} (configured)`]);
      input = el("select", { id, name: s.name }, ...opts.map(([v, l]) => el("option", { value: v }, l)));
      input.value = value || "0.0.0.0";
    } else if (s.type === "int" || s.type === "float") {
      input = el("input", { id, name: s.name, type: "number", inputmode: "numeric", step: s.type === "float" ? "any" : "1" });
      if (s.min != null) input.min = s.min;
      if (s.max != null) input.max = s.max;
      input.value = value ?? "";
    } else if (s.type === "list" || Array.isArray(value)) {
      input = el("input", { id, name: s.name, type: "text" });
      input.value = Array.isArray(value) ? value.join(", ") : value ?? "";
      input.dataset.list = "1";
    } else {
      input = el("input", { id, name: s.name, type: s.secret ? "password" : "text", autocomplete: "off" });
      input.value = value ?? "";
    }
    input.dataset.type = s.type || "str";
    input.dataset.initial = input.value;
    // Programs, files, folders and the API's access settings: file or CLI only.
    const readOnly = s.http_writable === false;
    if (readOnly) {
      if (input.tagName === "SELECT") input.disabled = true; else input.readOnly = true;
      input.setAttribute("aria-readonly", "true");
    }
    input.addEventListener("input", () => this.clearError(s.name));
    input.addEventListener("change", () => this.clearError(s.name));
    return el("div", { class: "field", "data-name": s.name },
      el("label", { for: id }, s.label || s.name),
      input,
      s.help ? el("div", { class: "help" }, s.help) : null,
      readOnly ? el("div", { class: "readonly" }, "read-only here: set it in the settings file or on the command line")
        : s.live ? el("div", { class: "live" }, "applies at once") : el("div", { class: "restart" }, "applies after a restart"),
      s.overridden ? el("div", { class: "restart" }, `running value ${JSON.stringify(s.running)} comes from the ${s.source}, which wins over the file`)
        : differs(s.running, value) ? el("div", { class: "running" }, `running now: ${JSON.stringify(s.running)}`) : null,
      s.flag ? el("div", { class: "flag" }, `restrike run option: ${s.flag}`) : null,
      el("div", { class: "err", role: "alert", id: `${id}-err` }));
  }

  clearError(name) {
    const f = this.form.querySelector(`.field[data-name="${CSS.escape(name)}"]`);
    if (f) { f.classList.remove("invalid"); f.querySelector(".err").textContent = ""; }
  }

  changed() {
    const values = {};
    for (const input of this.form.querySelectorAll("input, select")) {
      if (input.value === input.dataset.initial) continue;
      const t = input.dataset.type;
      let v = input.value;
      if (t === "bool") v = v === "true";
      else if ((t === "int" || t === "float") && v.trim() !== "" && !Number.isNaN(Number(v))) v = Number(v);
      else if (input.dataset.list) v = v.split(",").map((x) => x.trim()).filter(Boolean);
      else if (input.dataset.table) {
        v = Object.fromEntries(v.split(",").filter((x) => x.trim()).map((x) => {
          const [k, ...rest] = x.split("=");
          return [k.trim(), rest.join("=").trim()];
        }));
      }
      values[input.name] = v;
    }
    return values;
  }

  message(text, bad = false) {
    this.msg.replaceChildren(el("p", { class: bad ? "error-text" : "ok-text" }, text));
  }

  async save(extra = {}) {
    const values = { ...this.changed(), ...extra };
    if (!Object.keys(values).length) { this.message("Nothing changed."); return false; }
    for (const f of this.form.querySelectorAll(".field.invalid")) this.clearError(f.dataset.name);
    try {
      const res = await putJSON("/api/v1/settings", { values });
      for (const input of this.form.querySelectorAll("input, select")) input.dataset.initial = input.value;
      const live = res.applied || [];
      const restart = res.restart || [];
      let text = `Saved ${(res.saved || Object.keys(values)).length} setting(s)`;
      if (res.file) text += ` to ${res.file}`;
      text += ".";
      if (live.length) text += ` Applied now: ${live.join(", ")}.`;
      if (restart.length) text += ` Restart the station to apply: ${restart.join(", ")}.`;
      this.message(text);
      toast("Settings saved", "ok");
      return true;
    } catch (err) {
      this.showErrors(err);
      return false;
    }
  }

  showErrors(err) {
    const d = err instanceof ApiError ? err.detail : null;
    const errors = (d && d.errors) || [];
    for (const e of errors) {
      const f = this.form.querySelector(`.field[data-name="${CSS.escape(e.name)}"]`);
      if (f) { f.classList.add("invalid"); f.querySelector(".err").textContent = e.message; }
    }
    const first = this.form.querySelector(".field.invalid input, .field.invalid select");
    if (first) first.focus();
    this.message(`Not saved — ${err.message}`, true);
  }

  // --- OBS connections (the [[obs]] list) ---
  renderObs() {
    const box = document.getElementById("obs-list");
    if (!this.obs.length) { box.replaceChildren(el("p", { class: "muted" }, "No OBS connection configured.")); return; }
    const last = this.obs.length - 1;
    box.replaceChildren(el("table", { class: "data" }, el("tbody", {}, ...this.obs.map((o, i) => el("tr", { "data-obs": o.name },
      el("td", {}, el("b", {}, o.name)), el("td", {}, o.url), el("td", {}, o.role || "both"),
      el("td", {}, (o.role || "both") === "streaming" ? "" : el("input", {
        class: "angle-name", value: o.angle_name || "", placeholder: o.name, maxlength: "60", style: "width:9em",
        "aria-label": `Camera angle name of ${o.name}`, title: "Camera angle name (multi-angle review); empty: the connection name",
        onchange: (e) => this.renameAngle(i, e.target.value.trim()) })),
      el("td", {}, el("div", { class: "row" },
        el("button", { type: "button", class: "small", "aria-label": `Move ${o.name} up`, disabled: i === 0, onclick: () => this.moveObs(i, -1) }, "↑"),
        el("button", { type: "button", class: "small", "aria-label": `Move ${o.name} down`, disabled: i === last, onclick: () => this.moveObs(i, 1) }, "↓"),
        el("button", { type: "button", class: "small", onclick: () => this.testObs(o) }, "Test"),
        el("button", { type: "button", class: "small", onclick: () => this.removeObs(i) }, "Remove"))))))));
  }

  /** A camera angle's name (empty: the connection's name), applied without a restart. */
  async renameAngle(i, name) {
    const list = this.obs.map((o, j) => {
      if (j !== i) return o;
      const { angle_name: _old, ...rest } = o;
      return name ? { ...rest, angle_name: name } : rest;
    });
    await this.saveObs(list);
  }

  /** The connections' order is the angles' order (the recording OBS stays angle 1). */
  async moveObs(i, step) {
    const j = i + step;
    if (j < 0 || j >= this.obs.length) return;
    const list = this.obs.slice();
    [list[i], list[j]] = [list[j], list[i]];
    await this.saveObs(list);
  }

  async addObs() {
    const name = document.getElementById("obs-new-name").value.trim();
    const url = document.getElementById("obs-new-url").value.trim() || "ws://127.0.0.1:4455";
    const role = document.getElementById("obs-new-role").value;
    const password = document.getElementById("obs-new-password").value;
    const out = document.getElementById("obs-msg");
    const entry = { name, url, role };
    if (password) entry.password = password;
    const list = [...this.obs, entry];
    if (await this.saveObs(list)) {
      for (const id of ["obs-new-name", "obs-new-url", "obs-new-password"]) document.getElementById(id).value = "";
      out.replaceChildren(el("p", { class: "ok-text" }, `Added ${name}.`));
    }
  }

  async removeObs(i) {
    const list = this.obs.filter((_, j) => j !== i);
    await this.saveObs(list);
  }

  async saveObs(list) {
    const out = document.getElementById("obs-msg");
    try {
      const res = await putJSON("/api/v1/settings", { values: { obs: list } });
      this.obs = (res.obs || list).map((o) => ({ ...o }));
      this.renderObs();
      const restart = (res.restart || []).length ? " Restart the station to connect." : "";
      out.replaceChildren(el("p", { class: "ok-text" }, `OBS connections saved.${restart}`));
      return true;
    } catch (err) {
      out.replaceChildren(el("p", { class: "error-text" }, `Not saved: ${err.message}`));
      return false;
    }
  }

  async testObs(o) {
    const out = document.getElementById("obs-msg");
    out.replaceChildren(el("p", { class: "muted" }, `Testing ${o.name}…`));
    try {
      const res = await postJSON("/api/v1/settings/obs/test", { name: o.name, url: o.url, password: o.password ?? null, protocol: o.protocol || "v5" });
      out.replaceChildren(res.ok
        ? el("p", { class: "ok-text" }, `${o.name}: connected to OBS ${res.obs_version || "?"} (websocket ${res.websocket_version || "?"}).`)
        : el("p", { class: "error-text" }, `${o.name}: ${res.detail}`));
    } catch (err) {
      out.replaceChildren(el("p", { class: "error-text" }, `${o.name}: ${err.message}`));
    }
  }

  // --- protocol definition ---
  async loadProtocol() {
    try {
      const p = await getJSON("/api/v1/protocol");
      document.getElementById("protocol-text").value = p.text;
      document.getElementById("protocol-source").textContent =
        `${p.custom ? "Custom file" : "Shipped definition"}: ${p.path || p.source} — ${p.name} ${p.version}, ${p.messages} messages`;
      this.gutter();
    } catch (err) {
      document.getElementById("protocol-msg").replaceChildren(el("p", { class: "error-text" }, err.message));
    }
  }

  gutter(bad = null) {
    const text = document.getElementById("protocol-text").value;
    const n = text.split("\n").length;
    const g = document.getElementById("protocol-gutter");
    g.replaceChildren(...Array.from({ length: n }, (_, i) => {
      const span = el("span", { class: i + 1 === bad ? "bad" : "" }, String(i + 1));
      return [span, "\n"];
    }).flat());
  }

  async protocol(what) {
    const out = document.getElementById("protocol-msg");
    const text = document.getElementById("protocol-text").value;
    try {
      let res;
      if (what === "reset") res = await request("DELETE", "/api/v1/protocol");
      else res = await putJSON(`/api/v1/protocol${what === "check" ? "?check=1" : ""}`, { text });
      this.gutter();
      out.replaceChildren(el("p", { class: "ok-text" }, what === "check"
        ? `Valid: ${res.name} ${res.version}, ${res.messages} messages.`
        : `Saved${res.path ? " to " + res.path : ""}: ${res.name} ${res.version}, ${res.messages} messages.${res.restart ? " Restart the station to use it." : ""}`));
      if (what === "reset") await this.loadProtocol();
    } catch (err) {
      this.protocolError(err);
    }
  }

  protocolError(err) {
    const out = document.getElementById("protocol-msg");
    const d = err instanceof ApiError && err.detail && typeof err.detail === "object" ? err.detail : {};
    const line = d.line;
    this.gutter(line || null);
    out.replaceChildren(el("p", { class: "error-text", "data-line": line || "" },
      line ? `Line ${line}: ${d.message || err.message}` : err.message));
    if (line) {
      const ta = document.getElementById("protocol-text");
      const lines = ta.value.split("\n");
      const start = lines.slice(0, line - 1).reduce((a, l) => a + l.length + 1, 0);
      ta.focus();
      ta.setSelectionRange(start, start + (lines[line - 1] || "").length);
      const lh = parseFloat(getComputedStyle(ta).lineHeight) || 20;
      ta.scrollTop = Math.max(0, (line - 3) * lh);
    }
  }

  async upload(file) {
    if (!file) return;
    try {
      const res = await request("POST", "/api/v1/protocol", await file.arrayBuffer(), { raw: true, headers: { "Content-Type": "text/plain; charset=utf-8", "X-Filename": file.name } });
      document.getElementById("protocol-msg").replaceChildren(el("p", { class: "ok-text" },
        `Uploaded ${file.name}: ${res.name} ${res.version}, ${res.messages} messages.${res.restart ? " Restart the station to use it." : ""}`));
      await this.loadProtocol();
    } catch (err) {
      document.getElementById("protocol-text").value = await file.text();
      this.protocolError(err);
    } finally {
      document.getElementById("protocol-upload").value = "";
    }
  }
}

/** The running value differs from the one shown (null: secret or unknown). */
function differs(running, shown) {
  return running != null && JSON.stringify(running) !== JSON.stringify(shown ?? null);
}
