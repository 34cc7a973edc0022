"""The progress line of a long simulation: match, round, clock, score."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from restrike.simulator.runner import Progress

__all__ = ["ProgressLine", "format_progress"]


def format_progress(p: Progress, matches: int | None = None) -> str:
    clock = "-:--" if p.clock is None else f"{p.clock // 60}:{p.clock % 60:02d}"
    done = f" ({p.matches_done}/{matches} done)" if matches else ""
    line = (f"match {p.match or '-'}{done} | round {p.round or '-'} {clock} | "
            f"{p.scores[0]}-{p.scores[1]} | {p.datagrams} datagrams | {p.elapsed:.1f} s")
    return f"{line} | {p.note}" if p.note else line


class ProgressLine:
    """Rewrites one line with `\\r` on a terminal; elsewhere prints a line now and then
    (every `every` seconds, and when the match or round changes)."""

    def __init__(self, stream: TextIO | None = None, *, matches: int | None = None,
                 tty: bool | None = None, every: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.matches = matches
        self.every = every
        self._width = 0
        self._last = -1e9
        self._key: tuple[str | None, int | None] | None = None

    def __call__(self, p: Progress) -> None:
        line = format_progress(p, self.matches)
        if self.tty:
            self.stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
            self.stream.flush()
            return
        now = time.monotonic()
        key = (p.match, p.round)
        if p.note or key != self._key or now - self._last >= self.every:
            self._key, self._last = key, now
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0
