"""obs-websocket 4.9.1 messages as values (OBS 27 and older). No I/O.

Requests are ``{"request-type", "message-id", ...fields}``; replies carry the same
``message-id`` with ``status`` ``ok`` or ``error``; events carry ``update-type``.
Authentication uses the same string as v5 (:func:`restrike.obs.wire_v5.auth_response`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from restrike.obs.events import (
    CurrentProgramSceneChanged,
    ExitStarted,
    ObsEvent,
    OtherEvent,
    OutputState,
    RecordStateChanged,
    ReplayBufferStateChanged,
    StreamStateChanged,
)
from restrike.obs.wire_v5 import auth_response

__all__ = [
    "ERROR_REPLAY_DISABLED",
    "Response",
    "ServerMessage",
    "Undecodable",
    "Update",
    "auth_response",
    "decode",
    "encode_request",
    "to_obs_event",
]

#: 4.9.1's error text for StartReplayBuffer when the profile has no replay buffer
ERROR_REPLAY_DISABLED = "replay buffer disabled in settings"


@dataclass(frozen=True, slots=True)
class Response:
    message_id: str
    ok: bool
    error: str | None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Update:
    update_type: str
    data: Mapping[str, Any] = field(default_factory=dict)
    stream_timecode: str | None = None
    rec_timecode: str | None = None


@dataclass(frozen=True, slots=True)
class Undecodable:
    raw: str
    reason: str


ServerMessage = Response | Update | Undecodable


def encode_request(
    request_type: str, message_id: str, fields: Mapping[str, Any] | None = None
) -> str:
    msg: dict[str, Any] = {"request-type": request_type, "message-id": message_id}
    if fields:
        msg.update(fields)
    return json.dumps(msg, separators=(",", ":"))


def decode(text: str | bytes) -> ServerMessage:
    """One received frame as a typed message (never raises)."""
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    try:
        msg = json.loads(raw)
    except ValueError as err:
        return Undecodable(raw, f"not JSON: {err}")
    if not isinstance(msg, dict):
        return Undecodable(raw, "not a JSON object")
    if "update-type" in msg:
        data = {k: v for k, v in msg.items() if k not in _UPDATE_KEYS}
        return Update(
            str(msg["update-type"]), data, msg.get("stream-timecode"), msg.get("rec-timecode")
        )
    if "message-id" in msg and "status" in msg:
        data = {k: v for k, v in msg.items() if k not in _RESPONSE_KEYS}
        ok = msg["status"] == "ok"
        error = None if ok else str(msg.get("error", "unknown error"))
        return Response(str(msg["message-id"]), ok, error, data)
    return Undecodable(raw, "neither a response (message-id, status) nor an event (update-type)")


_UPDATE_KEYS = frozenset({"update-type", "stream-timecode", "rec-timecode"})
_RESPONSE_KEYS = frozenset({"message-id", "status", "error"})

_RECORDING = {
    "RecordingStarting": (False, OutputState.STARTING),
    "RecordingStarted": (True, OutputState.STARTED),
    "RecordingStopping": (True, OutputState.STOPPING),
    "RecordingStopped": (False, OutputState.STOPPED),
    "RecordingPaused": (True, OutputState.PAUSED),
    "RecordingResumed": (True, OutputState.RESUMED),
}
_STREAMING = {
    "StreamStarting": (False, OutputState.STARTING),
    "StreamStarted": (True, OutputState.STARTED),
    "StreamStopping": (True, OutputState.STOPPING),
    "StreamStopped": (False, OutputState.STOPPED),
}
_REPLAY = {
    "ReplayStarting": (False, OutputState.STARTING),
    "ReplayStarted": (True, OutputState.STARTED),
    "ReplayStopping": (True, OutputState.STOPPING),
    "ReplayStopped": (False, OutputState.STOPPED),
}


def to_obs_event(update: Update) -> ObsEvent:
    """Map a 4.9.1 update to the same typed events the v5 client emits."""
    kind, d = update.update_type, update.data
    if kind in _RECORDING:
        active, state = _RECORDING[kind]
        return RecordStateChanged(active, state, d.get("recordingFilename") or None)
    if kind in _STREAMING:
        active, state = _STREAMING[kind]
        return StreamStateChanged(active, state)
    if kind in _REPLAY:
        active, state = _REPLAY[kind]
        return ReplayBufferStateChanged(active, state)
    if kind == "SwitchScenes":
        return CurrentProgramSceneChanged(str(d.get("scene-name", "")))
    if kind == "Exiting":
        return ExitStarted()
    return OtherEvent(kind, d)
