"""A fake OBS with obs-websocket 4.9.1 (the only fake: no real v4 server installs here).

Follows the published 4.9.1 protocol: GetAuthRequired/Authenticate (same auth string
as v5), ``message-id`` replies with ``status`` ok/error and the 4.9.1 error texts,
``update-type`` events with ``stream-timecode``/``rec-timecode`` while outputs run, and
SaveReplayBuffer that writes a file but reports no path.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

Reply = dict[str, Any]


def _b64sha(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


class FakeObsV4:
    def __init__(self, folder: Path, *, password: str | None = None,
                 replay_enabled: bool = True) -> None:
        self.folder = folder
        self.password = password
        self.replay_enabled = replay_enabled
        self.salt = base64.b64encode(secrets.token_bytes(16)).decode()
        self.challenge = base64.b64encode(secrets.token_bytes(16)).decode()
        self.scenes = ["Scene", "Replay"]
        self.current = "Scene"
        self.recording = False
        self.streaming = False
        self.replay = False
        self.filename_format = "%CCYY-%MM-%DD %hh-%mm-%ss"
        self.stream_settings: dict[str, Any] = {}
        self.started_at: dict[str, float] = {}
        self.record_file: str | None = None
        self.port = 0
        self.born = time.monotonic()
        self._server: Server | None = None
        self._clients: set[ServerConnection] = set()
        self._authed: set[ServerConnection] = set()
        self.requests: list[str] = []
        self._pending: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> None:
        self._server = await serve(self._session, "127.0.0.1", port, compression=None)
        self.port = port or self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        await asyncio.gather(*self._pending, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
            self._clients.clear()
            self._authed.clear()

    async def _session(self, ws: ServerConnection) -> None:
        self._clients.add(ws)
        if self.password is None:
            self._authed.add(ws)
        try:
            async for frame in ws:
                await ws.send(json.dumps(await self._dispatch(ws, json.loads(frame))))
        except ConnectionClosed:
            pass
        finally:
            self._clients.discard(ws)
            self._authed.discard(ws)

    async def _dispatch(self, ws: ServerConnection, msg: dict[str, Any]) -> Reply:
        mid = msg.get("message-id")
        if mid is None:
            return {"status": "error", "error": "missing request parameters"}
        kind = str(msg.get("request-type", ""))
        self.requests.append(kind)
        reply: Reply = {"message-id": mid}
        handler = self._handlers().get(kind)
        if handler is None:
            return reply | {"status": "error", "error": "invalid request type"}
        if ws not in self._authed and kind not in ("GetAuthRequired", "Authenticate"):
            return reply | {"status": "error", "error": "Not Authenticated"}
        try:
            data = await handler(ws, msg)
        except _Failed as failed:
            return reply | {"status": "error", "error": str(failed)}
        return reply | {"status": "ok"} | data

    def _handlers(self) -> dict[str, Callable[[ServerConnection, dict[str, Any]],
                                              Awaitable[Reply]]]:
        return {name[3:]: getattr(self, name) for name in dir(self) if name.startswith("rq_")}

    # -- events -----------------------------------------------------------------

    def _timecode(self, key: str) -> str:
        seconds = time.monotonic() - self.started_at.get(key, time.monotonic())
        whole = int(seconds)
        millis = int(seconds % 1 * 1000)
        return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}.{millis:03d}"

    async def emit(self, update_type: str, **fields: Any) -> None:
        event: Reply = {"update-type": update_type} | fields
        if self.streaming:
            event["stream-timecode"] = self._timecode("stream")
        if self.recording:
            event["rec-timecode"] = self._timecode("record")
        for ws in list(self._authed):
            with contextlib.suppress(ConnectionClosed):
                await ws.send(json.dumps(event))

    def _later(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro, name="fake-obs-v4 event")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # -- authentication -----------------------------------------------------------

    async def rq_GetAuthRequired(self, ws: ServerConnection, msg: Reply) -> Reply:
        if self.password is None:
            return {"authRequired": False}
        return {"authRequired": True, "challenge": self.challenge, "salt": self.salt}

    async def rq_Authenticate(self, ws: ServerConnection, msg: Reply) -> Reply:
        if ws in self._authed:
            raise _Failed("already authenticated")
        if "auth" not in msg:
            raise _Failed("missing request parameters")
        expected = _b64sha(_b64sha(f"{self.password}{self.salt}") + self.challenge)
        if msg["auth"] != expected:
            raise _Failed("Authentication Failed.")
        self._authed.add(ws)
        return {}

    # -- general and scenes ---------------------------------------------------------

    async def rq_GetVersion(self, ws: ServerConnection, msg: Reply) -> Reply:
        return {
            "version": 1.1,
            "obs-websocket-version": "4.9.1",
            "obs-studio-version": "27.2.4",
            "available-requests": ",".join(sorted(self._handlers())),
            "supported-image-export-formats": "png,jpg",
        }

    async def rq_GetStats(self, ws: ServerConnection, msg: Reply) -> Reply:
        """4.9.1's OBSStats; the frame counts grow with the time since start, one frame in
        a hundred skipped in encoding."""
        frames = int((time.monotonic() - self.born) * 30)
        return {"stats": {"fps": 30.0, "render-total-frames": frames,
                          "render-missed-frames": 0, "output-total-frames": frames,
                          "output-skipped-frames": frames // 100, "average-frame-time": 1.5,
                          "cpu-usage": 3.0, "memory-usage": 120.0,
                          "free-disk-space": 50_000.0}}

    async def rq_GetSceneList(self, ws: ServerConnection, msg: Reply) -> Reply:
        return {"current-scene": self.current,
                "scenes": [{"name": s, "sources": []} for s in self.scenes]}

    async def rq_GetCurrentScene(self, ws: ServerConnection, msg: Reply) -> Reply:
        return {"name": self.current, "sources": []}

    async def rq_SetCurrentScene(self, ws: ServerConnection, msg: Reply) -> Reply:
        name = msg.get("scene-name")
        if name is None:
            raise _Failed("missing request parameters")
        if name not in self.scenes:
            raise _Failed("requested scene does not exist")
        self.current = name
        self._later(self.emit("SwitchScenes", **{"scene-name": name, "sources": []}))
        return {}

    async def rq_CreateScene(self, ws: ServerConnection, msg: Reply) -> Reply:
        name = msg.get("sceneName")
        if name is None:
            raise _Failed("missing request parameters")
        if name in self.scenes:
            raise _Failed("scene with this name already exists")
        self.scenes.append(name)
        return {}

    # -- recording --------------------------------------------------------------

    async def rq_SetRecordingFolder(self, ws: ServerConnection, msg: Reply) -> Reply:
        self.folder = Path(msg["rec-folder"])
        return {}

    async def rq_GetRecordingFolder(self, ws: ServerConnection, msg: Reply) -> Reply:
        return {"rec-folder": str(self.folder)}

    async def rq_SetFilenameFormatting(self, ws: ServerConnection, msg: Reply) -> Reply:
        self.filename_format = msg["filename-formatting"]
        return {}

    async def rq_GetFilenameFormatting(self, ws: ServerConnection, msg: Reply) -> Reply:
        return {"filename-formatting": self.filename_format}

    def _file_name(self, prefix: str = "") -> Path:
        stamp = time.strftime(
            self.filename_format.replace("%CCYY", "%Y").replace("%hh", "%H")
            .replace("%mm", "%M").replace("%ss", "%S").replace("%MM", "%m")
            .replace("%DD", "%d")
        )
        return self.folder / f"{prefix}{stamp}.mkv"

    async def rq_StartRecording(self, ws: ServerConnection, msg: Reply) -> Reply:
        if self.recording:
            raise _Failed("recording already active")
        path = self._file_name()
        path.write_bytes(b"\x1a\x45\xdf\xa3")
        self.record_file = str(path)

        async def started() -> None:
            await self.emit("RecordingStarting", recordingFilename=str(path))
            self.recording = True
            self.started_at["record"] = time.monotonic()
            await self.emit("RecordingStarted", recordingFilename=str(path))

        self._later(started())
        return {}

    async def rq_StopRecording(self, ws: ServerConnection, msg: Reply) -> Reply:
        if not self.recording:
            raise _Failed("recording not active")

        async def stopped() -> None:
            await self.emit("RecordingStopping", recordingFilename=self.record_file)
            self.recording = False
            await self.emit("RecordingStopped", recordingFilename=self.record_file)

        self._later(stopped())
        return {}

    async def rq_GetRecordingStatus(self, ws: ServerConnection, msg: Reply) -> Reply:
        reply: Reply = {"isRecording": self.recording, "isRecordingPaused": False}
        if self.recording:
            reply["recordTimecode"] = self._timecode("record")
            reply["recordingFilename"] = self.record_file
        return reply

    # -- replay buffer ---------------------------------------------------------------

    async def rq_StartReplayBuffer(self, ws: ServerConnection, msg: Reply) -> Reply:
        if not self.replay_enabled:
            raise _Failed("replay buffer disabled in settings")
        if self.replay:
            raise _Failed("replay buffer already active")
        self.replay = True
        self._later(self.emit("ReplayStarting"))
        self._later(self.emit("ReplayStarted"))
        return {}

    async def rq_StopReplayBuffer(self, ws: ServerConnection, msg: Reply) -> Reply:
        if not self.replay:
            raise _Failed("replay buffer not active")
        self.replay = False
        self._later(self.emit("ReplayStopping"))
        self._later(self.emit("ReplayStopped"))
        return {}

    async def rq_SaveReplayBuffer(self, ws: ServerConnection, msg: Reply) -> Reply:
        if not self.replay:
            raise _Failed("replay buffer not active")
        path = self._file_name("Replay ")

        async def write() -> None:  # OBS writes the file a moment after answering
            await asyncio.sleep(0.2)
            path.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(1024))

        self._later(write())
        return {}

    async def rq_GetReplayBufferStatus(self, ws: ServerConnection, msg: Reply) -> Reply:
        return {"isReplayBufferActive": self.replay}

    # -- streaming ---------------------------------------------------------------

    async def rq_StartStreaming(self, ws: ServerConnection, msg: Reply) -> Reply:
        if self.streaming:
            raise _Failed("streaming already active")
        self.streaming = True
        self.started_at["stream"] = time.monotonic()
        self._later(self.emit("StreamStarted"))
        return {}

    async def rq_StopStreaming(self, ws: ServerConnection, msg: Reply) -> Reply:
        if not self.streaming:
            raise _Failed("streaming not active")
        self.streaming = False
        self._later(self.emit("StreamStopped"))
        return {}

    async def rq_GetStreamingStatus(self, ws: ServerConnection, msg: Reply) -> Reply:
        reply: Reply = {"streaming": self.streaming, "recording": self.recording,
                        "recording-paused": False, "virtualcam": False, "preview-only": False}
        if self.streaming:
            reply["stream-timecode"] = self._timecode("stream")
        if self.recording:
            reply["rec-timecode"] = self._timecode("record")
        return reply

    async def rq_SetStreamSettings(self, ws: ServerConnection, msg: Reply) -> Reply:
        if "type" not in msg or "settings" not in msg:
            raise _Failed("missing request parameters")
        self.stream_settings = {"type": msg["type"], "settings": msg["settings"]}
        return {}


class _Failed(Exception):
    """A request failure; the text is 4.9.1's error string."""
