"""mpv JSON-IPC codec: commands to line bytes, line bytes to typed messages.

Pure ("sans-I/O"): no sockets, clocks or logging, so the client, the tests and any
future transport share one definition of the wire format. Decoding never raises:
anything that is not a well-formed reply or event becomes :class:`Invalid`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "MAX_LINE_BYTES",
    "Event",
    "Invalid",
    "LineDecoder",
    "Message",
    "PropertyChange",
    "Reply",
    "decode_line",
    "encode_command",
    "is_finite_number",
]

#: A single IPC line longer than this is dropped (mpv's own replies are far shorter).
MAX_LINE_BYTES: Final = 1 << 20

JsonScalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Reply:
    """mpv's answer to the request carrying ``request_id``."""

    request_id: int
    error: str
    data: Any = None

    @property
    def ok(self) -> bool:
        return self.error == "success"


@dataclass(frozen=True, slots=True)
class Event:
    """An asynchronous mpv event (``file-loaded``, ``end-file``, ``seek``...)."""

    name: str
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PropertyChange:
    """A ``property-change`` event from ``observe_property``; ``value`` None = unavailable."""

    observe_id: int
    name: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class Invalid:
    """A line that is not a reply or an event, with the reason it was rejected."""

    raw: bytes
    reason: str


Message = Reply | Event | PropertyChange | Invalid


def encode_command(command: Sequence[Any] | Mapping[str, Any], request_id: int) -> bytes:
    """One request line: positional (``["seek", 5, "relative"]``) or named (``{"name": ...}``).

    Raises ``ValueError`` for an empty command, a named command without ``name``, a
    negative or non-integer request id, or values JSON cannot carry (NaN, infinity).
    """
    if isinstance(request_id, bool) or not isinstance(request_id, int) or request_id < 0:
        raise ValueError(f"request_id must be a non-negative int, not {request_id!r}")
    if isinstance(command, Mapping):
        if not isinstance(command.get("name"), str) or not command["name"]:
            raise ValueError("a named command needs a non-empty 'name'")
        payload: Any = dict(command)
    else:
        if isinstance(command, str | bytes):
            raise ValueError("a positional command is a sequence of arguments, not a string")
        payload = list(command)
        if not payload or not isinstance(payload[0], str):
            raise ValueError("a positional command starts with its name")
    try:
        text = json.dumps(
            {"command": payload, "request_id": request_id},
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
        )
    except (TypeError, ValueError) as err:
        raise ValueError(f"command cannot be encoded as JSON: {err}") from err
    # json.dumps escapes control characters, so the line cannot contain a raw newline.
    return text.encode("utf-8") + b"\n"


def _parse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def decode_line(line: bytes) -> Message:
    """Decode one line (with or without its ``\\n``) into a typed message."""
    raw = line.rstrip(b"\r\n")
    try:
        obj = json.loads(raw.decode("utf-8"), parse_constant=_parse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        return Invalid(raw, f"not JSON: {type(err).__name__}")
    if not isinstance(obj, dict):
        return Invalid(raw, "not a JSON object")
    if "event" in obj:
        name = obj["event"]
        if not isinstance(name, str):
            return Invalid(raw, "event name is not a string")
        if name == "property-change":
            observe_id, prop = obj.get("id", 0), obj.get("name")
            if not _is_int(observe_id) or not isinstance(prop, str):
                return Invalid(raw, "property-change without an integer id and a name")
            return PropertyChange(observe_id, prop, obj.get("data"))
        return Event(name, {k: v for k, v in obj.items() if k != "event"})
    if "request_id" in obj or "error" in obj:
        request_id, error = obj.get("request_id", 0), obj.get("error")
        if not _is_int(request_id):
            return Invalid(raw, "request_id is not an integer")
        if not isinstance(error, str):
            return Invalid(raw, "reply without an error string")
        return Reply(request_id, error, obj.get("data"))
    return Invalid(raw, "neither an event nor a reply")


class LineDecoder:
    """Turns a byte stream into messages, whatever the chunking of the reads."""

    __slots__ = ("_buffer", "_discarding", "_max")

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self._buffer = bytearray()
        self._discarding = False
        self._max = max_line_bytes

    def feed(self, data: bytes) -> list[Message]:
        """Add received bytes; return every message completed by them."""
        out: list[Message] = []
        self._buffer += data
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > self._max:
                    if not self._discarding:
                        out.append(Invalid(bytes(self._buffer[:64]), "line too long"))
                    self._discarding = True
                    self._buffer.clear()
                return out
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if self._discarding:
                self._discarding = False
                continue
            if len(line) > self._max:
                out.append(Invalid(line[:64], "line too long"))
            elif line.strip():
                out.append(decode_line(line))

    @property
    def pending(self) -> int:
        """Bytes held waiting for the end of their line."""
        return len(self._buffer)


def is_finite_number(value: Any) -> bool:
    """True for an int/float that is not bool, NaN or infinite (mpv's numeric properties)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
