"""The review's HTTP routes: replay, close, current review, archive, chapters, files.

``make_router(review)`` returns a FastAPI router the station mounts. Errors are JSON
``{"error", "detail"}`` (docs/api.md): 409 a replay step is not possible now (a review
is open, none is open, mpv refused), 503 OBS, mpv or the database failed, 404 no such
file or nothing for that day, 403 a path outside the recordings folder or not a video
(the player's own rule, `restrike.playback.api.video_file`), or instant replay
locked by the station's gates (the licence), 422 bad parameters. Any
other exception is a bug: it is not mapped here and reaches the app's (logged) 500.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from restrike.errors import (
    FeatureLockedError,
    ObsError,
    PlayerCommandError,
    PlayerError,
    ReviewError,
    StoreError,
)
from restrike.http.errors import responses
from restrike.http.params import Day, Label, LocalPath
from restrike.playback.api import MAX_SECONDS, VIDEO_TYPES, video_file

if TYPE_CHECKING:
    from restrike.review.component import Review

__all__ = ["make_router"]

#: Starting a replay: 403 while the station's gates refuse instant replay (licence).
_LOCKED = responses((403, "Instant replay is locked (the licence); the detail says why."))
#: A replay step: 409 not possible now (or mpv refused), 503 a peer failed.
_STEP = responses((409, "Not possible now: a review is open, none is open, or mpv or OBS "
                        "refused."),
                  (503, "OBS, mpv or the database is unavailable."))
#: Reading the archive: 503 while the database is not open.
_ARCHIVE = responses((503, "The database is unavailable."))
#: Naming a file: the player's rule (`video_file`).
_FILE = responses((403, "Outside the recordings folder, or not a video file."),
                  (404, "No such file."))


class ReplayBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float | None = Field(None, gt=0, le=600,
                                  description="Replay the last N seconds (default: the clip "
                                              "from playback.start_offset).")
    requested_by: Label = Field("operator", max_length=60)


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["accepted", "rejected", "cancelled", "won", "lost", "closed"] = "closed"
    decided_by: Label = Field("operator", max_length=60)


class SceneBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scene: Label = Field(description="OBS scene name")


class OpenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: LocalPath = Field(description="Absolute path of a clip or recording")
    start: float | None = Field(None, ge=0, le=MAX_SECONDS)


def _unavailable(err: ReviewError | ObsError | PlayerError | StoreError) -> HTTPException:
    """409 a step not possible now (or mpv refused it), 503 a peer (OBS, mpv, the
    database) that failed.

    Only our own errors are mapped: anything else is a bug and reaches the app's 500
    handler, which logs it, instead of passing for "OBS unavailable".
    """
    refused = isinstance(err, ReviewError | PlayerCommandError)
    return HTTPException(409 if refused else 503, str(err))


def make_router(review: Review) -> APIRouter:
    router = APIRouter(tags=["review"])

    @router.post("/api/v1/replay", responses={**_STEP, **_LOCKED})
    async def replay(body: ReplayBody | None = None) -> dict[str, Any]:
        """Start a review now (the console's Replay button, manual mode)."""
        body = body or ReplayBody(seconds=None, requested_by="operator")
        try:
            return await review.request_replay(requested_by=body.requested_by, source="http",
                                               seconds=body.seconds)
        except FeatureLockedError as err:
            raise HTTPException(403, str(err)) from err
        except ReviewError as err:
            raise HTTPException(409, str(err)) from err

    @router.post("/api/v1/replay/close", responses=_STEP)
    async def close(body: CloseBody | None = None) -> dict[str, Any]:
        """End the open review with a decision (the console's Close)."""
        body = body or CloseBody(decision="closed", decided_by="operator")
        try:
            return await review.close_review(decision=body.decision, decided_by=body.decided_by,
                                             source="http")
        except ReviewError as err:
            raise HTTPException(409, str(err)) from err

    @router.get("/api/v1/review")
    async def current() -> dict[str, Any]:
        """The open (or last) review, its 30 s clock, marker and each athlete's quota."""
        return review.review_json()

    @router.post("/api/v1/replay/scene", responses=_STEP)
    async def scene(body: SceneBody) -> dict[str, Any]:
        """Manual mode: switch the streaming OBS to a scene."""
        try:
            await review.switch_scene(body.scene)
        except (ReviewError, ObsError, PlayerError, StoreError) as err:
            raise _unavailable(err) from err
        return {"scene": body.scene}

    @router.post("/api/v1/replay/open", responses={**_STEP, **_FILE})
    async def open_file(body: OpenBody) -> dict[str, Any]:
        """Manual mode: open a clip or recording (a video inside the recordings folder)."""
        real = await asyncio.to_thread(video_file, body.path, review.allowed_roots())
        try:
            await review.open_file(str(real), body.start)
        except (ReviewError, ObsError, PlayerError, StoreError) as err:
            raise _unavailable(err) from err
        return {"path": str(real), "start": body.start}

    @router.get("/api/v1/clips", responses=_ARCHIVE)
    async def clips(limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                    day: Annotated[Day | None, Query(description="YYYY-MM-DD")] = None
                    ) -> list[dict[str, Any]]:
        """Clips newest first, each with its linked events."""
        return await review.clips(limit, day.isoformat() if day else None)

    @router.get("/api/v1/recordings", responses=_ARCHIVE)
    async def recordings(day: Annotated[Day | None, Query(description="YYYY-MM-DD")] = None
                         ) -> list[dict[str, Any]]:
        """Recording sessions newest first, with their interruptions."""
        return await review.recordings(day.isoformat() if day else None)

    @router.get("/api/v1/chapters", response_class=PlainTextResponse, responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}},
              "description": "The chapter list, one `m:ss title` line each."},
        **responses((404, "Nothing recorded that day, or no archive.")), **_ARCHIVE})
    async def chapters(day: Annotated[Day, Query(description="YYYY-MM-DD")],
                       challenges: bool = True) -> str:
        """The day's YouTube chapter list (text/plain)."""
        try:
            return await review.chapters(day.isoformat(), challenges=challenges)
        except ReviewError as err:
            raise HTTPException(404, str(err)) from err

    @router.get("/api/v1/files", response_class=FileResponse, responses={
        200: {"content": {kind: {"schema": {"type": "string", "format": "binary"}}
                          for kind in sorted(set(VIDEO_TYPES.values()))},
              "description": "The video file."}, **_FILE})
    async def files(path: Annotated[LocalPath, Query(description="Absolute path of a clip or "
                                                                "recording")]) -> FileResponse:
        """A clip or recording file: a video, only from the configured recordings folder."""
        real = await asyncio.to_thread(video_file, path, review.allowed_roots())
        return FileResponse(real, media_type=VIDEO_TYPES[real.suffix.lower()])

    return router
