// Console entry point: hash routing between views, keyboard shortcuts, one live client.

import { el, getJSON, toast } from "./api.js";
import { ArchiveView } from "./archive.js";
import { DiagnosticsView } from "./diagnostics.js";
import { LiveClient } from "./live.js";
import { LiveView } from "./liveview.js";
import { renderOverlayList } from "./overlaylist.js";
import { SettingsView } from "./settings.js";
import { TournamentPanel } from "./tournament.js";

const VIEWS = ["live", "archive", "settings", "diagnostics", "overlays"];
const pluginViews = []; // "plugin-<name>": a running plugin's console panel

// Opened once with ?token=… (the URL `restrike run` prints): the station answered this
// page with its token cookie, so the token leaves the address bar and the history.
const opened = new URL(location.href);
if (opened.searchParams.has("token")) {
  opened.searchParams.delete("token");
  history.replaceState(null, "", opened.pathname + opened.search + opened.hash);
}

let liveView = null;
const client = new LiveClient({
  render: (m, dirty, fresh) => liveView && liveView.render(m, dirty, fresh),
  onResync: () => { if (liveView) { liveView.loadEvents(); liveView.loadReview(true); } },
});
liveView = new LiveView(client);
const archive = new ArchiveView();
const tournament = new TournamentPanel();
const settings = new SettingsView();
const diagnostics = new DiagnosticsView(client);
window.restrike = { client }; // for support and for the UI tests
client.start();

function route() {
  const name = (location.hash.match(/^#\/([\w-]+)/) || [])[1];
  const views = [...VIEWS, ...pluginViews];
  const view = views.includes(name) ? name : "live";
  for (const v of views) {
    document.getElementById(`view-${v}`).classList.toggle("active", v === view);
    const link = document.querySelector(`nav.views a[data-view="${v}"]`);
    if (v === view) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  document.title = `reStrike VTA — ${view}`;
  if (view === "archive") { archive.show(); tournament.show(); }
  if (view === "settings") settings.show();
  if (view === "diagnostics") diagnostics.show(); else diagnostics.hide();
  if (view === "overlays") renderOverlayList();
}
addEventListener("hashchange", route);
route();

// A tab per running plugin with a console panel: its own page (/plugins/<name>/) in a
// frame, so its scripts and styles cannot break the console's.
async function addPluginTabs() {
  let plugins;
  try {
    plugins = (await getJSON("/api/v1/plugins")).plugins;
  } catch {
    return; // a station without the plugin host: no tabs
  }
  const nav = document.querySelector("nav.views");
  const main = document.getElementById("main");
  for (const p of plugins) {
    if (!p.panel) continue;
    const view = `plugin-${p.name}`;
    nav.append(el("a", { href: `#/${view}`, "data-view": view, "data-plugin": p.name }, p.panel.title));
    main.append(el("section", { class: "view", id: `view-${view}`, "aria-label": p.panel.title },
      el("iframe", { class: "plugin-panel", src: p.panel.url, title: p.panel.title })));
    pluginViews.push(view);
  }
  if (pluginViews.length) route();
}
addPluginTabs();

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

addEventListener("keydown", (e) => {
  if (e.altKey && !e.ctrlKey && !e.metaKey && /^[1-5]$/.test(e.key)) {
    location.hash = `#/${VIEWS[Number(e.key) - 1]}`;
    e.preventDefault();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || e.repeat) return;
  const key = e.key.toLowerCase();
  if (key === "r") { e.preventDefault(); liveView.replay(); }
  else if (key === "c") { e.preventDefault(); liveView.closeReview(); }
  else if (key === "m") {
    e.preventDefault();
    if (!location.hash.startsWith("#/live") && location.hash) location.hash = "#/live";
    const d = document.getElementById("manual");
    d.open = !d.open;
    d.querySelector("summary").focus();
  } else if (key === "?") {
    toast("R replay · C close review · M manual mode · Alt+1…5 views · Tab moves, Enter/Space presses", "ok", 8000);
  }
});
