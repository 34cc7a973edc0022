"""REST routes of the station: state, events, matches, stats, export, settings of the day.

Reads go through the store's read-only `Reader`s, one per worker thread, off the
event loop. ``GET /api/v1/state`` is served from the cached JSON bytes on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Body, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from restrike import __version__

if TYPE_CHECKING:
    from restrike.station import Station

__all__ = ["make_router"]

T = TypeVar("T")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
JSON = "application/json"


class TournamentIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Tournament name")


class DayIn(BaseModel):
    day: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="Tournament day YYYY-MM-DD")


def _check_day(value: str, name: str = "day") -> str:
    if not _DAY.match(value):
        raise HTTPException(422, f"{name}: must be a date YYYY-MM-DD, not {value!r}")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"{name}: {value!r} is not a calendar date") from None
    return value


def _open_store(station: Station) -> Any:
    """The station's open store, or 503: not started yet, failed to open, or closed."""
    component = station.store
    store = getattr(component, "store", None)
    if store is None or getattr(component, "closed", False):
        raise HTTPException(503, "the store is not open (the station is starting, stopping "
                                 "or could not open its database)")
    return store


async def _write(station: Station, method: str, *args: Any) -> Any:
    """Call a store setter off the loop: no open store 503, a refused value 422."""
    store = _open_store(station)
    try:
        return await asyncio.to_thread(getattr(store, method), *args)
    except ValueError as err:
        raise HTTPException(422, str(err)) from err


class _Readers:
    """One store `Reader` per worker thread (SQLite connections stay in their thread)."""

    def __init__(self, station: Station) -> None:
        self.station = station
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def get(self) -> Any:
        reader = getattr(self._local, "reader", None)
        if reader is None:
            reader = _open_store(self.station).reader()
            self._local.reader = reader
            with self._lock:
                self._all.append(reader)
        return reader

    def close(self) -> None:
        with self._lock:
            readers, self._all = self._all, []
        for reader in readers:
            close = getattr(reader, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()


def make_router(station: Station) -> APIRouter:
    router = APIRouter()
    readers = _Readers(station)

    async def read(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        def call() -> T:
            try:
                return fn(readers.get(), *args, **kwargs)
            except ValueError as err:
                raise HTTPException(422, str(err)) from err

        return await asyncio.to_thread(call)

    @router.get("/api/health", tags=["station"], summary="Liveness and component health")
    async def health() -> Response:
        body = station.health()
        body["version"] = __version__
        return Response(_json(body), status_code=200 if body["ok"] else 503, media_type=JSON)

    @router.get("/api/v1/state", tags=["live"], summary="The live scoreboard (state JSON)")
    async def state() -> Response:
        return Response(station.live.json_bytes(), media_type=JSON)

    @router.get("/api/v1/events", tags=["store"], summary="Stored events, newest first")
    async def events(
        match: Annotated[int | None, Query(ge=1, description="Match id")] = None,
        kind: Annotated[str | None, Query(min_length=1, max_length=40,
                                          description="Event kind (e.g. point, invalid)")] = None,
        since: Annotated[str | None, Query(description="ISO 8601 date-time (UTC if no "
                                                       "offset)")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        before_id: Annotated[int | None, Query(ge=1, description="Page: ids below")] = None,
    ) -> dict[str, Any]:
        rows = await read(lambda r: r.events(match=match, kind=kind, since=since, limit=limit,
                                             before_id=before_id))
        rows = list(rows)
        return {"events": rows, "count": len(rows),
                "next_before_id": rows[-1]["id"] if len(rows) == limit else None}

    @router.get("/api/v1/matches", tags=["store"], summary="Matches, newest first")
    async def matches(
        day: Annotated[str | None, Query(description="YYYY-MM-DD")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        if day is not None:
            _check_day(day)
        rows = list(await read(lambda r: r.matches(day=day, limit=limit)))
        return {"matches": rows, "count": len(rows)}

    @router.get("/api/v1/matches/{match_id}", tags=["store"], summary="One match with events")
    async def match(match_id: int) -> dict[str, Any]:
        found = await read(lambda r: r.match(match_id))
        if found is None:
            raise HTTPException(404, f"no match with id {match_id}")
        return dict(found)

    @router.get("/api/v1/days", tags=["store"], summary="Tournament days")
    async def days() -> dict[str, Any]:
        rows = list(await read(lambda r: r.days()))
        return {"days": rows}

    @router.get("/api/v1/tournaments", tags=["store"], summary="Tournaments")
    async def tournaments() -> dict[str, Any]:
        rows = list(await read(lambda r: r.tournaments()))
        return {"tournaments": rows}

    @router.get("/api/v1/stats", tags=["live"], summary="Intake and storage counters")
    async def stats() -> dict[str, Any]:
        return await asyncio.to_thread(station.stats)

    @router.get("/api/v1/export", tags=["store"],
                summary="A day's datagrams as capture JSON Lines (restrike decode input)",
                response_class=StreamingResponse)
    async def export(day: Annotated[str, Query(description="YYYY-MM-DD")]) -> StreamingResponse:
        _check_day(day)
        store = _open_store(station)

        def lines() -> Iterator[bytes]:
            with store.reader() as reader:
                for line in reader.export_capture(day):
                    yield (line if line.endswith("\n") else line + "\n").encode("utf-8")

        return StreamingResponse(
            lines(), media_type="application/x-ndjson",
            headers={"Content-Disposition": f'attachment; filename="capture-{day}.jsonl"'})

    @router.post("/api/v1/tournament", tags=["store"], summary="Set the current tournament")
    async def set_tournament(body: Annotated[TournamentIn, Body()]) -> dict[str, Any]:
        result = await _write(station, "set_tournament", body.name.strip())
        return {"tournament": body.name.strip(), "result": _plain(result)}

    @router.post("/api/v1/day", tags=["store"], summary="Set the current tournament day")
    async def set_day(body: Annotated[DayIn, Body()]) -> dict[str, Any]:
        _check_day(body.day)
        result = await _write(station, "set_day", body.day)
        return {"day": body.day, "result": _plain(result)}

    @router.post("/api/v1/resync", tags=["live"],
                 summary="Send tkStrike's pull requests to rebuild the scoreboard")
    async def resync() -> dict[str, Any]:
        if not station.config.pss_host:
            raise HTTPException(409, "no scoring software address: start with --pss-host")
        sent = await asyncio.to_thread(station.resync)
        return {"sent": sent, "target": f"{station.config.pss_host}:{station.config.pss_port}"}

    @router.get("/api/v1/logs", tags=["station"], summary="The last log records, newest first")
    async def logs(
        level: Annotated[str, Query(pattern="(?i)^(debug|info|warning|error|critical)$")]
        = "INFO",
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        from restrike.logs import level_number, ring_buffer

        records = ring_buffer().tail(level_number(level), limit)
        return {"records": records, "count": len(records)}

    @router.get("/api/v1/diagnostics", tags=["station"], summary="Versions, config, resources")
    async def diagnostics(request: Request) -> dict[str, Any]:
        from restrike.api.diagnostics import collect

        return await asyncio.to_thread(collect, station, request.app)

    router.readers = readers  # type: ignore[attr-defined]
    return router


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    if hasattr(value, "_asdict"):
        return value._asdict()
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    return str(value)


def _json(body: Any) -> bytes:
    import json

    return json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
