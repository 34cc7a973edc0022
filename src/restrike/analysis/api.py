"""The plugin's routes: tags (list, add, delete) and highlight-reel jobs.

Bounded parameters (`restrike.http.params`), errors as ``{"error", "detail"}``
(`restrike.http.errors`); reads on a read-only connection (worker threads), writes as
jobs of the store's single writer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from restrike.analysis.highlights import ReelRequest
from restrike.analysis.jobs import ReelJobs
from restrike.analysis.tables import add_manual, delete_manual, list_tags
from restrike.bus import Broadcast, Bus
from restrike.errors import AnalysisError
from restrike.http.errors import error_response, responses
from restrike.http.params import Day, Id, Since
from restrike.kernel import StoreAccess

__all__ = ["make_router"]

KIND_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
Kind = Annotated[str, StringConstraints(pattern=KIND_PATTERN)]
Note = Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")]
Number = Annotated[str, StringConstraints(min_length=1, max_length=32,
                                          pattern=r"^[^\x00-\x1f\x7f]+$")]
Seconds = Annotated[float, Field(ge=0, le=120)]
AngleChoice = Annotated[str, StringConstraints(min_length=1, max_length=200,
                                               pattern=r"^[^\x00-\x1f\x7f]+$")]
#: ``kind=`` of GET /api/v1/tags: up to 20 kinds separated by commas (documented, so a
#: request the schema allows is one the route takes).
KINDS_PATTERN = r"^([a-z][a-z0-9_]{0,39}(,[a-z][a-z0-9_]{0,39}){0,19})?$"


class NewTag(BaseModel):
    """A manual tag: on an event (``event_id``) or at a moment (``at``, ISO 8601)."""

    model_config = ConfigDict(extra="forbid")
    kind: Kind = "manual"
    event_id: Id | None = None
    at: Since | None = None
    match: Id | None = None
    athlete: Literal[1, 2] | None = None
    weight: float = Field(1.0, ge=0, le=1)
    note: Note | None = None


class NewReel(BaseModel):
    """What to put in a reel: one match (its number) or a day, the kinds, the windows."""

    model_config = ConfigDict(extra="forbid")
    match: Number | None = None
    day: Day | None = None
    kinds: list[Kind] = Field(default=[], max_length=20)
    before: Seconds | None = None
    after: Seconds | None = None
    max_seconds: float | None = Field(None, gt=0, le=36_000)
    title_seconds: float | None = Field(None, ge=0, le=10)
    angle: AngleChoice = Field("best", description=(
        "A moment inside a multi-angle review clip: `best` (the best-covered angle), "
        "`recording` (the match recording only) or an angle's name."))


def _epoch(text: str) -> float:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def make_router(store: StoreAccess, bus: Bus, jobs: ReelJobs,
                defaults: Callable[[], ReelRequest]) -> APIRouter:
    """The routes; ``defaults`` gives the settings' windows and title length."""
    router = APIRouter(tags=["analysis"])

    def read(fn: Callable[[Any], Any]) -> Any:
        with store.reader() as reader:
            return reader.call(fn)

    @router.get("/api/v1/tags", summary="Tagged key moments, oldest first",
                responses=responses(422, 503))
    def get_tags(match: Annotated[Id | None, Query(description="a match id")] = None,
                 day: Annotated[Day | None, Query(description="the matches' day")] = None,
                 kind: Annotated[str | None, Query(max_length=900, pattern=KINDS_PATTERN,
                                                   description=("kinds, comma-separated "
                                                                "(head_kick,lead_change)"))] = None,
                 source: Literal["auto", "manual", "analyzer"] | None = None,
                 limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> Any:
        kinds = kind.split(",") if kind else []
        day_text = day.isoformat() if day else None
        return {"tags": read(lambda conn: list_tags(conn, match=match, day=day_text,
                                                    kinds=kinds, source=source, limit=limit))}

    @router.post("/api/v1/tags", status_code=201, summary="Add a manual tag",
                 responses=responses(404, 422, 503))
    async def post_tag(body: NewTag) -> Any:
        if (body.event_id is None) == (body.at is None):
            return error_response(422, "give event_id or at (one of them)",
                                  fields=[{"field": "body", "message": "event_id or at"}])
        at = _epoch(body.at) if body.at else None
        tag = await asyncio.wrap_future(store.call(lambda conn: add_manual(
            conn, kind=body.kind, event_id=body.event_id, at=at, match=body.match,
            athlete=body.athlete, weight=body.weight, note=body.note)))
        if tag is None:
            return error_response(404, f"no event {body.event_id}")
        bus.publish(Broadcast("tags", {"event": "added", "tags": [tag]}, coalesce=False))
        return JSONResponse(tag, status_code=201)

    @router.delete("/api/v1/tags/{tag_id}", summary="Delete a manual tag",
                   responses=responses(404, 409, 422, 503))
    async def delete_tag(tag_id: Id) -> Any:
        done = await asyncio.wrap_future(store.call(lambda conn: delete_manual(conn, tag_id)))
        if done == "missing":
            return error_response(404, f"no tag {tag_id}")
        if done == "auto":
            return error_response(409, f"tag {tag_id} is automatic: it follows the court's "
                                       "score (a point taken back drops its tags)")
        bus.publish(Broadcast("tags", {"event": "dropped", "ids": [tag_id]}, coalesce=False))
        return {"deleted": tag_id}

    @router.post("/api/v1/highlights", status_code=202, summary="Make a highlight reel",
                 responses=responses(409, 422))
    async def post_reel(body: NewReel) -> Any:
        if (body.match is None) == (body.day is None):
            return error_response(422, "give match (its number) or day (one of them)",
                                  fields=[{"field": "body", "message": "match or day"}])
        base = defaults()
        request = ReelRequest(
            body.match, body.day.isoformat() if body.day else None, tuple(body.kinds),
            base.before if body.before is None else body.before,
            base.after if body.after is None else body.after, body.max_seconds,
            base.title_seconds if body.title_seconds is None else body.title_seconds,
            body.angle)
        try:
            job = jobs.submit(request)
        except AnalysisError as err:
            return error_response(409, str(err))
        return JSONResponse(job.as_json(), status_code=202)

    @router.get("/api/v1/highlights", summary="The reel jobs of this run, newest first")
    async def get_reels() -> Any:
        return {"jobs": [job.as_json() for job in sorted(
            jobs.jobs.values(), key=lambda j: j.id, reverse=True)]}

    @router.get("/api/v1/highlights/{job_id}", summary="One reel job",
                responses=responses(404, 422))
    async def get_reel(job_id: Id) -> Any:
        job = jobs.jobs.get(job_id)
        return error_response(404, f"no reel job {job_id}") if job is None else job.as_json()

    @router.get("/api/v1/highlights/{job_id}/file", summary="The finished reel (MP4)",
                responses=responses(404, 409, 422))
    def get_reel_file(job_id: Id) -> Any:
        job = jobs.jobs.get(job_id)
        if job is None:
            return error_response(404, f"no reel job {job_id}")
        if job.state != "done":
            return error_response(409, f"reel job {job_id} is {job.state}")
        if not Path(job.output).is_file():
            return error_response(404, f"the reel {job.output} is gone")
        return FileResponse(job.output, media_type="video/mp4", filename=job.output.name)

    return router

