"""Capture files: the datagrams of a feed with their arrival times.

JSON Lines, one datagram per line: `{"t": <seconds>, "data": "<base64 of the bytes>"}`
(the station's export writes the same). A plain text file with one datagram per line
is accepted too. Reading never raises on a bad line: it yields a `CaptureError` entry
so the caller can report it with its line number and go on.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["CaptureError", "Datagram", "format_capture_line", "read_capture"]


@dataclass(frozen=True, slots=True)
class Datagram:
    t: float | None  # seconds (epoch or relative); None for plain-text lines
    data: bytes
    line: int


@dataclass(frozen=True, slots=True)
class CaptureError:
    line: int
    reason: str


def format_capture_line(t: float, data: bytes) -> str:
    return json.dumps({"t": round(t, 6), "data": base64.b64encode(data).decode("ascii")})


def _json_line(text: str, number: int) -> Datagram | CaptureError:
    try:
        obj = json.loads(text)
    except ValueError as err:
        return CaptureError(number, f"not JSON: {err}")
    if not isinstance(obj, dict) or "data" not in obj:
        return CaptureError(number, 'expected an object with "t" and "data"')
    t = obj.get("t")
    if t is not None and (isinstance(t, bool) or not isinstance(t, int | float)):
        return CaptureError(number, '"t" must be a number of seconds')
    try:
        data = base64.b64decode(str(obj["data"]), validate=True)
    except (binascii.Error, ValueError) as err:
        return CaptureError(number, f'"data" is not base64: {err}')
    return Datagram(float(t) if t is not None else None, data, number)


def read_capture(lines: Iterable[bytes]) -> Iterator[Datagram | CaptureError]:
    """Datagrams of a capture given as raw lines (bytes, so plain captures keep their bytes)."""
    for number, raw in enumerate(lines, start=1):
        stripped = raw.rstrip(b"\r\n")
        if not stripped.strip():
            continue
        if stripped.lstrip().startswith(b"{"):
            yield _json_line(stripped.decode("utf-8", errors="replace"), number)
        else:
            yield Datagram(None, stripped, number)
