"""REST routes of the station: state, events, matches, stats, export, settings of the day.

Reads go through the store's read-only `Reader`s, one per worker thread, off the
event loop. ``GET /api/v1/state`` is served from the cached JSON bytes on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from restrike import __version__
from restrike.http.errors import responses
from restrike.http.params import Day, Id, Label, Since

if TYPE_CHECKING:
    from restrike.api.view import StationView
    from restrike.store import Reader, Store

__all__ = ["make_router"]

T = TypeVar("T")
JSON = "application/json"
#: Every store route answers 503 while the store is not open.
_STORE = responses(503)
_KIND = r"^[A-Za-z0-9_]{1,40}$"
LogLevel = Annotated[Literal["debug", "info", "warning", "error", "critical"],
                     BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v)]


class TournamentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Label = Field(description="Tournament name")


class DayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: Day = Field(description="Tournament day YYYY-MM-DD")
    name: Label | None = Field(None, description="The day's name, e.g. 'Day 2 – Finals' (the "
                                                 "recording folder uses it); none: kept")


class Health(BaseModel):
    """``GET /api/health``: the same body with 200 (all healthy) and 503."""

    model_config = ConfigDict(extra="allow")
    ok: bool
    version: str
    components: dict[str, dict[str, Any]]


def _open_store(view: StationView) -> Store:
    """The station's open store, or 503: not started yet, failed to open, or closed."""
    store = view.store.store
    if store is None or view.store.closed:
        raise HTTPException(503, "the store is not open (the station is starting, stopping "
                                 "or could not open its database)")
    return store


async def _write(view: StationView, method: str, *args: str) -> object:
    """Call a store setter off the loop: no open store 503, a refused value 422."""
    store = _open_store(view)
    try:
        return await asyncio.to_thread(getattr(store, method), *args)
    except ValueError as err:
        raise HTTPException(422, str(err)) from err


class _Readers:
    """One store `Reader` per worker thread (SQLite connections stay in their thread)."""

    def __init__(self, view: StationView) -> None:
        self.view = view
        self._local = threading.local()
        self._all: list[Reader] = []
        self._lock = threading.Lock()

    def get(self) -> Reader:
        reader: Reader | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = _open_store(self.view).reader()
            self._local.reader = reader
            with self._lock:
                self._all.append(reader)
        return reader

    def close(self) -> None:
        with self._lock:
            readers, self._all = self._all, []
        for reader in readers:
            with contextlib.suppress(Exception):
                reader.close()


