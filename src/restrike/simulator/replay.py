"""Captures back into timed datagrams for `restrike simulate replay`."""

from __future__ import annotations

import json
from collections.abc import Iterable

from restrike.protocol.capture import CaptureError, read_capture

__all__ = ["PLAIN_SPACING", "read_timed"]

PLAIN_SPACING = 0.1  # seconds between lines of a capture that has no times


def _decode_row(raw: bytes) -> dict[str, object] | None:
    """A line of `restrike decode` output (`raw` per message, no `data`), else None."""
    if not raw.lstrip().startswith(b"{"):
        return None
    try:
        obj = json.loads(raw)
    except ValueError:
        return None
    if isinstance(obj, dict) and "data" not in obj and isinstance(obj.get("raw"), str):
        return obj
    return None


def read_timed(lines: Iterable[bytes]) -> tuple[list[tuple[float, bytes]], list[str]]:
    """(seconds since the first datagram, bytes) pairs, and the lines that were skipped.

    Capture lines (`{"t", "data"}` or plain text) keep their bytes exactly. Rows of
    `restrike decode` output are regrouped by their `line` and re-sent as one datagram
    of `raw` texts ended by CR LF (the original terminators are not in that format).
    """
    out: list[tuple[float, bytes]] = []
    skipped: list[str] = []
    origin: float | None = None
    last = 0.0
    group_key: object = None

    def at(t: float | None) -> float:
        nonlocal origin, last
        if t is None:
            last = last + PLAIN_SPACING if out else 0.0
            return last
        if origin is None:
            origin = t
        last = max(0.0, t - origin)
        return last

    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        row = _decode_row(raw)
        if row is not None:
            t = row.get("t")
            key = (row.get("line"), t)
            text = str(row["raw"])
            if out and key == group_key and row.get("line") is not None:
                when, data = out[-1]
                out[-1] = (when, data[:-2] + b";" + text.encode("utf-8") + b"\r\n")
            else:
                when = at(float(t) if isinstance(t, int | float) else None)
                out.append((when, text.encode("utf-8") + b"\r\n"))
            group_key = key
            continue
        group_key = None
        for entry in read_capture([raw]):
            if isinstance(entry, CaptureError):
                skipped.append(f"line {number}: {entry.reason}")
            else:
                out.append((at(entry.t), entry.data))
    return out, skipped
