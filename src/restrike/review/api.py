"""The review's HTTP routes: replay, close, current review, archive, chapters, files.

``make_router(review)`` returns a FastAPI router the station mounts. Errors are JSON
``{"detail": ...}``: 409 a replay step is not possible now (a review is open, none is
open, mpv refused), 503 OBS, mpv or the database failed, 404 no such file or nothing
for that day, 403 a path outside the recordings folder (or, for files, not a video),
422 bad parameters. Any other exception is a bug: it is not mapped here and reaches
the app's (logged) 500.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from restrike.errors import (
    ObsError,
    PlayerCommandError,
    PlayerError,
    ReviewError,
    StoreError,
)

if TYPE_CHECKING:
    from restrike.review.component import Review

__all__ = ["MEDIA_SUFFIXES", "make_router", "resolve_allowed"]

_DAY = r"^\d{4}-\d{2}-\d{2}$"

#: What ``/api/v1/files`` serves: video containers (OBS records and saves replays as
#: mkv by default; mp4, mov, flv, ts are its other choices). Never the database, logs
#: or a TOML with OBS passwords, even if recordings_root is set to the data folder.
MEDIA_SUFFIXES = frozenset({".mkv", ".mp4", ".mov", ".flv", ".ts", ".m4v", ".webm"})


class ReplayBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float | None = Field(None, gt=0, le=600,
                                  description="Replay the last N seconds (default: the clip "
                                              "from playback.start_offset).")
    requested_by: str = Field("operator", min_length=1, max_length=60)


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["accepted", "rejected", "cancelled", "won", "lost", "closed"] = "closed"
    decided_by: str = Field("operator", min_length=1, max_length=60)


class SceneBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scene: str = Field(min_length=1, max_length=200)


class OpenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1)
    start: float | None = Field(None, ge=0)


def resolve_allowed(path: str, roots: list[Path]) -> Path:
    """The real path of ``path`` if it lies inside one of ``roots`` (403) and exists (404)."""
    real = Path(os.path.realpath(path))
    for root in roots:
        base = Path(os.path.realpath(root))
        if real == base or base in real.parents:
            if not real.is_file():
                raise HTTPException(404, f"no such file: {path}")
            return real
    raise HTTPException(403, "only files inside the recordings folder are served")


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

    @router.post("/api/v1/replay")
    async def replay(body: ReplayBody | None = None) -> dict[str, Any]:
        """Start a review now (the console's Replay button, manual mode)."""
        body = body or ReplayBody(seconds=None, requested_by="operator")
        try:
            return await review.request_replay(requested_by=body.requested_by, source="http",
                                               seconds=body.seconds)
        except ReviewError as err:
            raise HTTPException(409, str(err)) from err

    @router.post("/api/v1/replay/close")
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

    @router.post("/api/v1/replay/scene")
    async def scene(body: SceneBody) -> dict[str, Any]:
        """Manual mode: switch the streaming OBS to a scene."""
        try:
            await review.switch_scene(body.scene)
        except (ReviewError, ObsError, PlayerError, StoreError) as err:
            raise _unavailable(err) from err
        return {"scene": body.scene}

    @router.post("/api/v1/replay/open")
    async def open_file(body: OpenBody) -> dict[str, Any]:
        """Manual mode: open any clip or recording (inside the recordings folder)."""
        real = resolve_allowed(body.path, review.allowed_roots())
        try:
            await review.open_file(str(real), body.start)
        except (ReviewError, ObsError, PlayerError, StoreError) as err:
            raise _unavailable(err) from err
        return {"path": str(real), "start": body.start}

    @router.get("/api/v1/clips")
    async def clips(limit: int = Query(100, ge=1, le=1000),
                    day: str | None = Query(None, pattern=_DAY)) -> list[dict[str, Any]]:
        """Clips newest first, each with its linked events."""
        return await review.clips(limit, day)

    @router.get("/api/v1/recordings")
    async def recordings(day: str | None = Query(None, pattern=_DAY)) -> list[dict[str, Any]]:
        """Recording sessions newest first, with their interruptions."""
        return await review.recordings(day)

    @router.get("/api/v1/chapters", response_class=PlainTextResponse)
    async def chapters(day: str = Query(pattern=_DAY), challenges: bool = True) -> str:
        """The day's YouTube chapter list (text/plain)."""
        try:
            return await review.chapters(day, challenges=challenges)
        except ReviewError as err:
            raise HTTPException(404, str(err)) from err

    @router.get("/api/v1/files")
    async def files(path: str = Query(min_length=1)) -> FileResponse:
        """A clip or recording file: a video, only from the configured recordings folder."""
        real = resolve_allowed(path, review.allowed_roots())
        if real.suffix.lower() not in MEDIA_SUFFIXES:
            raise HTTPException(403, "only video files are served "
                                     f"({', '.join(sorted(MEDIA_SUFFIXES))})")
        return FileResponse(real)

    return router
