"""Keeping secrets out of what people see: URL credentials and secret-named values.

One place, so ``config show``, diagnostics, the settings page, OBS status and error
messages, ``/ws/live`` and the log all hide the same things the same way. Pure
functions over values; callers decide where to apply them.

    mask_url("ws://user:pw@host:4455")   → "ws://user:***@host:4455"
    mask_url("https://TOKEN@host/x")      → "https://***@host/x"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

__all__ = ["MASK", "mask_url", "mask_value", "redact", "restore_url", "restore_value"]

MASK = "***"

_SECRET_WORDS = ("password", "secret", "token", "key")

# A scheme, "://", then the userinfo: greedy up to the last "@" before the authority
# ends (at "/", "?", "#" or white space), as RFC 3986 and urllib split it.
_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://(?P<userinfo>[^\s/?#]*)@")


def _masked(userinfo: str) -> str:
    """``user:pw`` → ``user:***``; a user alone may be a token: ``***``."""
    user, colon, _password = userinfo.partition(":")
    return f"{user}:{MASK}" if colon else MASK


def mask_url(text: str) -> str:
    """``text`` with the credentials of every URL in it masked (idempotent).

    Works on a URL setting as well as on a message or log line that quotes one.
    """
    if "@" not in text:
        return text
    return _USERINFO.sub(lambda m: m[0][:m.start("userinfo") - m.start()]
                         + _masked(m["userinfo"]) + "@", text)


def restore_url(new: str, old: str | None) -> str:
    """The URL to save when ``new`` may be ``old`` as shown masked (the settings page
    sends back what it got): the masked credentials are taken from ``old`` again,
    also when the host or path changed. Anything else is returned as given."""
    if not old or MASK not in new:
        return new
    shown, real = _USERINFO.search(new), _USERINFO.search(old)
    if shown is None or real is None or _masked(real["userinfo"]) != shown["userinfo"]:
        return new
    return new[:shown.start("userinfo")] + real["userinfo"] + new[shown.end("userinfo"):]


def restore_value(new: object, old: object) -> object:
    """`restore_url` for a setting's value: text, or a list of texts item by item."""
    if isinstance(new, str):
        return restore_url(new, old if isinstance(old, str) else None)
    if isinstance(new, list) and isinstance(old, list | tuple) and len(new) == len(old):
        return [restore_value(n, o) for n, o in zip(new, old, strict=True)]
    return new


def redact(settings: Mapping[str, object]) -> dict[str, object]:
    """A copy with every value whose name looks secret replaced by ``"***"`` and the
    credentials of URLs masked, looking inside nested tables and lists of them
    (``[[obs]]`` entries are a list)."""
    out: dict[str, object] = {}
    for name, value in settings.items():
        if any(word in str(name).lower() for word in _SECRET_WORDS) and value \
                and not isinstance(value, dict):
            out[name] = MASK
        else:
            out[name] = mask_value(value)
    return out


def mask_value(value: object) -> object:
    """A setting's value as shown: URL credentials masked, inside lists and tables too."""
    if isinstance(value, dict):
        return redact(value)
    if isinstance(value, list | tuple):
        return [mask_value(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str):
        return mask_url(value)
    return value
