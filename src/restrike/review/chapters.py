"""YouTube chapter lists for a day's stream (pure).

YouTube shows chapters when the description has at least three timestamps in
ascending order, the first at ``0:00``, each chapter at least 10 s long. Times are
``m:ss`` (``mm:ss``) or ``h:mm:ss``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

__all__ = [
    "MIN_CHAPTERS",
    "MIN_GAP",
    "Chapter",
    "build_chapters",
    "format_chapters",
    "format_timestamp",
    "validate_chapters",
]

MIN_CHAPTERS = 3
MIN_GAP = 10.0
_LINE = re.compile(r"^(?:(\d+):([0-5]\d):([0-5]\d)|(\d{1,2}):([0-5]\d)) (.+)$")


@dataclass(frozen=True, slots=True)
class Chapter:
    at: float  # seconds into the stream
    title: str
    kind: str = "match"  # match | challenge | intro


def format_timestamp(seconds: float) -> str:
    """``m:ss`` below an hour, ``h:mm:ss`` from an hour on (whole seconds, floored)."""
    total = max(0, int(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _clean(title: str) -> str:
    return " ".join(title.split()) or "Chapter"


def build_chapters(
    items: Iterable[Chapter], *, end: float | None = None, intro: str = "Before the first match"
) -> list[Chapter]:
    """Apply YouTube's rules: sorted, a 0:00 first chapter, >= 10 s apart.

    When two chapters are too close the match chapter wins over a challenge chapter
    (and the earlier one over a later one of the same kind). ``end`` (the stream's
    length) drops chapters that would last under 10 s. Fewer than three chapters
    after that returns an empty list: YouTube would ignore them.
    """
    rank = {"match": 0, "intro": 0, "challenge": 1}
    ordered = sorted((Chapter(max(0.0, c.at), _clean(c.title), c.kind) for c in items),
                     key=lambda c: (int(c.at), rank.get(c.kind, 2)))
    kept: list[Chapter] = []
    for ch in ordered:
        dropped = False
        while kept and int(ch.at) - int(kept[-1].at) < MIN_GAP:
            if rank.get(ch.kind, 2) < rank.get(kept[-1].kind, 2):
                kept.pop()  # a match beats a challenge chapter just before it
            else:
                dropped = True
                break
        if not dropped:
            kept.append(ch)
    if kept and int(kept[0].at) != 0:
        if int(kept[0].at) >= MIN_GAP:
            kept.insert(0, Chapter(0.0, _clean(intro), "intro"))
        else:
            kept[0] = Chapter(0.0, kept[0].title, kept[0].kind)
    if end is not None:
        while len(kept) > 1 and int(end) - int(kept[-1].at) < MIN_GAP:
            kept.pop()
    return kept if len(kept) >= MIN_CHAPTERS else []


def format_chapters(chapters: Iterable[Chapter]) -> str:
    """One ``<time> <title>`` line per chapter, newline-terminated."""
    chapters = list(chapters)
    return "".join(f"{format_timestamp(c.at)} {c.title}\n" for c in chapters)


def _seconds(match: re.Match[str]) -> int:
    if match.group(1) is not None:
        return int(match.group(1)) * 3600 + int(match.group(2)) * 60 + int(match.group(3))
    return int(match.group(4)) * 60 + int(match.group(5))


def validate_chapters(text: str) -> list[str]:
    """Problems YouTube would have with ``text`` (empty list: valid)."""
    problems: list[str] = []
    times: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        found = _LINE.match(line)
        if found is None:
            problems.append(f"line {number} does not start with a timestamp: {line!r}")
            continue
        times.append(_seconds(found))
    if len(times) < MIN_CHAPTERS:
        problems.append(f"{len(times)} chapters; YouTube needs at least {MIN_CHAPTERS}")
    if times and times[0] != 0:
        problems.append("the first chapter must be at 0:00")
    for a, b in pairwise(times):
        if b - a < MIN_GAP:
            problems.append(f"chapters at {format_timestamp(a)} and {format_timestamp(b)} "
                            f"are under {MIN_GAP:g} s apart or out of order")
    return problems
