"""obs-websocket 4.9.1 client (OBS 27 and older) behind the same contract as v5.

Differences the station should know: v4 cannot change the replay-buffer length, and
``SaveReplayBuffer`` reports no path, so the saved clip is found as the newest new file
in the recording folder (which must be visible from this machine).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

from restrike.errors import ObsAuthError, ObsError, ObsProtocolError, ObsUnavailable
from restrike.obs import wire_v4 as wire
from restrike.obs import wire_v5
from restrike.obs._session import BaseClient
from restrike.obs.control import ensure_local_folder, replay_buffer_disabled
from restrike.obs.events import (
    ObsEvent,
    ObsStats,
    ObsVersion,
    OutputState,
    OutputStatus,
    RecordStateChanged,
)
from restrike.obs.transport import Transport, TransportClosed, TransportFactory

__all__ = ["ObsClientV4"]

log = logging.getLogger(__name__)

_NOT_RUNNING = ("not active", "not streaming", "not recording")
_RUNNING = ("already active", "already streaming", "already recording")


class ObsClientV4(BaseClient):
    """One obs-websocket 4.9.x connection; implements :class:`~restrike.obs.ObsSession`."""

    protocol = "v4"

    def __init__(
        self,
        url: str = "ws://127.0.0.1:4444",
        password: str | None = None,
        *,
        request_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        transport_factory: TransportFactory | None = None,
    ) -> None:
        super().__init__(
            url,
            password,
            request_timeout=request_timeout,
            connect_timeout=connect_timeout,
            transport_factory=transport_factory,
        )

    # -- protocol -----------------------------------------------------------------

    async def _handshake(self, transport: Transport) -> None:
        auth = await self._handshake_request(transport, "GetAuthRequired", {})
        if not auth.data.get("authRequired"):
            return
        if not self.password:
            raise ObsAuthError(
                f"OBS at {self.url} requires a password but none is configured: set "
                "`password` in the [[obs]] entry"
            )
        reply = await self._handshake_request(
            transport,
            "Authenticate",
            {"auth": wire.auth_response(
                self.password, str(auth.data["salt"]), str(auth.data["challenge"])
            )},
        )
        if not reply.ok:
            raise ObsAuthError(
                f"OBS at {self.url} refused the password ({reply.error}): check `password` "
                "in the [[obs]] entry against OBS → Tools → WebSockets Server Settings"
            )

    async def _handshake_request(
        self, transport: Transport, request_type: str, fields: Mapping[str, Any]
    ) -> wire.Response:
        mid = f"hs-{self._next_id()}"
        await transport.send(wire.encode_request(request_type, mid, fields))
        while True:
            frame = await transport.recv()
            if isinstance(frame, TransportClosed):
                raise ObsUnavailable(
                    f"OBS at {self.url} closed the connection during the handshake "
                    f"(code {frame.code})",
                    code=frame.code,
                )
            msg = wire.decode(frame)
            if isinstance(msg, wire.Response) and msg.message_id == mid:
                if request_type == "GetAuthRequired" and not msg.ok:
                    raise ObsProtocolError(f"{self.url} is not obs-websocket 4.x: "
                                              f"{msg.error}")
                return msg
            if isinstance(wire_v5.decode(frame), wire_v5.Hello):
                raise ObsProtocolError(f"{self.url} speaks obs-websocket v5 (it sent "
                                          "Hello), not 4.x")

    def _handle(self, text: str) -> None:
        msg = wire.decode(text)
        if isinstance(msg, wire.Response):
            self._resolve(msg.message_id, msg)
        elif isinstance(msg, wire.Update):
            self._emit(wire.to_obs_event(msg))
        else:
            log.warning("ignoring message from OBS at %s: %s", self.url, msg)

    async def request(
        self,
        request_type: str,
        fields: Mapping[str, Any] | None = None,
        *,
        timeout_s: float | None = None,
    ) -> Mapping[str, Any]:
        """Send one 4.x request; returns the reply's fields or raises ObsError."""
        mid = self._next_id()
        resp = await self._call(
            mid, wire.encode_request(request_type, mid, fields), request_type, timeout_s
        )
        assert isinstance(resp, wire.Response)
        if not resp.ok:
            error = resp.error or "unknown error"
            raise ObsError(f"OBS refused {request_type}: {error}", code=_code_for(error))
        return resp.data

    async def _read_version(self) -> ObsVersion:
        return await self.get_version()

    # -- general and scenes -------------------------------------------------------

    async def get_version(self) -> ObsVersion:
        d = await self.request("GetVersion")
        requests = str(d.get("available-requests", ""))
        return ObsVersion(
            obs_version=str(d.get("obs-studio-version", "")),
            websocket_version=str(d.get("obs-websocket-version", "")),
            rpc_version=None,
            available_requests=frozenset(r for r in requests.split(",") if r),
        )

    async def list_scenes(self) -> list[str]:
        d = await self.request("GetSceneList")
        return [str(s["name"]) for s in d.get("scenes", ())]

    async def current_scene(self) -> str:
        return str((await self.request("GetCurrentScene"))["name"])

    async def switch_scene(self, scene: str) -> None:
        await self.request("SetCurrentScene", {"scene-name": scene})

    async def create_scene(self, scene: str) -> bool:
        if scene in await self.list_scenes():
            return False
        await self.request("CreateScene", {"sceneName": scene})
        return True

    # -- recording ----------------------------------------------------------------

    async def set_record_folder(self, folder: str | PurePath) -> None:
        await ensure_local_folder(self.url, folder)
        await self.request("SetRecordingFolder", {"rec-folder": str(folder)})

    async def set_filename_pattern(self, pattern: str) -> None:
        await self.request("SetFilenameFormatting", {"filename-formatting": pattern})

    async def start_recording(
        self, *, folder: str | PurePath | None = None, filename_pattern: str | None = None
    ) -> str | None:
        if folder is not None:
            await self.set_record_folder(folder)
        if filename_pattern is not None:
            await self.set_filename_pattern(filename_pattern)
        with self._expect(_recording_started) as started:
            await self.request("StartRecording")
            event = await self._wait_event(started, 15, "RecordingStarted event")
        assert isinstance(event, RecordStateChanged)
        return event.path

    async def stop_recording(self) -> str | None:
        with self._expect(_recording_stopped) as stopped:
            await self.request("StopRecording")
            event = await self._wait_event(stopped, 15, "RecordingStopped event")
        assert isinstance(event, RecordStateChanged)
        return event.path

    async def get_stats(self) -> ObsStats:
        d = (await self.request("GetStats")).get("stats") or {}
        return ObsStats(
            render_skipped=int(d.get("render-missed-frames") or 0),
            render_total=int(d.get("render-total-frames") or 0),
            output_skipped=int(d.get("output-skipped-frames") or 0),
            output_total=int(d.get("output-total-frames") or 0),
            fps=d.get("fps"))

    async def recording_status(self) -> OutputStatus:
        d = await self.request("GetRecordingStatus")
        return OutputStatus(
            active=bool(d.get("isRecording")),
            timecode=d.get("recordTimecode"),
            paused=bool(d.get("isRecordingPaused")),
        )

    # -- replay buffer ------------------------------------------------------------

    async def start_replay_buffer(self) -> None:
        try:
            await self.request("StartReplayBuffer")
        except ObsError as err:
            if wire.ERROR_REPLAY_DISABLED in str(err):
                raise replay_buffer_disabled(err.code) from err
            raise

    async def stop_replay_buffer(self) -> None:
        await self.request("StopReplayBuffer")

    async def save_replay_buffer(self, *, timeout_s: float = 15.0) -> str:
        """4.x returns no path: wait for a new, complete file in the recording folder."""
        folder = Path(str((await self.request("GetRecordingFolder"))["rec-folder"]))
        before = await asyncio.to_thread(_snapshot, folder)
        await self.request("SaveReplayBuffer")
        deadline = time.monotonic() + timeout_s
        last: tuple[Path, int] | None = None
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            newest = await asyncio.to_thread(_newest_new_file, folder, before)
            if newest is not None and newest == last:
                return str(newest[0])
            last = newest
        raise ObsUnavailable(
            f"OBS at {self.url} saved the replay buffer but no new file appeared in {folder} "
            f"within {timeout_s:g} s (obs-websocket 4 gives no path: the folder must be "
            "reachable from this machine)"
        )

    async def replay_buffer_status(self) -> OutputStatus:
        d = await self.request("GetReplayBufferStatus")
        return OutputStatus(active=bool(d.get("isReplayBufferActive")))

    async def set_replay_buffer_seconds(self, seconds: int) -> None:
        raise ObsError(
            "obs-websocket 4 cannot change the replay buffer length: set it in OBS under "
            "Settings → Output → Replay Buffer → Maximum Replay Time"
        )

    async def set_replay_folder(self, folder: str | PurePath) -> None:
        """OBS saves replays into the recording folder: this sets that folder."""
        await self.set_record_folder(folder)

    # -- streaming ----------------------------------------------------------------

    async def start_streaming(self) -> None:
        await self.request("StartStreaming")

    async def stop_streaming(self) -> None:
        await self.request("StopStreaming")

    async def streaming_status(self) -> OutputStatus:
        d = await self.request("GetStreamingStatus")
        return OutputStatus(active=bool(d.get("streaming")), timecode=d.get("stream-timecode"))

    async def set_stream_server(self, server: str, key: str = "") -> None:
        await self.request(
            "SetStreamSettings",
            {"type": "rtmp_custom", "settings": {"server": server, "key": key}, "save": True},
        )


