"""Row ↔ API shape helpers shared by the writer (commit rows) and the readers."""

from __future__ import annotations

import json
import math
import re
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

__all__ = ["day_bounds", "event_dict", "iso", "parse_day", "parse_since"]

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso(t: float | None) -> str | None:
    """Epoch seconds → ISO 8601 UTC with milliseconds and `Z` (floored, so filters agree)."""
    if t is None:
        return None
    whole = math.floor(t)
    ms = min(int((t - whole) * 1000), 999)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{ms:03d}Z"


def parse_since(value: str) -> float:
    """ISO 8601 date-time (a `Z` or offset; none means UTC) → epoch seconds; ValueError if bad."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"since must be an ISO 8601 date-time such as 2026-05-01T10:00:00Z, not {value!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def parse_day(value: str) -> date:
    """`YYYY-MM-DD` → date; ValueError naming the expected form."""
    if not isinstance(value, str) or not _DAY.match(value):
        raise ValueError(f"day must be a date YYYY-MM-DD, not {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"day must be a date YYYY-MM-DD, not {value!r}") from None


def day_bounds(day: date) -> tuple[float, float]:
    """Epoch seconds of local midnight at the start and end of a local date."""
    start = datetime(day.year, day.month, day.day).astimezone()
    end = (datetime(day.year, day.month, day.day) + timedelta(days=1)).astimezone()
    return start.timestamp(), end.timestamp()


def event_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    """(id, received_at, source, code, kind, athlete, args, raw, error, match, truncated)."""
    out: dict[str, Any] = {
        "id": row[0],
        "received_at": iso(row[1]),
        "source": row[2],
        "code": row[3],
        "kind": row[4],
        "athlete": row[5],
        "args": json.loads(row[6]) if row[6] else {},
        "raw": row[7],
        "error": row[8],
        "match": row[9],
    }
    if row[10]:
        out["truncated"] = True
    return out
