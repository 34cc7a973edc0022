"""HTTP routes for flags: ``GET /flags/{ioc}.svg`` and ``GET /api/v1/flags``.

An unknown code still gets a 200 with a placeholder (marked ``X-Flag-Placeholder: 1``)
so an overlay never shows a broken image; only input that is not a code at all
(``../x``, ``%00``...) is a 404. SVG is served with a locked-down CSP because a
custom flag is a file the operator dropped in, and SVG can carry script.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel

from restrike.flags._resolve import FlagRegistry, FlagSource, normalize_code
from restrike.http.errors import responses

__all__ = ["FlagInfo", "FlagList", "make_router"]

SVG_MEDIA_TYPE = "image/svg+xml"
# Vendored and designed flags only change with a reStrike upgrade; custom ones and
# placeholders may change any minute (the operator adds a file), so revalidate those.
_CACHE_STATIC = "public, max-age=86400"
_CACHE_REVALIDATE = "no-cache"
_SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


class FlagInfo(BaseModel):
    code: str
    name: str | None
    kind: str | None  # noc / special / other; None for a code only the custom folder has
    source: str  # custom / shipped / design
    url: str


class FlagList(BaseModel):
    count: int
    flags: list[FlagInfo]


def _etag(svg: bytes) -> str:
    return '"' + hashlib.sha256(svg).hexdigest()[:20] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


def make_router(custom_dir: Path | None) -> APIRouter:
    """Routes serving flags; files in ``custom_dir`` (``<IOC>.svg``) win over shipped ones."""
    registry = FlagRegistry(custom_dir)
    router = APIRouter(tags=["flags"])

    @router.get(
        "/flags/{ioc}.svg",
        response_class=Response,
        responses={200: {"content": {SVG_MEDIA_TYPE: {"schema": {"type": "string"}}},
                         "description": "The flag (or a placeholder for an unknown code)."},
                   304: {"description": "Not modified (If-None-Match has the ETag)."},
                   **responses((404, "Not a flag code at all (`../x`, `%00`)."))},
    )
    def flag_svg(ioc: str, request: Request) -> Response:
        if normalize_code(ioc) is None:
            raise HTTPException(status_code=404, detail="not a flag code")
        asset = registry.resolve(ioc)
        etag = _etag(asset.svg)
        static = asset.source in (FlagSource.SHIPPED, FlagSource.DESIGN)
        headers = {
            "ETag": etag,
            "Cache-Control": _CACHE_STATIC if static else _CACHE_REVALIDATE,
            "X-Flag-Source": asset.source.value,
            "X-Flag-Placeholder": "1" if asset.is_placeholder else "0",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": _SVG_CSP,
        }
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return Response(asset.svg, media_type=SVG_MEDIA_TYPE, headers=headers)

    @router.get("/api/v1/flags", response_model=FlagList)
    def list_flags() -> FlagList:
        custom = registry.custom_codes()
        flags: list[FlagInfo] = []
        for team in registry.teams():
            if team.ioc in custom:
                source = FlagSource.CUSTOM
            else:
                source = FlagSource.SHIPPED if team.iso2 else FlagSource.DESIGN
            flags.append(
                FlagInfo(
                    code=team.ioc,
                    name=team.name,
                    kind=team.kind.value,
                    source=source.value,
                    url=f"/flags/{team.ioc}.svg",
                )
            )
        known = {team.ioc for team in registry.teams()}
        for code in sorted(custom - known):
            flags.append(
                FlagInfo(code=code, name=None, kind=None, source="custom", url=f"/flags/{code}.svg")
            )
        return FlagList(count=len(flags), flags=flags)

    return router
