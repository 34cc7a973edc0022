"""What a highlight reel is made of: windows around tagged moments, merged and ordered.

Pure: the tags (with their recording and time in it) and the recordings' lengths in,
the plan out — matches in the order they were fought, each with a title card and its
segments in match order. ``highlights`` carries the plan out with ffmpeg.

Rules: a moment's window is ``[t - before, t + after]`` in its recording, cut to what
the recording holds (a file OBS is still writing is cut up to what is written; a
moment past it is left out); windows of one recording that overlap or touch are
merged into one segment (its labels are all its moments'); with ``max_seconds``, the
segments of least weight (their heaviest moment) go first — the later one of equal
weight — until the segments fit, and the rest keep their order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["Matchup", "Moment", "Part", "Segment", "plan_reel"]

#: Windows closer than this are one segment (a cut and a restart cost more than it shows).
JOIN_GAP = 0.5


@dataclass(frozen=True, slots=True)
class Matchup:
    """A match as its title card shows it."""

    id: int
    number: str
    blue: str
    blue_country: str
    red: str
    red_country: str
    score: tuple[int, int] | None
    decision: str | None = None

    def title(self) -> str:
        score = f"{self.score[0]}-{self.score[1]}" if self.score else "vs"
        tail = f" {self.decision}" if self.decision else ""
        return (f"Match {self.number}: {self.blue} ({self.blue_country}) {score} "
                f"{self.red} ({self.red_country}){tail}")


@dataclass(frozen=True, slots=True)
class Moment:
    """A tag placed in its recording: ``offset`` seconds from the recording's start."""

    match: Matchup
    recording: str
    offset: float
    label: str
    weight: float
    at: float = 0.0  # wall-clock time of the moment (the order of matches and moments)


@dataclass(slots=True)
class Segment:
    recording: str
    start: float
    end: float
    labels: list[str] = field(default_factory=list)
    weight: float = 0.0

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(slots=True)
class Part:
    """One match of the reel: its title card, then its segments."""

    match: Matchup
    segments: list[Segment]


def plan_reel(moments: Sequence[Moment], lengths: Mapping[str, float], *, before: float,
              after: float, max_seconds: float | None = None) -> list[Part]:
    """The reel's parts, matches in order of their first moment (see the module)."""
    segments_of: dict[int, list[Segment]] = {}
    matches: dict[int, Matchup] = {}
    for moment in sorted(moments, key=lambda m: (m.at, m.offset)):
        written = lengths.get(moment.recording, 0.0)
        start, end = max(0.0, moment.offset - before), min(written, moment.offset + after)
        if end <= start or moment.offset > written:
            continue  # past what is written (or an empty window)
        matches.setdefault(moment.match.id, moment.match)  # in order of first moment
        segments = segments_of.setdefault(moment.match.id, [])
        last = segments[-1] if segments else None
        if last is not None and last.recording == moment.recording \
                and start <= last.end + JOIN_GAP:
            last.end = max(last.end, end)
            last.labels.append(moment.label)
            last.weight = max(last.weight, moment.weight)
        else:
            segments.append(Segment(moment.recording, start, end, [moment.label],
                                    moment.weight))
    if max_seconds is not None:
        _fit(segments_of, max_seconds)
    return [Part(match, segments_of[mid]) for mid, match in matches.items()
            if segments_of[mid]]


def _fit(segments_of: dict[int, list[Segment]], max_seconds: float) -> None:
    """Leave out the lightest segments (later first among equals) until they fit."""
    everything = [(mid, index, seg) for mid, segs in segments_of.items()
                  for index, seg in enumerate(segs)]
    total = sum(seg.length for _mid, _index, seg in everything)
    lightest = sorted(everything, key=lambda item: (item[2].weight, -item[0], -item[1]))
    dropped: set[int] = set()
    for _mid, _index, seg in lightest:
        if total <= max_seconds:
            break
        dropped.add(id(seg))
        total -= seg.length
    for mid, segs in segments_of.items():
        segments_of[mid] = [seg for seg in segs if id(seg) not in dropped]
