"""One log line for a warning that repeats: the rest are counted, not written.

Anyone on the court network can send a flood of challenges; with no OBS configured each
one failed with the same warning, ~200 lines a second in the benchmark's mix (and ~12 %
of the event loop's time formatting and writing them), pushing the useful history out
of the rotated log. A :class:`RepeatGate` lets a text through once per ``window``
seconds and says how many times it was held back when it next lets it through, so
nothing is hidden: the count is in the log. Texts that differ only in their numbers
("review 41: no OBS", "review 42: no OBS") count as the same warning.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

__all__ = ["RepeatGate"]

_NUMBERS = re.compile(r"\d+")


class RepeatGate:
    """Decides which repeats of a text to log (pure: the clock is given).

    Each text is let through once per ``window``; the repeats held back in between are
    counted into its next line (a flood alternates a few texts, so each is tracked; at
    most ``kept`` of them, the oldest forgotten first)."""

    def __init__(self, window: float = 10.0, clock: Callable[[], float] = time.monotonic,
                 kept: int = 64) -> None:
        self.window = window
        self.clock = clock
        self.kept = kept
        self._seen: dict[str, list[float]] = {}  # shape -> [let through at, held back]

    def admit(self, text: str) -> str | None:
        """The line to log for ``text`` now, None to hold it back."""
        now = self.clock()
        key = _NUMBERS.sub("#", text)
        seen = self._seen.get(key)
        if seen is not None and now - seen[0] < self.window:
            seen[1] += 1
            return None
        held = int(seen[1]) if seen is not None else 0
        self._seen.pop(key, None)
        if len(self._seen) >= self.kept:
            del self._seen[next(iter(self._seen))]
        self._seen[key] = [now, 0]
        if held:
            return f"{text} (and {held} more like it since it was last logged)"
        return text
