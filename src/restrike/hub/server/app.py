"""The hub's web app: uploads from the stations, the read API, /ws/live, the control room.

Reads are open (the control room is for the LAN; TLS and any login belong to a
reverse proxy, docs/hub.md); uploads and the stations' command channels need the
court's token when the hub has a tokens file; the control room's OBS actions pass
the Host/Origin/JSON checks of `guard`. Every error is ``{"error", "detail"}`` like
the station's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path as FilePath
from typing import Annotated, Any

import psycopg
from fastapi import Depends, FastAPI, Path, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

from restrike.errors import HubError
from restrike.http.errors import error_response
from restrike.http.params import Day, Since
from restrike.hub.server import analytics, queries
from restrike.hub.server.commands import Channels
from restrike.hub.server.guard import HostNames, check_control
from restrike.hub.server.ids import MAX_ID
from restrike.hub.server.ingest import store_upload
from restrike.hub.server.pool import Pool
from restrike.hub.server.schema import STEPS
from restrike.hub.server.tokens import Tokens
from restrike.hub.wire import FORMAT, CommandAction, Upload
from restrike.store._rows import parse_since

__all__ = ["create_app"]

log = logging.getLogger(__name__)

PAGE = FilePath(__file__).parent / "page"
MAX_BODY = 64 * 1024 * 1024
LIVE_INTERVAL = 0.25
#: Datagrams per upload the hub asks of a court while other courts are live, and the
#: uploads larger than that (a catch-up) that may be stored at once: a court replaying a
#: day's capture goes in short transactions that leave connections and time to the others.
SHARED_BATCH = 500
#: A court uploaded within this many seconds is live.
LIVE_SECONDS = 3.0
Limit = Annotated[int, Query(ge=1, le=10_000)]
Text = Annotated[str | None, Query(max_length=256)]
HubId = Annotated[int, Path(ge=0, le=MAX_ID, description="The hub's id (docs/hub.md)")]
CourtName = Annotated[str, StringConstraints(min_length=1, max_length=64,
                                             pattern=r"^[^\x00-\x1f\x7f]+$")]


class Action(BaseModel):
    """``POST /api/v1/commands``: an OBS action for every court (``courts`` null) or
    the courts named; ``switch_scene`` takes ``{"scene": name}``, the others nothing."""

    model_config = ConfigDict(extra="forbid")
    action: CommandAction
    params: dict[str, Annotated[str, StringConstraints(max_length=256)]] = Field(
        default_factory=dict, max_length=4)
    courts: list[CourtName] | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _params_fit(self) -> Action:
        wanted = {"scene"} if self.action == "switch_scene" else set()
        if set(self.params) != wanted:
            raise ValueError(f"{self.action} takes " + (
                "params {\"scene\": name}" if wanted else "no params"))
        if self.action == "switch_scene" and self.courts is None:
            raise ValueError("switch_scene names its courts (a scene is one court's)")
        return self


def create_app(pool: Pool, tokens: Tokens, allowed_hosts: tuple[str, ...] = ()) -> FastAPI:
    """The hub's app over ``pool`` (the schema is already migrated)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(title="reStrike tournament hub", lifespan=lifespan)
    _errors(app)
    stats = {"uploads": 0, "stored": 0, "refused": 0}
    seen: dict[str, float] = {}  # court -> its last upload (monotonic)
    bulk = asyncio.Semaphore(max(1, pool.size // 2))
    order: dict[str, asyncio.Lock] = {}  # station -> its uploads one at a time, in order
    channels = Channels(tokens, pool)
    names = HostNames(allowed_hosts)

    @app.post("/api/v1/hub/upload", summary="A station's batch of rows (docs/hub.md)")
    async def upload(request: Request) -> dict[str, Any]:
        raw = await _body(request)
        try:  # parsed and checked in one pass (pydantic's own JSON reader): the catch-up's
            data = Upload.model_validate_json(raw)  # largest cost at the hub after the insert
        except ValidationError as err:
            _refuse_format(_json(raw), stats)
            raise RequestValidationError(err.errors()) from err
        _refuse_format({"format": data.format}, stats)
        try:
            tokens.check(data.court, request.headers.get("authorization"))
        except HubError:
            stats["refused"] += 1
            raise
        now = time.monotonic()
        seen[data.court] = now
        others = any(now - t <= LIVE_SECONDS for c, t in seen.items() if c != data.court)
        async with contextlib.AsyncExitStack() as stack:
            # A station's uploads in the order they arrived (a catching-up station sends
            # the next before the answer): the row lock alone would let a later one in
            # first, which stores nothing and has the station send both again.
            await stack.enter_async_context(order.setdefault(data.station, asyncio.Lock()))
            if len(data.datagrams) > SHARED_BATCH:
                await stack.enter_async_context(bulk)
            conn = await stack.enter_async_context(pool.connection())
            reply = await store_upload(conn, data)
        stats["uploads"] += 1
        stats["stored"] += reply.stored
        if others:
            reply.batch_rows = SHARED_BATCH
        return reply.model_dump()

    @app.get("/api/v1/hub/info", summary="Format, schema and whether uploads need tokens")
    async def info() -> dict[str, Any]:
        return {"format": FORMAT, "schema": len(STEPS), "tokens": not tokens.open, **stats}

    @app.get("/api/health", summary="The hub and its database")
    async def health() -> JSONResponse:
        try:
            async with pool.connection() as conn:
                await conn.execute("SELECT 1")
        except HubError as err:
            return JSONResponse({"ok": False, "database": str(err)}, status_code=503)
        return JSONResponse({"ok": True, "tokens": not tokens.open})

    async def court_list() -> list[dict[str, Any]]:
        async with pool.connection() as conn:
            found = await queries.courts(conn, time.time())
        listening = set(channels.courts)
        for court in found:
            court["commands"] = court["court"] in listening
        return found

    @app.get("/api/v1/courts", summary="Every court: connection, lag, live state, review, OBS")
    async def courts() -> dict[str, Any]:
        return {"courts": await court_list(), "tokens": not tokens.open}

    @app.websocket("/api/v1/hub/commands")
    async def command_channel(ws: WebSocket, court: str = "", station: str = "") -> None:
        try:
            if not court or len(court) > 64 or len(station) != 32:
                raise HubError("the command channel needs ?court=NAME&station=ID",
                               status=400)
            if ws.headers.get("origin") is not None:
                raise HubError("a web page may not open a station's command channel",
                               status=403)
            channels.admit(court, station, ws.headers.get("authorization"))
        except HubError as err:
            await ws.send_denial_response(error_response(err.status or 400, str(err),
                                                         error="HubError"))
            return
        await ws.accept()
        await channels.serve(ws, court, station)

    def control(request: Request) -> None:  # a dependency: before the body is read
        check_control(names, request.headers)

    @app.post("/api/v1/commands", dependencies=[Depends(control)],
              summary="An OBS action on every court or the courts named, through their "
                      "stations")
    async def command(body: Action) -> dict[str, Any]:
        if body.courts is None:
            targets = [c["court"] for c in await court_list()]
        else:
            known = {c["court"] for c in await court_list()}
            unknown = sorted(set(body.courts) - known)
            if unknown:
                raise HubError(f"no court named {', '.join(map(repr, unknown))} has sent "
                               "to this hub", status=404)
            targets = body.courts
        return await channels.send(body.action, dict(body.params), targets)

    @app.get("/api/v1/commands", summary="The last OBS actions and each court's answer")
    async def recent_commands() -> dict[str, Any]:
        return {"commands": await channels.recent(), "listening": channels.courts}

    @app.get("/api/v1/tournaments", summary="Tournaments by name over every court")
    async def tournaments() -> dict[str, Any]:
        async with pool.connection() as conn:
            return {"tournaments": await queries.tournaments(conn)}

    @app.get("/api/v1/matches", summary="Matches of every court, newest first")
    async def matches(tournament: Text = None, court: Text = None,
                      day: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
                      finished: bool | None = None, limit: Limit = 200) -> dict[str, Any]:
        async with pool.connection() as conn:
            rows = await queries.matches(conn, tournament=tournament, court=court, day=day,
                                         finished=finished, limit=limit)
        return {"matches": rows, "count": len(rows)}

    @app.get("/api/v1/matches/{match_id}", summary="One match with its events (hub id)")
    async def match(match_id: HubId) -> dict[str, Any]:
        async with pool.connection() as conn:
            found = await queries.match(conn, match_id)
        if found is None:
            raise HubError(f"no match with id {match_id}", status=404)
        return found

    @app.get("/api/v1/events", summary="Events of every court, newest first")
    async def events(court: Text = None,
                     match: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
                     kind: Text = None, since: Since | None = None, limit: Limit = 100,
                     before_id: Annotated[int | None, Query(ge=0, le=MAX_ID, description=(
                         "Page: next_before_id of the page before"))] = None
                     ) -> dict[str, Any]:
        async with pool.connection() as conn:
            rows = await queries.events(conn, court=court, match=match, kind=kind,
                                        limit=limit, before=before_id,
                                        since=None if since is None else parse_since(since))
        if rows is None:
            raise HubError(f"before_id {before_id} is no event's id", status=422)
        return {"events": rows, "count": len(rows),
                "next_before_id": rows[-1]["id"] if len(rows) == limit else None}

    async def figures(read: Callable[[psycopg.AsyncConnection], Awaitable[Any]],
                      missing: str = "") -> JSONResponse:
        """An analytics answer as plain JSON (no encoder walk over the figures); None
        from ``read`` is a 404 saying ``missing``."""
        async with pool.connection() as conn:
            report = await read(conn)
        if report is None:
            raise HubError(missing, status=404)
        return JSONResponse(report)

    @app.get("/api/v1/analytics/matches/{match_id}",
             summary="A match's figures (its hub id, as in /api/v1/matches)")
    async def match_analytics(match_id: HubId) -> JSONResponse:
        return await figures(lambda c: analytics.match(c, match_id),
                             f"no match with id {match_id}")

    @app.get("/api/v1/analytics/tournaments/{tournament}",
             summary="A tournament's figures over every court (its id or its name)")
    async def tournament_analytics(
            tournament: Annotated[str, Path(max_length=256)]) -> JSONResponse:
        return await figures(lambda c: analytics.tournament_report(c, tournament),
                             f"no court has a tournament {tournament!r}")

    @app.get("/api/v1/analytics/days/{day}",
             summary="A day's figures over every court (every tournament of that date)")
    async def day_analytics(
            day: Annotated[Day, Path(description="Local date YYYY-MM-DD.")]) -> JSONResponse:
        return await figures(lambda c: analytics.day_report(c, day.isoformat()))

    @app.get("/api/v1/analytics/athletes",
             summary="Athletes by name or country over every court, with headline figures")
    async def athletes(search: Annotated[str, Query(max_length=100,
                                                    pattern=r"^[^\x00-\x1f\x7f]*$")] = "",
                       limit: Annotated[int, Query(ge=1, le=500)] = 50) -> JSONResponse:
        async def found(conn: psycopg.AsyncConnection) -> dict[str, Any]:
            return {"athletes": await analytics.search_athletes(conn, search, limit)}

        return await figures(found)

    @app.get("/api/v1/analytics/athletes/{athlete_id}",
             summary="An athlete's figures over every court (id: as in the search)")
    async def athlete(athlete_id: HubId) -> JSONResponse:
        return await figures(lambda c: analytics.athlete(c, athlete_id),
                             f"no athlete with id {athlete_id}")

    @app.websocket("/ws/live")
    async def live(ws: WebSocket) -> None:
        await ws.accept()
        last = ""
        try:
            while True:
                body = {"type": "courts", "courts": await court_list(),
                        "tokens": not tokens.open}
                data = json.dumps(body, separators=(",", ":"))
                if data != last:
                    await ws.send_text(data)
                    last = data
                await asyncio.sleep(LIVE_INTERVAL)
        except (WebSocketDisconnect, HubError):
            return

    @app.get("/", include_in_schema=False)
    async def control_room() -> FileResponse:
        return FileResponse(PAGE / "index.html")

    app.mount("/page", StaticFiles(directory=PAGE), name="page")
    return app


async def _body(request: Request) -> bytes:
    size = request.headers.get("content-length")
    if size is not None and size.isdigit() and int(size) > MAX_BODY:
        raise HubError(f"the upload is larger than {MAX_BODY} bytes", status=413)
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise HubError(f"the upload is larger than {MAX_BODY} bytes", status=413)
    return raw


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as err:
        raise HubError(f"the body is not JSON: {err}", status=400) from err


def _refuse_format(body: Any, stats: dict[str, int]) -> None:
    """426 when the body is of another upload format than this hub's."""
    fmt = body.get("format") if isinstance(body, dict) else None
    if fmt != FORMAT:
        stats["refused"] += 1
        raise HubError(f"this hub reads upload format {FORMAT}, the station sent "
                       f"{fmt!r}: " + ("upgrade the hub" if isinstance(fmt, int)
                                       and fmt > FORMAT else "upgrade the station"),
                       status=426)


def _errors(app: FastAPI) -> None:
    async def hub_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HubError)
        if exc.status is None:
            log.warning("hub: %s", exc)
        return error_response(exc.status or 503, str(exc), error="HubError")

    async def invalid(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        fields = [{"field": ".".join(str(p) for p in e.get("loc", ())) or "body",
                   "message": str(e.get("msg", ""))} for e in exc.errors()[:20]]
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:3])
        return error_response(422, detail or "invalid request", fields=fields)

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(exc.status_code, exc.detail)

    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("hub: unexpected error", exc_info=exc)
        return error_response(500, f"{type(exc).__name__}: {exc}")

    app.add_exception_handler(HubError, hub_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
