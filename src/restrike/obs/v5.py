"""obs-websocket v5 client (OBS 28+): ``async with ObsClient(url, password) as obs``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from restrike.errors import ObsAuthError, ObsError, ObsProtocolError, ObsUnavailable
from restrike.obs import wire_v5 as wire
from restrike.obs._session import BaseClient
from restrike.obs.control import ensure_local_folder, replay_buffer_disabled
from restrike.obs.events import (
    ObsEvent,
    ObsStats,
    ObsVersion,
    OutputState,
    OutputStatus,
    RecordStateChanged,
    ReplayBufferSaved,
    ReplayBufferStateChanged,
    StreamStateChanged,
)
from restrike.obs.transport import Transport, TransportClosed, TransportFactory

__all__ = ["ObsClient"]

log = logging.getLogger(__name__)

#: A v5 server sends Hello as soon as the WebSocket opens; waiting longer means v4.
HELLO_TIMEOUT = 2.0

_FRIENDLY: dict[int, str] = {
    wire.RequestStatus.OUTPUT_RUNNING: "already running",
    wire.RequestStatus.OUTPUT_NOT_RUNNING: "not running",
    wire.RequestStatus.NOT_READY: "OBS is not ready yet, try again",
    wire.RequestStatus.RESOURCE_NOT_FOUND: "not found",
    wire.RequestStatus.UNKNOWN_REQUEST_TYPE: "this OBS does not know this request",
}
_REPLAY_DISABLED: set[int | None] = {
    wire.RequestStatus.INVALID_RESOURCE_STATE,
    wire.RequestStatus.OUTPUT_DISABLED,
    wire.RequestStatus.RESOURCE_NOT_FOUND,
}


class ObsClient(BaseClient):
    """One obs-websocket v5 connection; implements :class:`~restrike.obs.ObsSession`."""

    subprotocols = (wire.SUBPROTOCOL,)
    protocol = "v5"

    def __init__(
        self,
        url: str = "ws://127.0.0.1:4455",
        password: str | None = None,
        *,
        event_subscriptions: int = wire.EventSubscription.REPLAY_CONTROLLER,
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
        self.event_subscriptions = event_subscriptions

    # -- protocol -----------------------------------------------------------------

    async def _handshake(self, transport: Transport) -> None:
        # A v5 server greets at once; a v4 server waits for a request, so no Hello in
        # HELLO_TIMEOUT seconds (or another first message) is the other protocol.
        try:
            first = await asyncio.wait_for(self._recv_text(transport, "Hello"),
                                           min(HELLO_TIMEOUT, self.connect_timeout))
        except TimeoutError as err:
            raise ObsProtocolError(f"{self.url} sent no Hello within {HELLO_TIMEOUT:g} s: "
                                      "not obs-websocket v5 (v4?)") from err
        hello = wire.decode(first)
        if not isinstance(hello, wire.Hello):
            raise ObsProtocolError(f"{self.url} is not obs-websocket v5 (no Hello): {hello}")
        await transport.send(wire.encode_identify(hello, self.password, self.event_subscriptions))
        reply = await transport.recv()
        if isinstance(reply, TransportClosed):
            raise self._refused(reply)
        identified = wire.decode(reply)
        if not isinstance(identified, wire.Identified):
            raise ObsUnavailable(f"OBS at {self.url} answered Identify with {identified}")

    async def _recv_text(self, transport: Transport, what: str) -> str:
        frame = await transport.recv()
        if isinstance(frame, TransportClosed):
            raise self._refused(frame)
        return frame

    def _refused(self, closed: TransportClosed) -> ObsError:
        if closed.code == wire.CloseCode.AUTHENTICATION_FAILED:
            return ObsAuthError(
                f"OBS at {self.url} refused the password (close code 4009): check `password` "
                "in the [[obs]] entry against OBS → Tools → WebSocket Server Settings",
                code=closed.code,
            )
        if closed.code == wire.CloseCode.UNSUPPORTED_RPC_VERSION:
            return ObsError(f"OBS at {self.url} does not speak RPC version {wire.RPC_VERSION}",
                            code=closed.code)
        return ObsUnavailable(
            f"OBS at {self.url} closed the connection during the handshake "
            f"(code {closed.code} {closed.reason})".strip(),
            code=closed.code,
        )

    def _handle(self, text: str) -> None:
        msg = wire.decode(text)
        if isinstance(msg, wire.RequestResponse):
            self._resolve(msg.request_id, msg)
        elif isinstance(msg, wire.EventMessage):
            self._emit(wire.to_obs_event(msg))
        else:
            log.warning("ignoring message from OBS at %s: %s", self.url, msg)

    async def request(
        self,
        request_type: str,
        data: Mapping[str, Any] | None = None,
        *,
        timeout_s: float | None = None,
    ) -> Mapping[str, Any]:
        """Send one request; returns ``responseData`` or raises ObsError with ``code``."""
        rid = self._next_id()
        resp = await self._call(rid, wire.encode_request(request_type, rid, data), request_type,
                                timeout_s)
        assert isinstance(resp, wire.RequestResponse)
        if not resp.ok:
            hint = _FRIENDLY.get(resp.code, "")
            detail = "; ".join(p for p in (resp.comment, hint) if p)
            raise ObsError(f"OBS refused {request_type} (code {resp.code}): {detail}",
                           code=resp.code)
        return resp.data

    async def _read_version(self) -> ObsVersion:
        return await self.get_version()

    # -- general and scenes -------------------------------------------------------

    async def get_version(self) -> ObsVersion:
        d = await self.request("GetVersion")
        return ObsVersion(
            obs_version=str(d.get("obsVersion", "")),
            websocket_version=str(d.get("obsWebSocketVersion", "")),
            rpc_version=int(d.get("rpcVersion", wire.RPC_VERSION)),
            available_requests=frozenset(d.get("availableRequests", ())),
            platform=str(d.get("platformDescription", d.get("platform", ""))),
        )

    def has_request(self, request_type: str) -> bool:
        return self._version is not None and request_type in self._version.available_requests

    async def list_scenes(self) -> list[str]:
        d = await self.request("GetSceneList")
        scenes = sorted(d.get("scenes", ()), key=lambda s: -int(s.get("sceneIndex", 0)))
        return [str(s["sceneName"]) for s in scenes]

    async def current_scene(self) -> str:
        d = await self.request("GetCurrentProgramScene")
        return str(d["currentProgramSceneName"])

    async def switch_scene(self, scene: str) -> None:
        await self.request("SetCurrentProgramScene", {"sceneName": scene})

    async def create_scene(self, scene: str) -> bool:
        try:
            await self.request("CreateScene", {"sceneName": scene})
        except ObsError as err:
            if err.code == wire.RequestStatus.RESOURCE_ALREADY_EXISTS:
                return False
            raise
        return True

    # -- profile parameters -------------------------------------------------------

    async def _advanced_output(self) -> bool:
        d = await self.request(
            "GetProfileParameter", {"parameterCategory": "Output", "parameterName": "Mode"}
        )
        return str(d.get("parameterValue") or "Simple") == "Advanced"

    async def _set_param(self, category: str, name: str, value: str) -> None:
        await self.request(
            "SetProfileParameter",
            {"parameterCategory": category, "parameterName": name, "parameterValue": value},
        )

    async def set_record_folder(self, folder: str | PurePath) -> None:
        """SetRecordDirectory where OBS has it (5.3+), else the profile parameter."""
        await ensure_local_folder(self.url, folder)
        if self.has_request("SetRecordDirectory"):
            await self.request("SetRecordDirectory", {"recordDirectory": str(folder)})
        elif await self._advanced_output():
            await self._set_param("AdvOut", "RecFilePath", str(folder))
        else:
            await self._set_param("SimpleOutput", "FilePath", str(folder))

    async def set_filename_pattern(self, pattern: str) -> None:
        await self._set_param("Output", "FilenameFormatting", pattern)

    # -- recording ----------------------------------------------------------------

    async def start_recording(
        self, *, folder: str | PurePath | None = None, filename_pattern: str | None = None
    ) -> str | None:
        if folder is not None or filename_pattern is not None:
            if (await self.recording_status()).active:
                raise ObsError("OBS is already recording: stop it before changing the folder",
                               code=wire.RequestStatus.OUTPUT_RUNNING)
            if folder is not None:
                await self.set_record_folder(folder)
            if filename_pattern is not None:
                await self.set_filename_pattern(filename_pattern)
        with self._expect(_record_started_or_stopped) as started:
            await self.request("StartRecord")
            event = await self._wait_event(started, 15, "RecordStateChanged(started)")
        assert isinstance(event, RecordStateChanged)
        if event.state is not OutputState.STARTED:
            raise ObsError(
                "OBS stopped the recording at once: check that the recording folder exists "
                "and is writable on the OBS machine and that the file name pattern is valid"
            )
        return event.path

    async def stop_recording(self) -> str | None:
        """Returns once OBS has finished the file (RecordStateChanged stopped)."""
        with self._expect(_record_stopped) as stopped:
            d = await self.request("StopRecord")
            event = await self._wait_event(stopped, 30, "RecordStateChanged(stopped)")
        assert isinstance(event, RecordStateChanged)
        path = event.path or d.get("outputPath")
        return str(path) if path else None

    async def recording_status(self) -> OutputStatus:
        return _status(await self.request("GetRecordStatus"))

    async def get_stats(self) -> ObsStats:
        stats = await self.request("GetStats")
        record = await self.request("GetRecordStatus")
        size = record.get("outputBytes")
        return ObsStats(
            render_skipped=int(stats.get("renderSkippedFrames") or 0),
            render_total=int(stats.get("renderTotalFrames") or 0),
            output_skipped=int(stats.get("outputSkippedFrames") or 0),
            output_total=int(stats.get("outputTotalFrames") or 0),
            fps=stats.get("activeFps"),
            record_bytes=int(size) if record.get("outputActive") and size is not None else None)

    # -- replay buffer ------------------------------------------------------------

    async def _replay_request(self, request_type: str) -> Mapping[str, Any]:
        try:
            return await self.request(request_type)
        except ObsError as err:
            if err.code in _REPLAY_DISABLED:
                raise replay_buffer_disabled(err.code) from err
            raise

    async def _switch_output(
        self,
        request_type: str,
        kind: type[ReplayBufferStateChanged | StreamStateChanged],
        target: OutputState,
        timeout_s: float = 15.0,
    ) -> None:
        """Send a start/stop request and return once OBS reports the output's new state."""

        def settled(event: ObsEvent) -> bool:
            return isinstance(event, kind) and event.state in (OutputState.STARTED,
                                                               OutputState.STOPPED)

        with self._expect(settled) as done:
            if kind is ReplayBufferStateChanged:
                await self._replay_request(request_type)
            else:
                await self.request(request_type)
            event = await self._wait_event(done, timeout_s, f"{kind.__name__} after "
                                           f"{request_type}")
        assert isinstance(event, kind)
        if event.state is not target:
            raise ObsError(f"OBS stopped the output right after {request_type}: see the OBS "
                           "log (for a stream: is the server reachable and the key right?)")

    async def start_replay_buffer(self) -> None:
        await self._switch_output("StartReplayBuffer", ReplayBufferStateChanged,
                                  OutputState.STARTED)

    async def stop_replay_buffer(self) -> None:
        await self._switch_output("StopReplayBuffer", ReplayBufferStateChanged,
                                  OutputState.STOPPED)

    async def save_replay_buffer(self, *, timeout_s: float = 15.0) -> str:
        with self._expect(_replay_saved) as saved:
            await self._replay_request("SaveReplayBuffer")
            event = await self._wait_event(saved, timeout_s, "ReplayBufferSaved event")
        assert isinstance(event, ReplayBufferSaved)
        return event.path

    async def replay_buffer_status(self) -> OutputStatus:
        return _status(await self._replay_request("GetReplayBufferStatus"))

    async def set_replay_buffer_seconds(self, seconds: int) -> None:
        """Applies the next time the replay buffer starts."""
        if seconds < 1:
            raise ObsError(f"replay buffer length must be at least 1 s, not {seconds}")
        section = "AdvOut" if await self._advanced_output() else "SimpleOutput"
        await self._set_param(section, "RecRBTime", str(int(seconds)))

    async def set_replay_folder(self, folder: str | PurePath) -> None:
        """OBS saves replays into the recording folder: this sets that folder."""
        await self.set_record_folder(folder)

    # -- streaming ----------------------------------------------------------------

    async def start_streaming(self) -> None:
        await self._switch_output("StartStream", StreamStateChanged, OutputState.STARTED, 30)

    async def stop_streaming(self) -> None:
        await self._switch_output("StopStream", StreamStateChanged, OutputState.STOPPED, 30)

    async def streaming_status(self) -> OutputStatus:
        return _status(await self.request("GetStreamStatus"))

    async def set_stream_server(self, server: str, key: str = "") -> None:
        await self.request(
            "SetStreamServiceSettings",
            {"streamServiceType": "rtmp_custom",
             "streamServiceSettings": {"server": server, "key": key}},
        )


def _status(d: Mapping[str, Any]) -> OutputStatus:
    duration = d.get("outputDuration")
    return OutputStatus(
        active=bool(d.get("outputActive")),
        timecode=d.get("outputTimecode"),
        duration_ms=int(duration) if duration is not None else None,
        reconnecting=bool(d.get("outputReconnecting", False)),
        paused=bool(d.get("outputPaused", False)),
    )


def _record_started_or_stopped(event: ObsEvent) -> bool:
    return isinstance(event, RecordStateChanged) and event.state in (
        OutputState.STARTED,
        OutputState.STOPPED,
    )


def _record_stopped(event: ObsEvent) -> bool:
    return isinstance(event, RecordStateChanged) and event.state is OutputState.STOPPED


def _replay_saved(event: ObsEvent) -> bool:
    return isinstance(event, ReplayBufferSaved)
