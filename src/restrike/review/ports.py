"""What the review needs from the station, the OBS pool and the player, as Protocols.

The review is handed its peers (``Review(options, store=..., obs=..., player=...)``) and
never looks them up. These Protocols name the part of each it uses, so the real ones
(:class:`~restrike.obs.pool.ObsPool`, :class:`~restrike.playback.MpvPlayer`, the
station) and the in-memory doubles of the tests fit alike; mypy checks the real ones
where the composition root passes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from restrike.bus import Bus
from restrike.obs.events import OutputStatus
from restrike.obs.settings import ConnectionEvent, ObsRole, ObsStatus
from restrike.playback.player import PlayerEvent
from restrike.protocol import MatchState

if TYPE_CHECKING:
    import os
    from pathlib import PurePath

    from fastapi import APIRouter

__all__ = ["LiveView", "ObsLink", "ObsPoolView", "ReviewContext", "ReviewControl",
           "ReviewPlayer"]


class LiveView(Protocol):
    """The station's live state: the scoreboard the review starts from."""

    @property
    def state(self) -> MatchState: ...


class ReviewContext(Protocol):
    """What ``Review.start`` uses of the station (the station's context has more)."""

    @property
    def bus(self) -> Bus: ...

    @property
    def live(self) -> LiveView: ...

    def add_router(self, router: APIRouter) -> None: ...

    def create_task(self, coro: Coroutine[Any, Any, Any], *, name: str
                    ) -> asyncio.Task[Any]: ...


class ReviewControl(Protocol):
    """The requests the review makes of one OBS (a part of ``ObsControl``). Each raises
    ``ObsUnavailable`` when OBS is away, ``ObsError`` when it refuses."""

    async def switch_scene(self, scene: str) -> None: ...
    async def create_scene(self, scene: str) -> bool: ...
    async def set_record_folder(self, folder: str | PurePath) -> None: ...
    async def set_filename_pattern(self, pattern: str) -> None: ...
    async def start_recording(self) -> str | None: ...
    async def stop_recording(self) -> str | None: ...
    async def recording_status(self) -> OutputStatus: ...
    async def start_replay_buffer(self) -> None: ...
    async def stop_replay_buffer(self) -> None: ...
    async def save_replay_buffer(self, *, timeout_s: float = 15.0) -> str: ...
    async def replay_buffer_status(self) -> OutputStatus: ...
    async def set_replay_buffer_seconds(self, seconds: int) -> None: ...


class ObsLink(Protocol):
    """One OBS connection of the pool."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def angle_name(self) -> str:
        """The name of its camera angle (multi-angle review)."""
        ...

    @property
    def status(self) -> ObsStatus: ...

    @property
    def control(self) -> ReviewControl:
        """The connected client; ``ObsUnavailable`` while OBS is away."""
        ...


class ObsPoolView(Protocol):
    """The OBS pool as the review uses it: connections by name and role, their news."""

    def __contains__(self, name: object, /) -> bool: ...

    def get(self, name: str) -> ObsLink: ...

    def for_role(self, role: ObsRole) -> Sequence[ObsLink]: ...

    def statuses(self) -> Sequence[ObsStatus]: ...

    def subscribe(self, callback: Callable[[ObsStatus | ConnectionEvent], None]
                  ) -> Callable[[], None]: ...


class ReviewPlayer(Protocol):
    """The review player (mpv): open a clip, go idle, tell what happened."""

    async def open(self, path: str | os.PathLike[str], start: float | None = None, *,
                   paused: bool = False) -> None: ...

    async def open_angles(self, angles: Sequence[tuple[str | os.PathLike[str], float]],
                          start: float | None = None, *, paused: bool = False) -> None:
        """Several angles (path, offset on the common time line) together, in sync."""
        ...

    async def stop(self) -> None: ...

    def subscribe(self, callback: Callable[[PlayerEvent], None]) -> Callable[[], None]: ...
