"""In-memory OBS pool and player for fast component tests (the real ones are in peers)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from restrike.errors import ObsError, ObsUnavailable, PlayerError
from restrike.obs.control import ConnectionState
from restrike.obs.events import (
    OutputState,
    OutputStatus,
    RecordStateChanged,
    ReplayBufferStateChanged,
)
from restrike.obs.settings import ConnectionEvent, ObsStatus
from restrike.playback import PlaybackClosed, PlayerRestarted, PlayerStatus


class FakeControl:
    def __init__(self, conn: FakeConn, folder: Path) -> None:
        self.conn = conn
        self.folder = folder
        self.calls: list[tuple[Any, ...]] = []
        self.recording = False
        self.replay = False
        self.scene = "LIVE_SCENE"
        self.save_delay = 0.05
        self.fail_save: Exception | None = None
        self.pattern = "x"
        self.record_folder = folder
        self.saved = 0
        self.fail_scene: Exception | None = None

    async def request(self, request_type: str, data: Any = None) -> dict[str, Any]:
        self.calls.append(("request", request_type, data))
        return {}

    async def switch_scene(self, scene: str) -> None:
        if self.fail_scene is not None:
            raise self.fail_scene
        self.calls.append(("switch_scene", scene))
        self.scene = scene

    async def create_scene(self, scene: str) -> bool:
        return True

    async def recording_status(self) -> OutputStatus:
        return OutputStatus(self.recording, duration_ms=30_000 if self.recording else None)

    async def replay_buffer_status(self) -> OutputStatus:
        return OutputStatus(self.replay)

    async def stop_recording(self) -> str | None:
        self.calls.append(("stop_recording",))
        self.recording = False
        return None

    async def stop_replay_buffer(self) -> None:
        self.replay = False

    async def set_record_folder(self, folder: Any) -> None:
        self.record_folder = Path(folder)
        self.calls.append(("set_record_folder", str(folder)))

    async def set_filename_pattern(self, pattern: str) -> None:
        self.pattern = pattern
        self.calls.append(("set_filename_pattern", pattern))

    async def set_replay_buffer_seconds(self, seconds: int) -> None:
        self.calls.append(("set_replay_buffer_seconds", seconds))

    async def start_recording(self) -> str:
        self.recording = True
        path = str(self.record_folder / (self.pattern.split("%")[0] + "12-00-00.mkv"))
        self.calls.append(("start_recording", path))
        self.conn.status = dataclasses.replace(self.conn.status, recording=True,
                                               record_path=path)
        self.conn.pool.publish(ConnectionEvent(self.conn.name, RecordStateChanged(
            True, OutputState.STARTED, path)))
        return path

    async def start_replay_buffer(self) -> None:
        self.calls.append(("start_replay_buffer",))
        self.replay = True
        self.conn.pool.publish(ConnectionEvent(self.conn.name, ReplayBufferStateChanged(
            True, OutputState.STARTED)))

    async def save_replay_buffer(self, *, timeout_s: float = 15.0) -> str:
        self.calls.append(("save_replay_buffer",))
        pool = self.conn.pool
        pool.saving += 1
        pool.max_saving = max(pool.max_saving, pool.saving)
        try:
            await asyncio.sleep(self.save_delay)
        finally:
            pool.saving -= 1
        if self.fail_save is not None:
            raise self.fail_save
        self.saved += 1
        path = self.record_folder / f"Replay {self.conn.name} {self.saved}.mkv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"clip")
        return str(path)


class FakeConn:
    def __init__(self, pool: FakePool, name: str, role: str, folder: Path) -> None:
        self.pool = pool
        self.name = name
        self.angle_name = name
        self.role = role
        self.status = ObsStatus(name, role, ConnectionState.CONNECTED)  # type: ignore[arg-type]
        self._client = FakeControl(self, folder)
        self.down = False

    @property
    def control(self) -> FakeControl:
        if self.down:
            raise ObsUnavailable(f"OBS {self.name!r} is not connected: connection refused")
        return self._client


class FakePool:
    def __init__(self, folder: Path, roles: dict[str, str] | None = None) -> None:
        roles = roles or {"rec": "recording", "live": "streaming"}
        self.conns = {n: FakeConn(self, n, r, folder) for n, r in roles.items()}
        self.subscribers: list[Callable[[Any], None]] = []
        self.saving = 0  # saves under way now, and the most at once
        self.max_saving = 0

    def __contains__(self, name: object) -> bool:
        return name in self.conns

    def get(self, name: str) -> FakeConn:
        return self.conns[name]

    def for_role(self, role: str) -> list[FakeConn]:
        return [c for c in self.conns.values()
                if c.role == role or (c.role == "both" and role != "angle")]

    def statuses(self) -> list[ObsStatus]:
        return [c.status for c in self.conns.values()]

    def subscribe(self, cb: Callable[[Any], None]) -> Callable[[], None]:
        self.subscribers.append(cb)
        return lambda: self.subscribers.remove(cb)

    def publish(self, item: Any) -> None:
        for cb in list(self.subscribers):
            cb(item)

    def set_down(self, name: str, down: bool) -> None:
        conn = self.conns[name]
        conn.down = down
        state = ConnectionState.DISCONNECTED if down else ConnectionState.CONNECTED
        conn.status = dataclasses.replace(conn.status, state=state,
                                          error="refused" if down else None)
        self.publish(conn.status)


class FakePlayer:
    def __init__(self) -> None:
        self.opened: list[tuple[str, float | None]] = []
        self.opened_angles: list[list[tuple[str, float]]] = []
        self.stopped = 0
        self.subscribers: list[Callable[[Any], None]] = []
        self.fail: Exception | None = None

    def subscribe(self, cb: Callable[[Any], None]) -> Callable[[], None]:
        self.subscribers.append(cb)
        return lambda: self.subscribers.remove(cb)

    def status(self) -> PlayerStatus:
        return PlayerStatus(file=self.opened[-1][0] if self.opened else None)

    async def open(self, path: str | os.PathLike[str], start: float | None = None, *,
                   paused: bool = False) -> None:
        if self.fail is not None:
            raise self.fail
        self.opened.append((str(path), start))

    async def open_angles(self, angles: Sequence[tuple[str | os.PathLike[str], float]],
                          start: float | None = None, *, paused: bool = False) -> None:
        if self.fail is not None:
            raise self.fail
        self.opened.append((str(angles[0][0]), start))
        self.opened_angles.append([(str(path), offset) for path, offset in angles])

    async def stop(self) -> None:
        self.stopped += 1

    def emit(self, event: Any) -> None:
        for cb in list(self.subscribers):
            cb(event)

    def close_by_user(self) -> None:
        self.emit(PlaybackClosed(self.opened[-1][0], "user"))

    def restart(self) -> None:
        self.emit(PlaybackClosed(self.opened[-1][0], "crashed"))
        self.emit(PlayerRestarted(1, 1234))


__all__ = ["FakeConn", "FakeControl", "FakePlayer", "FakePool", "ObsError", "PlayerError"]
