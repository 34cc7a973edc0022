"""Fields of a datagram the sender cut short, merged without keeping a fragment (pure).

tkStrike sizes a datagram in characters, so one with non-ASCII names loses bytes at
the end: CR LF, then the end of the last field (a country `GE`, a name `Jörg MÜL`),
or whole fields. The parser marks such a message `truncated` and names the field the
cut may have ended inside (`Message.partial`). Here a country code is kept only when
it is whole (three letters; else the one known before, if it starts the same, or
unknown), and a name that may be cut is kept as it came and flagged, unless the
whole name is already known.
"""

from __future__ import annotations

__all__ = ["is_country_code", "merge_country", "merge_name"]


def is_country_code(text: str) -> bool:
    """Three ASCII letters, as IOC codes are."""
    return len(text) == 3 and text.isascii() and text.isalpha()


def merge_country(old: str, new: str | None, partial: bool) -> str:
    """The country after a message: ``new`` unless it may be a fragment of a code."""
    if not new:
        return old
    if not partial or is_country_code(new):
        return new
    return old if is_country_code(old) and old.startswith(new) else ""


def merge_name(old: str, old_cut: bool, new: str | None, *, partial: bool,
               cut: bool) -> tuple[str, bool]:
    """``(name, truncated)`` after a message: a name that did not arrive keeps the old one
    (unknown and flagged when the message was cut); one that may be cut keeps the whole
    name already known that starts with it, else it is kept and flagged."""
    if not new:
        return old, old_cut if old else cut
    if partial:
        if old and not old_cut and old.startswith(new):
            return old, False
        return new, True
    return new, False
