"""Typed messages: what the parser produces and the encoder consumes.

The protocol is schema-driven, so one `Message` class carries every known code
(its `kind` and typed `fields` come from the definition file). Anything that is not
a well-formed known message becomes `Unknown` or `Invalid` with the raw text and a
reason: nothing is ever dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from restrike.protocol.jsonsafe import json_ready

__all__ = ["Invalid", "Message", "Parsed", "Unknown", "Value", "message_to_dict"]

Value = int | str | None


@dataclass(frozen=True, slots=True)
class Message:
    """A well-formed message of a code the protocol file defines."""

    code: str
    kind: str
    athlete: int | None
    fields: dict[str, Value]
    raw: str = field(default="", compare=False)
    # The datagram was cut short by the sender (see the protocol notes); kept as it came.
    truncated: bool = field(default=False, compare=False)
    # The field the cut may have ended inside (its value is a prefix of what was sent);
    # None when the cut fell on a field boundary (or the message is whole).
    partial: str | None = field(default=None, compare=False)

    error: ClassVar[None] = None

    def get(self, name: str, default: Value = None) -> Value:
        return self.fields.get(name, default)


@dataclass(frozen=True, slots=True)
class Unknown:
    """A code the protocol file does not define."""

    code: str
    raw: str
    reason: str

    kind: ClassVar[str] = "unknown"
    athlete: ClassVar[None] = None

    @property
    def error(self) -> str:
        return self.reason


@dataclass(frozen=True, slots=True)
class Invalid:
    """A known code with arguments that break its definition, or bytes that are no message."""

    code: str | None
    raw: str
    reason: str
    athlete: int | None = None

    kind: ClassVar[str] = "invalid"

    @property
    def error(self) -> str:
        return self.reason


Parsed = Message | Unknown | Invalid


def message_to_dict(msg: Parsed) -> dict[str, Any]:
    """The JSON shape shared by `restrike decode`, the store and the API (always
    encodable: see `json_ready`)."""
    if isinstance(msg, Message):
        out: dict[str, Any] = {
            "code": msg.code,
            "kind": msg.kind,
            "athlete": msg.athlete,
            "args": dict(msg.fields),
            "raw": msg.raw,
            "error": None,
        }
        if msg.truncated:
            out["truncated"] = True
        return json_ready(out)
    return json_ready({
        "code": msg.code,
        "kind": msg.kind,
        "athlete": msg.athlete,
        "args": {},
        "raw": msg.raw,
        "error": msg.reason,
    })
