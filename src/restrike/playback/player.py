"""The player contract the replay workflow and the API use; mpv is one implementation.

Everything here is plain data or a ``typing.Protocol``: another player (libmpv in-process,
VLC...) only has to provide the same methods, status and events.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = [
    "CloseReason",
    "PlaybackClosed",
    "Player",
    "PlayerDied",
    "PlayerEvent",
    "PlayerRestarted",
    "PlayerStatus",
    "SeekMode",
    "StatusChanged",
]

SeekMode = Literal["relative", "absolute"]

#: Why a file stopped being shown:
#: ``requested`` our own ``stop()``; ``user`` stopped in the player (key binding);
#: ``quit`` the user closed the window / quit the player; ``crashed`` the player died;
#: ``error`` the file could not be played; ``eof`` it ended (only without keep-open).
CloseReason = Literal["requested", "user", "quit", "crashed", "error", "eof"]


@dataclass(frozen=True, slots=True)
class PlayerStatus:
    """A snapshot of the player. ``position``/``duration`` are seconds, None if unknown."""

    file: str | None = None
    playing: bool = False
    paused: bool = False
    position: float | None = None
    speed: float = 1.0
    duration: float | None = None
    fullscreen: bool = False
    alive: bool = False
    eof: bool = False
    loop_a: float | None = None
    loop_b: float | None = None
    error: str | None = None  # why the player is unhealthy (e.g. its supervisor failed)
    angles: int = 0  # camera angles on screen: N in the grid, 1 for one clip or angle
    angle: int | None = None  # the angle shown alone (1-based) of a multi-angle clip

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """Anything but the position changed (file, pause, speed, fullscreen, alive...)."""

    status: PlayerStatus


@dataclass(frozen=True, slots=True)
class PlaybackClosed:
    """The file on screen went away; the workflow may treat it as the review's end."""

    file: str
    reason: CloseReason


@dataclass(frozen=True, slots=True)
class PlayerDied:
    """The player process exited without being asked to (``returncode`` as the OS gave it)."""

    returncode: int | None
    output: str = ""


@dataclass(frozen=True, slots=True)
class PlayerRestarted:
    """A new player process is up and idle after a death (``attempt`` counts from 1)."""

    attempt: int
    pid: int | None


PlayerEvent = StatusChanged | PlaybackClosed | PlayerDied | PlayerRestarted


@runtime_checkable
class Player(Protocol):
    """What the station needs from a video player. All failures raise ``PlayerError``."""

    async def start(self) -> None:
        """Start the player (idle, no file). Raises PlayerError if it cannot run at all."""

    async def aclose(self) -> None:
        """Stop supervising and close the player for good."""

    def status(self) -> PlayerStatus: ...

    def subscribe(self, callback: Callable[[PlayerEvent], None]) -> Callable[[], None]:
        """Call ``callback`` with every :data:`PlayerEvent`; returns the unsubscribe."""

    async def open(
        self, path: str | os.PathLike[str], start: float | None = None, *, paused: bool = False
    ) -> None:
        """Show ``path`` from second ``start`` (None: the configured start offset)."""

    async def open_angles(
        self, angles: Sequence[tuple[str | os.PathLike[str], float]], start: float | None = None,
        *, paused: bool = False
    ) -> None:
        """Show several angles of one moment together, in sync: each ``(path, offset)``,
        offset the seconds its file starts after the first's on the common time line."""

    async def show_angle(self, angle: int | None) -> None:
        """Angle ``angle`` (1-based) alone, full size; None: every angle in the grid."""

    async def wait_position(
        self, at_least: float, *, within: float = 5.0, file: str | None = None
    ) -> float:
        """Wait until the file just opened plays at ``at_least`` s (PlayerError after
        ``within`` s); return the position."""

    async def play(self) -> None: ...
    async def pause(self) -> None: ...
    async def toggle(self) -> None: ...
    async def set_speed(self, value: float) -> None: ...
    async def frame_step(self) -> None: ...
    async def frame_back_step(self) -> None: ...
    async def seek(self, seconds: float, mode: SeekMode = "relative") -> None: ...
    async def set_loop_a(self, at: float | None = None) -> None: ...
    async def set_loop_b(self, at: float | None = None) -> None: ...
    async def clear_loop(self) -> None: ...
    async def set_fullscreen(self, on: bool, *, screen: int | None = None) -> None: ...
    async def stop(self) -> None:
        """Close the file and go back to idle (the player keeps running)."""
