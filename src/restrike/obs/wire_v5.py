"""obs-websocket v5 messages as values: envelopes in and out, auth string. No I/O.

The client feeds received text to :func:`decode` and sends what the ``encode_*``
functions return; everything here is a pure function over values.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag
from typing import Any

from restrike.errors import ObsAuthError
from restrike.obs.events import (
    CurrentProgramSceneChanged,
    ExitStarted,
    ObsEvent,
    OtherEvent,
    RecordStateChanged,
    ReplayBufferSaved,
    ReplayBufferStateChanged,
    StreamStateChanged,
    output_state,
)

__all__ = [
    "RPC_VERSION",
    "SUBPROTOCOL",
    "CloseCode",
    "EventMessage",
    "EventSubscription",
    "Hello",
    "Identified",
    "OpCode",
    "RequestResponse",
    "RequestStatus",
    "ServerMessage",
    "Undecodable",
    "auth_response",
    "decode",
    "encode_identify",
    "encode_request",
    "to_obs_event",
]

SUBPROTOCOL = "obswebsocket.json"
RPC_VERSION = 1


class OpCode(IntEnum):
    HELLO = 0
    IDENTIFY = 1
    IDENTIFIED = 2
    REIDENTIFY = 3
    EVENT = 5
    REQUEST = 6
    REQUEST_RESPONSE = 7
    REQUEST_BATCH = 8
    REQUEST_BATCH_RESPONSE = 9


class EventSubscription(IntFlag):
    NONE = 0
    GENERAL = 1
    CONFIG = 2
    SCENES = 4
    INPUTS = 8
    TRANSITIONS = 16
    FILTERS = 32
    OUTPUTS = 64
    SCENE_ITEMS = 128
    MEDIA_INPUTS = 256
    VENDORS = 512
    UI = 1024
    #: what a replay controller needs: General | Scenes | Outputs | MediaInputs = 325
    REPLAY_CONTROLLER = GENERAL | SCENES | OUTPUTS | MEDIA_INPUTS


class CloseCode(IntEnum):
    UNKNOWN_REASON = 4000
    MESSAGE_DECODE_ERROR = 4002
    MISSING_DATA_FIELD = 4003
    INVALID_DATA_FIELD_TYPE = 4004
    INVALID_DATA_FIELD_VALUE = 4005
    UNKNOWN_OP_CODE = 4006
    NOT_IDENTIFIED = 4007
    ALREADY_IDENTIFIED = 4008
    AUTHENTICATION_FAILED = 4009
    UNSUPPORTED_RPC_VERSION = 4010
    SESSION_INVALIDATED = 4011
    UNSUPPORTED_FEATURE = 4012


class RequestStatus(IntEnum):
    SUCCESS = 100
    MISSING_REQUEST_TYPE = 203
    UNKNOWN_REQUEST_TYPE = 204
    GENERIC_ERROR = 205
    NOT_READY = 207
    MISSING_REQUEST_FIELD = 300
    MISSING_REQUEST_DATA = 301
    INVALID_REQUEST_FIELD = 400
    INVALID_REQUEST_FIELD_TYPE = 401
    REQUEST_FIELD_OUT_OF_RANGE = 402
    REQUEST_FIELD_EMPTY = 403
    OUTPUT_RUNNING = 500
    OUTPUT_NOT_RUNNING = 501
    OUTPUT_PAUSED = 502
    OUTPUT_NOT_PAUSED = 503
    OUTPUT_DISABLED = 504
    STUDIO_MODE_ACTIVE = 505
    STUDIO_MODE_NOT_ACTIVE = 506
    RESOURCE_NOT_FOUND = 600
    RESOURCE_ALREADY_EXISTS = 601
    INVALID_RESOURCE_TYPE = 602
    NOT_ENOUGH_RESOURCES = 603
    INVALID_RESOURCE_STATE = 604
    INVALID_INPUT_KIND = 605
    RESOURCE_NOT_CONFIGURABLE = 606
    INVALID_FILTER_KIND = 607
    RESOURCE_CREATION_FAILED = 700
    RESOURCE_ACTION_FAILED = 701
    REQUEST_PROCESSING_FAILED = 702
    CANNOT_ACT = 703


@dataclass(frozen=True, slots=True)
class Hello:
    obs_websocket_version: str
    rpc_version: int
    challenge: str | None = None
    salt: str | None = None

    @property
    def auth_required(self) -> bool:
        return self.challenge is not None and self.salt is not None


@dataclass(frozen=True, slots=True)
class Identified:
    negotiated_rpc_version: int


@dataclass(frozen=True, slots=True)
class EventMessage:
    event_type: str
    intent: int
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RequestResponse:
    request_type: str
    request_id: str
    ok: bool
    code: int
    comment: str | None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Undecodable:
    """Text that is not a v5 server message; kept with the reason, never raised."""

    raw: str
    reason: str


ServerMessage = Hello | Identified | EventMessage | RequestResponse | Undecodable


def _b64_sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def auth_response(password: str, salt: str, challenge: str) -> str:
    """The ``authentication`` string: b64(sha256(b64(sha256(password + salt)) + challenge))."""
    return _b64_sha256(_b64_sha256(password + salt) + challenge)


def _dumps(op: OpCode, d: Mapping[str, Any]) -> str:
    return json.dumps({"op": int(op), "d": d}, separators=(",", ":"))


def encode_identify(
    hello: Hello,
    password: str | None,
    event_subscriptions: int = EventSubscription.REPLAY_CONTROLLER,
) -> str:
    """Answer a Hello; raises :class:`ObsAuthError` if OBS wants a password we lack."""
    d: dict[str, Any] = {"rpcVersion": RPC_VERSION, "eventSubscriptions": int(event_subscriptions)}
    if hello.auth_required:
        if not password:
            raise ObsAuthError(
                "OBS requires a password but none is configured: set `password` in the "
                "[[obs]] entry (OBS: Tools → WebSocket Server Settings → Show Connect Info)"
            )
        assert hello.salt is not None and hello.challenge is not None
        d["authentication"] = auth_response(password, hello.salt, hello.challenge)
    return _dumps(OpCode.IDENTIFY, d)


def encode_request(
    request_type: str, request_id: str, data: Mapping[str, Any] | None = None
) -> str:
    d: dict[str, Any] = {"requestType": request_type, "requestId": request_id}
    if data:
        d["requestData"] = dict(data)
    return _dumps(OpCode.REQUEST, d)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def decode(text: str | bytes) -> ServerMessage:
    """Turn one received text frame into a typed message (never raises)."""
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    try:
        msg = json.loads(raw)
    except ValueError as err:
        return Undecodable(raw, f"not JSON: {err}")
    if not isinstance(msg, dict) or not isinstance(msg.get("d"), dict):
        return Undecodable(raw, "not an {op, d} envelope")
    op, d = msg.get("op"), msg["d"]
    try:
        if op == OpCode.HELLO:
            auth = _mapping(d.get("authentication"))
            return Hello(
                obs_websocket_version=str(d["obsWebSocketVersion"]),
                rpc_version=int(d["rpcVersion"]),
                challenge=auth.get("challenge"),
                salt=auth.get("salt"),
            )
        if op == OpCode.IDENTIFIED:
            return Identified(int(d["negotiatedRpcVersion"]))
        if op == OpCode.EVENT:
            return EventMessage(
                str(d["eventType"]), int(d.get("eventIntent", 0)), _mapping(d.get("eventData"))
            )
        if op == OpCode.REQUEST_RESPONSE:
            status = _mapping(d["requestStatus"])
            return RequestResponse(
                request_type=str(d.get("requestType", "")),
                request_id=str(d["requestId"]),
                ok=bool(status["result"]),
                code=int(status["code"]),
                comment=status.get("comment"),
                data=_mapping(d.get("responseData")),
            )
    except (KeyError, TypeError, ValueError) as err:
        return Undecodable(raw, f"op {op}: missing or bad field {err}")
    return Undecodable(raw, f"unexpected op code {op!r}")


def to_obs_event(msg: EventMessage) -> ObsEvent:
    """Map a v5 event to the typed events the station understands."""
    d = msg.data
    kind = msg.event_type
    if kind == "RecordStateChanged":
        return RecordStateChanged(
            bool(d.get("outputActive")),
            output_state(str(d.get("outputState", ""))),
            d.get("outputPath") or None,
        )
    if kind == "StreamStateChanged":
        return StreamStateChanged(
            bool(d.get("outputActive")), output_state(str(d.get("outputState", "")))
        )
    if kind == "ReplayBufferStateChanged":
        return ReplayBufferStateChanged(
            bool(d.get("outputActive")), output_state(str(d.get("outputState", "")))
        )
    if kind == "ReplayBufferSaved":
        return ReplayBufferSaved(str(d.get("savedReplayPath", "")))
    if kind == "CurrentProgramSceneChanged":
        return CurrentProgramSceneChanged(str(d.get("sceneName", "")))
    if kind == "ExitStarted":
        return ExitStarted()
    return OtherEvent(kind, d)


