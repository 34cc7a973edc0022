"""``make_router``: the console page, its static files, the overlays and the console API.

Static files are served by a plain route (not a mounted app) so the station's single
``include_router`` call brings everything. Paths are resolved and kept inside the web
folder; files are sent with ``no-cache`` so an upgraded station is picked up on reload.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, RedirectResponse

from restrike.console.interfaces import ipv4_interfaces
from restrike.console.protocol_api import ProtocolFiles, make_protocol_router
from restrike.console.settings_api import SettingsService, make_settings_router
from restrike.http.errors import responses
from restrike.kernel.gates import OVERLAYS as OVERLAYS_FEATURE
from restrike.kernel.gates import FeatureGates, Gates

if TYPE_CHECKING:
    from restrike.protocol import Schema

__all__ = ["OVERLAYS", "WEB_ROOT", "make_router", "static_file"]

log = logging.getLogger(__name__)

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"

#: id → (title, path, description): listed in the console with a copy button.
OVERLAYS: tuple[dict[str, str], ...] = (
    {"id": "scoreboard-broadcast", "title": "Scoreboard — broadcast theme",
     "path": "/overlays/scoreboard.html?theme=broadcast",
     "description": "Lower-third bar: flags, names, scores, warnings, round and clock."},
    {"id": "scoreboard-minimal", "title": "Scoreboard — minimal theme",
     "path": "/overlays/scoreboard.html?theme=minimal",
     "description": "Compact corner scoreboard for a busy picture."},
    {"id": "intro", "title": "Athlete introduction",
     "path": "/overlays/intro.html",
     "description": "Both athletes with flags when a match is loaded (or on demand)."},
    {"id": "review", "title": "Video review started / closed",
     "path": "/overlays/review.html",
     "description": "Animated banner while a challenge is reviewed, then the decision."},
    {"id": "winner", "title": "Winner",
     "path": "/overlays/winner.html",
     "description": "The winner with flag, score and decision at the end of a match."},
)

#: What the settings routes (`restrike.console.settings_api`) can answer besides 200.
_SETTINGS_ERRORS = responses(
    (403, "A setting that is file or CLI only, or OBS refused the password (OBS test)."),
    (409, "The settings file cannot be read, or the station runs without one."),
    (422, "A value is refused: `detail.errors` names each setting."),
    (502, "OBS test: the OBS at that address cannot be reached."))
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
          ".html": "text/html", ".svg": "image/svg+xml", ".json": "application/json",
          ".woff2": "font/woff2", ".png": "image/png"}
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def static_file(root: Path, rel: str) -> FileResponse:
    """A file under ``root``; 404 for anything missing or outside it (``..``, absolute)."""
    if not rel or "\x00" in rel:
        raise HTTPException(404, "not found")
    path = (root / rel).resolve()
    try:
        found = path.is_relative_to(root) and path.is_file()
    except OSError:  # a name too long for the file system, a loop of links...
        found = False
    if not found:
        raise HTTPException(404, f"not found: {rel}")
    media = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    return FileResponse(path, media_type=media or "application/octet-stream", headers=_HEADERS)


def make_router(
    *,
    config_file: Path | None = None,
    protocol_file: Path | None = None,
    data_dir: Path | None = None,
    settings: Mapping[str, object] | None = None,
    apply: Callable[[Mapping[str, object]], list[str]] | None = None,
    live: Iterable[str] = (),
    reload_protocol: Callable[[Schema], bool] | None = None,
    web_root: Path | None = None,
    gates: FeatureGates | None = None,
) -> APIRouter:
    """The console's routes.

    ``config_file`` is the TOML file the settings page writes (created if missing);
    ``protocol_file`` the definition in use (None: the shipped one); ``data_dir`` where
    an edited definition is kept; ``settings`` the effective settings (dotted names,
    as the station resolved them); ``apply(changed)`` applies changed settings live
    and returns the names it applied (``live`` lists the names it can apply, for the
    page's labels); ``reload_protocol(schema)`` swaps the parser's
    definition live (returns True if it did); ``gates``: the station's feature gates —
    the overlays answer 403 with the reason while ``overlays`` is refused (the licence),
    and ``GET /api/v1/gates`` tells the pages what is refused and the demo mark.
    """
    gates = gates if gates is not None else Gates()
    named = settings.get("config_file") if settings is not None else None
    if config_file is None and isinstance(named, str | Path) and named:
        config_file = Path(named)
    root = (web_root or WEB_ROOT).resolve()
    overlays_root = root / "overlays"
    service = SettingsService(config_file, effective=settings, apply=apply, live=live,
                              fallback_file=data_dir / "restrike.toml" if data_dir else None)

    def select_protocol(path: Path | None) -> None:
        service.set_protocol_file(path)

    files = ProtocolFiles(protocol_file, data_dir, select=select_protocol, reload=reload_protocol)
    router = APIRouter(tags=["console"])

    @router.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return static_file(root, "index.html")

    @router.get("/ui/{rel:path}", include_in_schema=False)
    def ui_file(rel: str) -> FileResponse:
        return static_file(root, rel)

    @router.get("/overlays", include_in_schema=False)
    def overlays_index() -> RedirectResponse:
        return RedirectResponse("/#/overlays")

    @router.get("/overlays/{rel:path}", include_in_schema=False)
    def overlay_file(rel: str) -> FileResponse:
        if (reason := gates.reason(OVERLAYS_FEATURE)) is not None:
            raise HTTPException(403, reason)
        if rel and "." not in rel.rsplit("/", 1)[-1]:
            rel += ".html"
        return static_file(overlays_root, rel)

    @router.get("/api/v1/overlays")
    def list_overlays() -> dict[str, object]:
        """The overlay pages for OBS browser sources (1920×1080, transparent)."""
        return {"width": 1920, "height": 1080, "overlays": list(OVERLAYS)}

    @router.get("/api/v1/gates")
    def feature_gates() -> dict[str, Any]:
        """The licensed features refused now (``denied``: feature -> reason) and the mark
        the overlays show (``"DEMO"`` in ``restrike demo``, else null)."""
        return gates.as_json()

    @router.get("/api/v1/interfaces")
    def interfaces() -> list[dict[str, object]]:
        """This machine's IPv4 interfaces (name, address, netmask, broadcast, up)."""
        return ipv4_interfaces()

    router.include_router(make_settings_router(service), responses=_SETTINGS_ERRORS)
    router.include_router(make_protocol_router(files))
    return router
