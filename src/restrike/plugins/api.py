"""``make_router(entries)``: the list of plugins and the running plugins' console panels.

``GET /api/v1/plugins`` is what the console reads to add a tab per panel;
``/plugins/<name>/...`` serves the panel's folder (``index.html`` for the folder
itself), only while the plugin runs. Files are kept inside the panel's folder the
way the console's own are (`restrike.console.router.static_file`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import BaseModel

from restrike.console.router import static_file

if TYPE_CHECKING:
    from restrike.plugins.components import PluginEntry

__all__ = ["PluginList", "make_router"]


class PanelRef(BaseModel):
    title: str
    url: str


class PluginRow(BaseModel):
    name: str
    distribution: str | None
    version: str | None
    builtin: bool
    state: Literal["starting", "running", "failed", "disabled"]
    error: str | None
    panel: PanelRef | None


class PluginList(BaseModel):
    plugins: list[PluginRow]


def make_router(entries: Sequence[PluginEntry]) -> APIRouter:
    by_name = {entry.spec.name: entry for entry in entries if entry.spec.problem is None}
    router = APIRouter(tags=["plugins"])

    @router.get("/api/v1/plugins", summary="The plugins found and their state")
    def list_plugins() -> PluginList:
        """Every plugin found (built-in and installed): distribution, version, state
        (``running``, ``failed`` with its ``error``, ``disabled``) and, while it runs,
        its console panel."""
        rows = []
        for entry in entries:
            panel = entry.panel
            spec = entry.spec
            rows.append(PluginRow(
                name=spec.name, distribution=spec.distribution, version=spec.version,
                builtin=spec.builtin, state=entry.state, error=entry.error,
                panel=PanelRef(title=panel.title, url=f"/plugins/{spec.name}/")
                if panel is not None else None))
        return PluginList(plugins=rows)

    def panel_of(name: str) -> PluginEntry:
        entry = by_name.get(name)
        if entry is None or entry.panel is None:
            raise HTTPException(404, f"no running plugin {name!r} with a console panel")
        return entry

    @router.get("/plugins/{name}", include_in_schema=False)
    def panel_root(name: str) -> RedirectResponse:
        panel_of(name)
        return RedirectResponse(f"/plugins/{name}/")

    @router.get("/plugins/{name}/{rel:path}", include_in_schema=False)
    def panel_file(name: str, rel: str) -> FileResponse:
        panel = panel_of(name).panel
        assert panel is not None  # panel_of checked it
        return static_file(panel.path.resolve(), rel or "index.html")

    return router
