// The overlay URLs for OBS browser sources, each with a copy button.

import { el, getJSON, toast } from "./api.js";

export async function renderOverlayList() {
  const list = document.getElementById("overlay-list");
  let overlays = [];
  let access = null;
  try {
    [overlays, access] = await Promise.all([
      getJSON("/api/v1/overlays").then((d) => d.overlays),
      getJSON("/api/v1/access").catch(() => null),
    ]);
  } catch (err) {
    list.replaceChildren(el("li", {}, `Overlay list unavailable: ${err.message}`));
    return;
  }
  // With an operator token in force, OBS (its own browser, maybe on another machine)
  // brings the token in the URL; the overlay's page then sets the cookie for its fetches.
  const token = access && access.token_required ? access.token : null;
  document.getElementById("overlay-token-note").classList.toggle("hidden", !token);
  list.replaceChildren(...overlays.map((o) => {
    const link = new URL(o.path, location.href);
    if (token) link.searchParams.set("token", token);
    const url = link.href;
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
