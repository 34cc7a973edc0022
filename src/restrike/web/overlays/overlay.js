// Shared start-up of the overlays: the live client, URL options, OBS browser-source hooks.

import { LiveClient } from "/ui/js/live.js";

export const params = new URLSearchParams(location.search);

/** Start an overlay: `render(model, dirty)` runs at most once per animation frame. */
export function startOverlay(render, { onObsEvent = null } = {}) {
  const client = new LiveClient({ render: (m, dirty) => render(m, dirty), maxEvents: 20 });
  client.start();
  showMark();
  window.restrike = { client };
  // Inside OBS: window.obsstudio exists and DOM events report scene and output changes.
  if (window.obsstudio) {
    document.documentElement.classList.add("in-obs");
    for (const name of ["obsSceneChanged", "obsSourceActiveChanged", "obsSourceVisibleChanged",
      "obsReplaybufferSaved", "obsStreamingStarted", "obsRecordingStarted"]) {
      addEventListener(name, (ev) => { if (onObsEvent) onObsEvent(name, ev.detail, client); client.mark("obs"); });
    }
  }
  // The station may also fire events through obs-browser's emit_event vendor request.
  // "restrike-review" carries the review object ({event: review_started|review_updated|
  // review_closed, active, requested_by, ...}) like the "review" message of /ws/live.
  for (const name of ["restrike-review", "restrike-review-started", "restrike-review-closed",
    "restrike-intro", "restrike-winner"]) {
    addEventListener(name, (ev) => {
      let detail = ev.detail;
      if (typeof detail === "string") { try { detail = JSON.parse(detail); } catch { detail = null; } }
      if (name === "restrike-review" && detail && typeof detail === "object") client.setReview(detail);
      if (onObsEvent) onObsEvent(name, detail, client);
      client.mark("obs");
    });
  }
  return client;
}

/** The station's mark ("DEMO" in `restrike demo`, GET /api/v1/gates) across the page. */
async function showMark() {
  try {
    const answer = await fetch("/api/v1/gates", { headers: { Accept: "application/json" } });
    const { mark } = answer.ok ? await answer.json() : {};
    if (!mark) return;
    const node = document.createElement("div");
    node.className = "station-mark";
    node.textContent = mark;
    document.body.append(node);
  } catch { /* no mark when the station does not answer */ }
}

export function setVars(node, side) {
  node.style.setProperty("--bg", side.bg);
  node.style.setProperty("--fg", side.fg);
}

export function setFlag(img, side) {
  if (img.getAttribute("src") !== side.flag) img.src = side.flag;
  img.alt = side.ioc;
}

export function text(node, value) {
  const v = String(value ?? "");
  if (node.textContent !== v) node.textContent = v;
}