def make_router(view: StationView) -> APIRouter:
    router = APIRouter()
    readers = _Readers(view)

    async def read(fn: Callable[[Reader], T]) -> T:
        def call() -> T:
            try:
                return fn(readers.get())
            except ValueError as err:
                raise HTTPException(422, str(err)) from err

        return await asyncio.to_thread(call)

    @router.get("/api/health", tags=["station"], summary="Liveness and component health",
                responses={200: {"model": Health},
                           503: {"model": Health, "description": "A component is unhealthy."}})
    async def health() -> Response:
        health = view.kernel.health()
        body = {**health, "version": __version__}
        return Response(_json(body), status_code=200 if health["ok"] else 503,
                        media_type=JSON)

    @router.get("/api/v1/state", tags=["live"], summary="The live scoreboard (state JSON)")
    async def state() -> Response:
        return Response(view.live.json_bytes(), media_type=JSON)

    @router.get("/api/v1/events", tags=["store"], summary="Stored events, newest first",
                responses=_STORE)
    async def events(
        match: Annotated[Id | None, Query(description="Match id")] = None,
        kind: Annotated[str | None, Query(pattern=_KIND, description="Event kind (e.g. point, "
                                                                     "invalid)")] = None,
        since: Annotated[Since | None, Query(description="ISO 8601 date-time, inclusive (UTC "
                                                         "if no offset)")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        before_id: Annotated[Id | None, Query(description="Page: ids below")] = None,
    ) -> dict[str, object]:
        rows = await read(lambda r: r.events(match=match, kind=kind, since=since, limit=limit,
                                             before_id=before_id))
        rows = list(rows)
        return {"events": rows, "count": len(rows),
                "next_before_id": rows[-1]["id"] if len(rows) == limit else None}

    @router.get("/api/v1/matches", tags=["store"], summary="Matches, newest first",
                responses=_STORE)
    async def matches(
        day: Annotated[Day | None, Query(description="YYYY-MM-DD")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, object]:
        text = day.isoformat() if day is not None else None
        rows = list(await read(lambda r: r.matches(day=text, limit=limit)))
        return {"matches": rows, "count": len(rows)}

    @router.get("/api/v1/matches/{match_id}", tags=["store"], summary="One match with events",
                responses=responses((404, "No match with that id."), 503))
    async def match(match_id: Annotated[Id, Path(description="Match id")]) -> dict[str, object]:
        found = await read(lambda r: r.match(match_id))
        if found is None:
            raise HTTPException(404, f"no match with id {match_id}")
        return dict(found)

    @router.get("/api/v1/days", tags=["store"], summary="Tournament days", responses=_STORE)
    async def days() -> dict[str, object]:
        rows = list(await read(lambda r: r.days()))
        return {"days": rows}

    @router.get("/api/v1/tournaments", tags=["store"], summary="Tournaments", responses=_STORE)
    async def tournaments() -> dict[str, object]:
        rows = list(await read(lambda r: r.tournaments()))
        return {"tournaments": rows}

    @router.get("/api/v1/stats", tags=["live"], summary="Intake and storage counters")
    async def stats() -> dict[str, object]:
        return dict(await asyncio.to_thread(view.stats))

    @router.get("/api/v1/export", tags=["store"],
                summary="A day's datagrams as capture JSON Lines (restrike decode input)",
                response_class=StreamingResponse,
                responses={200: {"content": {"application/x-ndjson": {"schema": {
                    "type": "string"}}}, "description": "Capture JSON Lines."}, **_STORE})
    async def export(day: Annotated[Day, Query(description="YYYY-MM-DD")]) -> StreamingResponse:
        store = _open_store(view)
        text = day.isoformat()

        def lines() -> Iterator[bytes]:
            with store.reader() as reader:
                for line in reader.export_capture(text):
                    yield (line if line.endswith("\n") else line + "\n").encode("utf-8")

        return StreamingResponse(
            lines(), media_type="application/x-ndjson",
            headers={"Content-Disposition": f'attachment; filename="capture-{text}.jsonl"'})

    @router.post("/api/v1/tournament", tags=["store"], summary="Set the current tournament",
                 responses=_STORE)
    async def set_tournament(body: Annotated[TournamentIn, Body()]) -> dict[str, object]:
        result = await _write(view, "set_tournament", body.name.strip())
        return {"tournament": body.name.strip(), "result": _plain(result)}

    @router.post("/api/v1/day", tags=["store"], summary="Set the current tournament day",
                 responses=_STORE)
    async def set_day(body: Annotated[DayIn, Body()]) -> dict[str, object]:
        text = body.day.isoformat()
        name = (body.name or "").strip()
        result = await _write(view, "set_day", text, name)
        return {"day": text, "name": name, "result": _plain(result)}

    @router.get("/api/v1/current", tags=["store"], summary="The current tournament and day",
                responses=_STORE)
    async def current() -> dict[str, object]:
        return dict(await read(lambda r: r.current_names()))

    @router.post("/api/v1/resync", tags=["live"],
                 summary="Send tkStrike's pull requests to rebuild the scoreboard",
                 responses=responses((409, "No scoring software address is configured.")))
    async def resync() -> dict[str, object]:
        target = view.feed.resync_target
        if target is None:
            raise HTTPException(409, "no scoring software address: start with --pss-host")
        sent = await asyncio.to_thread(view.feed.resync)
        return {"sent": sent, "target": f"{target[0]}:{target[1]}"}

    @router.get("/api/v1/logs", tags=["station"], summary="The last log records, newest first")
    async def logs(
        level: Annotated[LogLevel, Query(description="Lowest level (any case)")] = "info",
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, object]:
        from restrike.logs import level_number, ring_buffer

        records = ring_buffer().tail(level_number(level), limit)
        return {"records": records, "count": len(records)}

    @router.get("/api/v1/diagnostics", tags=["station"], summary="Versions, config, resources")
    async def diagnostics(request: Request) -> dict[str, object]:
        from restrike.api.diagnostics import collect

        return await asyncio.to_thread(collect, view, request.app)

    router.readers = readers  # type: ignore[attr-defined]
    return router


def _plain(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    as_dict = getattr(value, "_asdict", None)
    if callable(as_dict):
        return as_dict()
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is not None:
        return {k: getattr(value, k) for k in fields}
    return str(value)


def _json(body: object) -> bytes:
    import json

    return json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
