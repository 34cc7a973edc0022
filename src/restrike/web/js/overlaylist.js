// The overlay URLs for OBS browser sources, each with a copy button.

import { el, getJSON, toast } from "./api.js";

export async function renderOverlayList() {
  const list = document.getElementById("overlay-list");
  let overlays = [];
  try { overlays = (await getJSON("/api/v1/overlays")).overlays; } catch (err) {
    list.replaceChildren(el("li", {}, `Overlay list unavailable: ${err.message}`));
    return;
  }
  list.replaceChildren(...overlays.map((o) => {
    const url = new URL(o.path, location.href).href;
    return el("li", { "data-overlay": o.id },
      el("div", {}, el("b", {}, o.title), el("div", { class: "muted" }, o.description), el("code", {}, url)),
      el("button", { class: "small", onclick: () => copy(url) }, "Copy URL"),
      el("a", { class: "btn small", href: url, target: "_blank", rel: "noopener" }, "Open"));
  }));
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // http:// pages on another host have no async clipboard: fall back to a selection copy.
    const ta = el("textarea", { style: "position:fixed;left:-9999px" });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    document.execCommand("copy");
    ta.remove();
  }
  toast(`Copied ${text}`, "ok");
}
