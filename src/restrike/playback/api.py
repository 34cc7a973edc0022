"""``/api/v1/playback``: the console's remote control for the review player.

``make_router(player)`` returns a FastAPI router; the station mounts it on its app.
Errors are JSON ``{"detail": ...}``: 404 unknown action or missing file, 403 a path
outside ``allowed_roots`` (every path if none is given), 409 mpv refused (e.g. no file
open), 422 bad parameters, 503 the player is not running (it is being restarted).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from restrike.errors import PlayerCommandError, PlayerError, PlayerUnavailable
from restrike.http.errors import responses
from restrike.http.params import LocalPath
from restrike.playback.player import Player
from restrike.playback.settings import SPEED_MAX, SPEED_MIN

__all__ = ["ACTIONS", "VIDEO_SUFFIXES", "VIDEO_TYPES", "make_router", "video_file"]

PREFIX = "/api/v1/playback"

#: Positions and seeks beyond this are not in any recording (a week of video).
MAX_SECONDS = 7 * 24 * 3600.0
#: Every player command: 503 mpv is not running, 409 mpv refused, 422 a bad value.
_PLAYER = responses((409, "mpv refused the command (e.g. no file is open)."),
                    (422, "A bad value, or one mpv could not apply."),
                    (503, "mpv is not running (it is being restarted)."))
#: What may be opened in the player or downloaded: video containers (OBS records and
#: saves replays as mkv by default; mp4, mov, flv, ts are its other choices). Never the
#: database, logs or a TOML with OBS passwords, even if a root is the data folder.
VIDEO_TYPES = {".mkv": "video/x-matroska", ".mp4": "video/mp4", ".mov": "video/quicktime",
               ".flv": "video/x-flv", ".ts": "video/mp2t", ".m4v": "video/x-m4v",
               ".webm": "video/webm"}
VIDEO_SUFFIXES = frozenset(VIDEO_TYPES)

#: Every ``POST /api/v1/playback/{action}``, in the order the docs list them.
ACTIONS = (
    "open",
    "open_angles",
    "play",
    "pause",
    "toggle",
    "speed",
    "frame_step",
    "frame_back_step",
    "seek",
    "loop_a",
    "loop_b",
    "loop_clear",
    "fullscreen",
    "angle",
    "stop",
)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenBody(_Body):
    path: LocalPath = Field(description="Absolute path of the clip or recording.")
    start: float | None = Field(None, ge=0, le=MAX_SECONDS,
                                description="Second to start at (default setting).")


class AngleFile(_Body):
    path: LocalPath = Field(description="Absolute path of this angle's clip.")
    offset: float = Field(0.0, ge=-3600, le=3600, allow_inf_nan=False,
                          description="Where its second 0 lies on the common time line.")


class OpenAnglesBody(_Body):
    angles: list[AngleFile] = Field(min_length=1, max_length=16,
                                    description="The angles of one clip (GET /api/v1/clips).")
    start: float | None = Field(None, ge=0, le=MAX_SECONDS,
                                description="Common second to start at (default setting).")


class SpeedBody(_Body):
    value: float = Field(ge=SPEED_MIN, le=SPEED_MAX, description="0.25, 0.5, 1, 2 or any 0.1..4.")


class SeekBody(_Body):
    seconds: float = Field(ge=-MAX_SECONDS, le=MAX_SECONDS, allow_inf_nan=False)
    mode: Literal["relative", "absolute"] = "relative"


class LoopBody(_Body):
    at: float | None = Field(None, ge=0, le=MAX_SECONDS,
                             description="Second of the loop point (default: now).")


class FullscreenBody(_Body):
    on: bool
    screen: int | None = Field(None, ge=0, le=63, description="Screen number (mpv's --screen).")


class AngleBody(_Body):
    angle: int | None = Field(ge=1, le=64, description="Angle shown alone (1 = the first); "
                                                       "null: every angle in the grid.")


def _status(player: Player) -> dict[str, object]:
    return player.status().as_dict()


async def _run(player: Player, call: Awaitable[None]) -> dict[str, object]:
    """Await a player call, translating PlayerError to the HTTP answer it deserves."""
    try:
        await call
    except PlayerUnavailable as err:
        raise HTTPException(503, str(err)) from err
    except PlayerCommandError as err:
        raise HTTPException(409, str(err)) from err
    except PlayerError as err:
        raise HTTPException(422, str(err)) from err
    return _status(player)


def video_file(raw: str, roots: Sequence[Path]) -> Path:
    """The real path of ``raw`` if it is a video file inside one of ``roots``.

    The one rule for every way a client names a file to open or download (playback
    open, the review's open and ``/api/v1/files``): 422 not an absolute path, 403
    outside the roots (after resolving ``..`` and links) or not a video, 404 missing.
    No roots refuses everything (deny by default). Touches the disk: call it off the
    loop.
    """
    if not roots:
        raise HTTPException(403, "opening files is refused: no folder is allowed (the "
                                 "router was made without allowed_roots)")
    if "\x00" in raw or not raw:
        raise HTTPException(422, "path: must be a file path without NUL characters")
    path = Path(raw)
    if not path.is_absolute():
        raise HTTPException(422, f"path must be absolute: {raw}")
    try:
        real = path.resolve()
        if not any(real.is_relative_to(root.resolve()) for root in roots):
            raise HTTPException(403, f"path is outside the allowed folders: {raw}")
        if real.suffix.lower() not in VIDEO_SUFFIXES:
            raise HTTPException(403, "only video files are opened or served "
                                     f"({', '.join(sorted(VIDEO_SUFFIXES))}): {raw}")
        found = real.is_file()
    except OSError as err:  # a name too long for the file system, a loop of links...
        raise HTTPException(404, f"no such file: {raw} ({err.strerror or err})") from err
    if not found:
        raise HTTPException(404, f"no such file: {raw}")
    return real


def make_router(
    player: Player, *, allowed_roots: Sequence[str | os.PathLike[str]] = ()
) -> APIRouter:
    """Routes for ``player``; ``open`` only plays files under ``allowed_roots`` (403
    otherwise). Without roots it refuses every file: deny by default."""
    roots = [Path(r).resolve() for r in allowed_roots]
    router = APIRouter(prefix=PREFIX, tags=["playback"])

    @router.get("")
    async def get_status() -> dict[str, object]:
        """``file``, ``playing``, ``position``, ``speed`` (+ duration, fullscreen, alive...)."""
        return _status(player)

    @router.post("/open", responses={
        **_PLAYER, **responses((403, "Outside the allowed folders, or not a video file."),
                               (404, "No such file."))})
    async def open_(body: OpenBody) -> dict[str, object]:
        path = await asyncio.to_thread(video_file, body.path, roots)
        return await _run(player, player.open(str(path), body.start))

    @router.post("/open_angles", responses={
        **_PLAYER, **responses((403, "Outside the allowed folders, or not a video file."),
                               (404, "No such file."))})
    async def open_angles(body: OpenAnglesBody) -> dict[str, object]:
        """Every angle of a multi-angle clip together, in sync (a grid)."""
        paths = [await asyncio.to_thread(video_file, a.path, roots) for a in body.angles]
        tracks = [(str(path), a.offset) for path, a in zip(paths, body.angles, strict=True)]
        return await _run(player, player.open_angles(tracks, body.start))

    def simple(action: str, method: Callable[[], Awaitable[None]]) -> None:
        async def endpoint() -> dict[str, object]:
            return await _run(player, method())

        endpoint.__name__ = f"playback_{action}"
        router.add_api_route(f"/{action}", endpoint, methods=["POST"], name=f"playback_{action}",
                             responses=_PLAYER)

    simple("play", player.play)
    simple("pause", player.pause)
    simple("toggle", player.toggle)
    simple("frame_step", player.frame_step)
    simple("frame_back_step", player.frame_back_step)
    simple("loop_clear", player.clear_loop)
    simple("stop", player.stop)

    @router.post("/speed", responses=_PLAYER)
    async def speed(body: SpeedBody) -> dict[str, object]:
        return await _run(player, player.set_speed(body.value))

    @router.post("/seek", responses=_PLAYER)
    async def seek(body: SeekBody) -> dict[str, object]:
        return await _run(player, player.seek(body.seconds, body.mode))

    @router.post("/loop_a", responses=_PLAYER)
    async def loop_a(body: LoopBody | None = None) -> dict[str, object]:
        return await _run(player, player.set_loop_a(body.at if body else None))

    @router.post("/loop_b", responses=_PLAYER)
    async def loop_b(body: LoopBody | None = None) -> dict[str, object]:
        return await _run(player, player.set_loop_b(body.at if body else None))

    @router.post("/fullscreen", responses=_PLAYER)
    async def fullscreen(body: FullscreenBody) -> dict[str, object]:
        return await _run(player, player.set_fullscreen(body.on, screen=body.screen))

    @router.post("/angle", responses=_PLAYER)
    async def angle(body: AngleBody) -> dict[str, object]:
        """A multi-angle clip: one angle alone, full size, or the grid (null)."""
        return await _run(player, player.show_angle(body.angle))

    @router.post("/{action}", responses=responses((404, "No such playback action.")))
    async def unknown(action: str) -> None:
        raise HTTPException(404, f"unknown playback action {action!r}; known: {', '.join(ACTIONS)}")

    return router
