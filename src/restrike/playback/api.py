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
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from restrike.errors import PlayerCommandError, PlayerError, PlayerUnavailable
from restrike.playback.player import Player
from restrike.playback.settings import SPEED_MAX, SPEED_MIN

__all__ = ["ACTIONS", "make_router"]

PREFIX = "/api/v1/playback"

#: Every ``POST /api/v1/playback/{action}``, in the order the docs list them.
ACTIONS = (
    "open",
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
    "stop",
)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenBody(_Body):
    path: str = Field(min_length=1, description="Absolute path of the clip or recording.")
    start: float | None = Field(None, ge=0, description="Second to start at (default setting).")


class SpeedBody(_Body):
    value: float = Field(ge=SPEED_MIN, le=SPEED_MAX, description="0.25, 0.5, 1, 2 or any 0.1..4.")


class SeekBody(_Body):
    seconds: float = Field(allow_inf_nan=False)
    mode: Literal["relative", "absolute"] = "relative"


class LoopBody(_Body):
    at: float | None = Field(None, ge=0, description="Second of the loop point (default: now).")


class FullscreenBody(_Body):
    on: bool
    screen: int | None = Field(None, ge=0)


def _status(player: Player) -> dict[str, Any]:
    return player.status().as_dict()


async def _run(player: Player, call: Awaitable[None]) -> dict[str, Any]:
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


def _checked_path(raw: str, roots: Sequence[Path]) -> str:
    """The resolved path if it is absolute, exists and lies under a root; else HTTP error."""
    if not roots:
        raise HTTPException(403, "opening files is refused: no folder is allowed (the "
                                 "router was made without allowed_roots)")
    path = Path(raw)
    if not path.is_absolute():
        raise HTTPException(422, f"path must be absolute: {raw}")
    resolved = path.resolve()
    if not any(resolved.is_relative_to(root) for root in roots):
        raise HTTPException(403, f"path is outside the allowed folders: {raw}")
    if not resolved.is_file():
        raise HTTPException(404, f"no such file: {raw}")
    return str(resolved)


def make_router(
    player: Player, *, allowed_roots: Sequence[str | os.PathLike[str]] = ()
) -> APIRouter:
    """Routes for ``player``; ``open`` only plays files under ``allowed_roots`` (403
    otherwise). Without roots it refuses every file: deny by default."""
    roots = [Path(r).resolve() for r in allowed_roots]
    router = APIRouter(prefix=PREFIX, tags=["playback"])

    @router.get("")
    async def get_status() -> dict[str, Any]:
        """``file``, ``playing``, ``position``, ``speed`` (+ duration, fullscreen, alive...)."""
        return _status(player)

    @router.post("/open")
    async def open_(body: OpenBody) -> dict[str, Any]:
        path = await asyncio.to_thread(_checked_path, body.path, roots)
        return await _run(player, player.open(path, body.start))

    def simple(action: str, method: Callable[[], Awaitable[None]]) -> None:
        async def endpoint() -> dict[str, Any]:
            return await _run(player, method())

        endpoint.__name__ = f"playback_{action}"
        router.add_api_route(f"/{action}", endpoint, methods=["POST"], name=f"playback_{action}")

    simple("play", player.play)
    simple("pause", player.pause)
    simple("toggle", player.toggle)
    simple("frame_step", player.frame_step)
    simple("frame_back_step", player.frame_back_step)
    simple("loop_clear", player.clear_loop)
    simple("stop", player.stop)

    @router.post("/speed")
    async def speed(body: SpeedBody) -> dict[str, Any]:
        return await _run(player, player.set_speed(body.value))

    @router.post("/seek")
    async def seek(body: SeekBody) -> dict[str, Any]:
        return await _run(player, player.seek(body.seconds, body.mode))

    @router.post("/loop_a")
    async def loop_a(body: LoopBody | None = None) -> dict[str, Any]:
        return await _run(player, player.set_loop_a(body.at if body else None))

    @router.post("/loop_b")
    async def loop_b(body: LoopBody | None = None) -> dict[str, Any]:
        return await _run(player, player.set_loop_b(body.at if body else None))

    @router.post("/fullscreen")
    async def fullscreen(body: FullscreenBody) -> dict[str, Any]:
        return await _run(player, player.set_fullscreen(body.on, screen=body.screen))

    @router.post("/{action}")
    async def unknown(action: str) -> None:
        raise HTTPException(404, f"unknown playback action {action!r}; known: {', '.join(ACTIONS)}")

    return router
