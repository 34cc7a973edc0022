"""A stored event's ``args`` JSON text back to its mapping, each distinct text once.

Clock ticks and score groups repeat all day, and decoding was half of what folding a
match cost (analytics) and most of what reading events back cost (the analysis
tagger): both decode through an :class:`ArgsDecoder`. The mappings it returns are
shared between events: read them, never change them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["ArgsDecoder"]

_EMPTY: Mapping[str, Any] = {}


class ArgsDecoder:
    """``decoder(text)``: the decoded mapping (an empty text or ``{}``: one empty one).

    At most ``kept`` texts are held; then the cache starts again (a feed repeats a few
    hundred)."""

    def __init__(self, kept: int = 4096) -> None:
        self.kept = kept
        self._decoded: dict[str, Mapping[str, Any]] = {}

    def __call__(self, text: str | None) -> Mapping[str, Any]:
        if not text or text == "{}":
            return _EMPTY
        found = self._decoded.get(text)
        if found is None:
            if len(self._decoded) >= self.kept:
                self._decoded.clear()
            found = self._decoded[text] = json.loads(text)
        return found
