"""``GET /api/v1/logs/search``: the console's log view, past the live tail (archives too)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BeforeValidator

from restrike.http.params import Label
from restrike.logs import level_number
from restrike.logs.search import search_logs

__all__ = ["make_router"]

Level = Annotated[Literal["debug", "info", "warning", "error", "critical"],
                  BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v)]


def make_router(log_dir: Path) -> APIRouter:
    """Routes over the log folder ``log_dir`` (``<data_dir>/logs``)."""
    router = APIRouter(tags=["station"])

    @router.get("/api/v1/logs/search", summary="Search the log files and monthly archives")
    async def search(
        q: Annotated[Label, Query(description="Text to find in the logger name or message "
                                              "(any case)")],
        level: Annotated[Level, Query(description="Lowest level (any case)")] = "debug",
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, object]:
        """Records newest first: the current log, the rotated files, then the archives."""
        hits, read = await asyncio.to_thread(search_logs, log_dir, q,
                                             level=level_number(level), limit=limit)
        return {"records": [h.as_dict() for h in hits], "count": len(hits),
                "files_read": read}

    return router