def _code_for(error: str) -> int | None:
    """4.x errors are text only; give state errors the v5 codes so callers treat both alike."""
    text = error.lower()
    if any(p in text for p in _RUNNING):
        return 500
    if any(p in text for p in _NOT_RUNNING):
        return 501
    if "does not exist" in text or "not found" in text:
        return 600
    if wire.ERROR_REPLAY_DISABLED in text:
        return 604
    return None


def _snapshot(folder: Path) -> dict[Path, int]:
    try:
        return {p: p.stat().st_mtime_ns for p in folder.iterdir() if p.is_file()}
    except OSError:
        return {}


def _newest_new_file(folder: Path, before: dict[Path, int]) -> tuple[Path, int] | None:
    """The newest file that is new or changed since ``before``, with its size."""
    candidates = [
        (mtime, p)
        for p, mtime in _snapshot(folder).items()
        if before.get(p) != mtime
    ]
    if not candidates:
        return None
    _, path = max(candidates)
    try:
        return path, path.stat().st_size
    except OSError:
        return None


def _recording_started(event: ObsEvent) -> bool:
    return isinstance(event, RecordStateChanged) and event.state is OutputState.STARTED


def _recording_stopped(event: ObsEvent) -> bool:
    return isinstance(event, RecordStateChanged) and event.state is OutputState.STOPPED
