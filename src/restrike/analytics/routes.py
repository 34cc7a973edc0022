"""``/api/v1/analytics/...``: the match, athlete, tournament and day figures over HTTP.

Plain ``def`` routes: FastAPI runs them on its worker threads, each with a read-only
connection from a small pool, so a long aggregate never holds up the event loop or
the court feed. Bad parameters are 422 (bounded types of `restrike.http.params`),
unknown ids 404 naming the id, a store that cannot be read 503 — all in the station's
error body.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from restrike.analytics import queries
from restrike.errors import StoreError
from restrike.http.errors import error_response, responses
from restrike.http.params import PRINTABLE, Day, Id
from restrike.kernel import StoreAccess, StoreReader

__all__ = ["PREFIX", "ReaderPool", "make_router"]

PREFIX = "/api/v1/analytics"
T = TypeVar("T")
_UNREADABLE = (503, "The station's database cannot be read now.")


class ReaderPool:
    """Read-only connections reused across requests (at most ``size`` kept open)."""

    def __init__(self, store: StoreAccess, size: int = 4) -> None:
        self.store = store
        self._idle: queue.LifoQueue[StoreReader] = queue.LifoQueue(maxsize=size)
        self._closed = False

    def call(self, fn: Callable[[Any], T]) -> T:
        try:
            reader = self._idle.get_nowait()
        except queue.Empty:
            reader = self.store.reader()
        try:
            return reader.call(fn)
        finally:
            self._give_back(reader)

    def _give_back(self, reader: StoreReader) -> None:
        if self._closed:
            reader.close()
            return
        try:
            self._idle.put_nowait(reader)
        except queue.Full:
            reader.close()

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


def make_router(pool: ReaderPool, complete: Callable[[], bool]) -> APIRouter:
    """The routes; ``complete()`` says every stored match is folded (the athletes' index
    of the analytics can be trusted alone)."""
    router = APIRouter(prefix=PREFIX, tags=["analytics"])

    def answer(fn: Callable[[Any], dict[str, Any] | list[Any] | None], missing: str
               ) -> Any:
        try:
            body = pool.call(fn)
        except StoreError as err:
            return error_response(503, f"the database cannot be read: {err}")
        if body is None:
            return error_response(404, missing)
        return JSONResponse(body)  # plain JSON: FastAPI's encoder walk costs more than the query

    @router.get("/matches/{match_id}", summary="A match's analytics",
                responses=responses((404, "No match with that id."), _UNREADABLE))
    def match(match_id: Annotated[Id, Path(description="As in /api/v1/matches.")]) -> Any:
        return answer(lambda c: queries.match_body(c, match_id), f"no match with id {match_id}")

    @router.get("/athletes", summary="Athletes by name or country, with headline figures",
                responses=responses(422, _UNREADABLE))
    def athletes(
        search: Annotated[str, Query(max_length=100, pattern=PRINTABLE, description=(
            "Part of a name or country; case and accents are ignored."))] = "",
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> Any:
        return answer(lambda c: {"athletes": queries.search_athletes(
            c, search, limit, indexed=complete())}, "")

    @router.get("/athletes/{athlete_id}", summary="An athlete's analytics over every match",
                responses=responses((404, "No athlete with that id."), 422, _UNREADABLE))
    def athlete(athlete_id: Annotated[Id, Path(description="As in the athletes search.")]
                ) -> Any:
        return answer(lambda c: queries.athlete_body(c, athlete_id, indexed=complete()),
                      f"no athlete with id {athlete_id}")

    @router.get("/tournaments/{tournament_id}", summary="A tournament's analytics",
                responses=responses((404, "No tournament with that id."), 422, _UNREADABLE))
    def tournament(tournament_id: Annotated[Id, Path(
            description="As in /api/v1/tournaments.")]) -> Any:
        return answer(lambda c: queries.tournament_body(c, tournament_id),
                      f"no tournament with id {tournament_id}")

    @router.get("/days/{day}", summary="A day's analytics (every tournament of that date)",
                responses=responses(422, _UNREADABLE))
    def day(day: Annotated[Day, Path(description="Local date YYYY-MM-DD.")]) -> Any:
        when: date = day
        return answer(lambda c: queries.day_body(c, when), "")

    return router
