"""Values made safe for JSON and SQLite text, whatever they hold.

The parser bounds what it produces, but the encoders (the state JSON, a message's
dict, the store's event JSON) must never fail on a stored field even so: one bad
value would otherwise fail a whole write batch or answer every `/api/v1/state` with
a 500 until the value is replaced. Hence: text with lone surrogates gets U+FFFD (it
cannot be encoded as UTF-8), floats that are not finite become null (`NaN` is no
JSON), and integers too big for JSON readers become a short description (Python
refuses to print one of more than 4,300 digits). `json_ready` checks in one C-speed
pass first, so the usual, clean value costs no walk.
"""

from __future__ import annotations

import json
import math
from typing import Any, TypeVar

__all__ = ["INT_BITS", "json_ready", "json_safe", "safe_text"]

T = TypeVar("T")
_strict = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False).encode

#: Larger integers are no JSON number any reader keeps (JavaScript keeps 53 bits).
INT_BITS = 63


def safe_text(text: str) -> str:
    """``text`` if it encodes as UTF-8; else lone surrogates replaced by U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def json_ready(value: T) -> T:
    """``value`` itself if it encodes as strict JSON in UTF-8, else `json_safe(value)`."""
    try:
        _strict(value).encode("utf-8")
    except ValueError:  # NaN, a huge int, a lone surrogate (UnicodeEncodeError)
        safe: T = json_safe(value)
        return safe
    return value


def json_safe(value: Any) -> Any:
    """``value`` with every str, float and int inside made safe (dicts, lists, tuples)."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= INT_BITS else \
            f"integer of {value.bit_length()} bits"
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {safe_text(k) if isinstance(k, str) else str(json_safe(k)): json_safe(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return safe_text(str(value))
