"""The contract both clients (obs-websocket v5 and v4) fulfil, and what they share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePath
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from restrike.errors import ObsError
from restrike.obs.events import ObsEvent, ObsStats, ObsVersion, OutputStatus

__all__ = [
    "REPLAY_BUFFER_HELP",
    "CloseInfo",
    "ConnectionState",
    "EventCallback",
    "ObsControl",
    "ObsSession",
    "Unsubscribe",
    "ensure_local_folder",
    "replay_buffer_disabled",
]

_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

EventCallback = Callable[[ObsEvent], None]
Unsubscribe = Callable[[], None]

REPLAY_BUFFER_HELP = (
    "the replay buffer is disabled in the OBS profile: in OBS open Settings → Output → "
    "Replay Buffer, tick 'Enable Replay Buffer' (set 'Maximum Replay Time'), press OK, then "
    "restart OBS or switch the profile away and back so OBS rebuilds its outputs"
)


async def ensure_local_folder(url: str, folder: str | PurePath) -> None:
    """OBS refuses to record into a missing folder; create it when OBS runs on this machine."""
    host = urlsplit(url).hostname or ""
    if host in _LOCAL_HOSTS:
        await asyncio.to_thread(Path(folder).mkdir, parents=True, exist_ok=True)


def replay_buffer_disabled(code: int | None = None) -> ObsError:
    return ObsError(REPLAY_BUFFER_HELP, code=code)


class ConnectionState(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    AUTHENTICATING = "authenticating"
    CONNECTED = "connected"
    CLOSING = "closing"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class CloseInfo:
    """How a connection ended: the WebSocket close code (None if none) and reason."""

    code: int | None
    reason: str = ""


@runtime_checkable
class ObsControl(Protocol):
    """What the station can ask of one OBS, whatever the protocol version.

    Every call raises ``ObsUnavailable`` when OBS is not connected or does not answer
    in time, and ``ObsError`` (with ``code``) when OBS refuses the request.
    """

    async def get_version(self) -> ObsVersion: ...
    async def list_scenes(self) -> list[str]: ...
    async def current_scene(self) -> str: ...
    async def switch_scene(self, scene: str) -> None: ...
    async def create_scene(self, scene: str) -> bool:
        """Create ``scene`` if missing; True if it was created, False if it existed."""
        ...

    async def set_record_folder(self, folder: str | PurePath) -> None: ...
    async def set_filename_pattern(self, pattern: str) -> None: ...
    async def start_recording(
        self, *, folder: str | PurePath | None = None, filename_pattern: str | None = None
    ) -> str | None:
        """Start recording; returns the file OBS writes to, if OBS tells."""
        ...

    async def stop_recording(self) -> str | None: ...
    async def recording_status(self) -> OutputStatus: ...
    async def start_replay_buffer(self) -> None: ...
    async def stop_replay_buffer(self) -> None: ...
    async def save_replay_buffer(self, *, timeout_s: float = 15.0) -> str:
        """Save the buffer; returns the path of the saved clip."""
        ...

    async def replay_buffer_status(self) -> OutputStatus: ...
    async def set_replay_buffer_seconds(self, seconds: int) -> None: ...
    async def set_replay_folder(self, folder: str | PurePath) -> None: ...
    async def start_streaming(self) -> None: ...
    async def stop_streaming(self) -> None: ...
    async def streaming_status(self) -> OutputStatus: ...
    async def set_stream_server(self, server: str, key: str = "") -> None: ...
    async def get_stats(self) -> ObsStats: ...


@runtime_checkable
class ObsSession(ObsControl, Protocol):
    """An ObsControl with a connection life-cycle: what :class:`ObsPool` manages."""

    @property
    def state(self) -> ConnectionState: ...
    @property
    def version(self) -> ObsVersion | None: ...
    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    async def wait_closed(self) -> CloseInfo: ...
    def subscribe(self, callback: EventCallback) -> Unsubscribe: ...
