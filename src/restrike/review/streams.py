"""The day's stream as a timeline of segments, and offsets inside it (pure).

An RTMP interruption (OBS reconnecting, nginx or the network gone) ends a segment; when
the stream flows again a new segment starts. Platforms such as YouTube join the pieces
of one broadcast, so a moment's offset in the day's stream is the length of all earlier
segments plus the time since its own segment started. A moment that fell inside an
interruption maps to where the stream resumed (the first thing a viewer sees after it).

OBS's own ``outputDuration`` is the truth about how long the current output has been
sending; :func:`resync` moves the current segment's start so the two agree, which
recomputes every later offset after an interruption we noticed late.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

__all__ = ["Segment", "StreamTimeline"]


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of continuous streaming: wall times, and the stream offset at its start."""

    started_at: float
    ended_at: float | None
    offset: float
    reason: str = "started"  # started | reconnected

    def length(self, now: float) -> float:
        end = self.ended_at if self.ended_at is not None else now
        return max(0.0, end - self.started_at)

    def as_dict(self) -> dict[str, Any]:
        return {"started_at": self.started_at, "ended_at": self.ended_at,
                "offset": self.offset, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        return cls(float(d["started_at"]), None if d.get("ended_at") is None
                   else float(d["ended_at"]), float(d["offset"]), str(d.get("reason", "started")))


@dataclass(frozen=True, slots=True)
class StreamTimeline:
    """Segments in time order; at most the last one is open (``ended_at is None``)."""

    segments: tuple[Segment, ...] = ()

    @property
    def live(self) -> bool:
        return bool(self.segments) and self.segments[-1].ended_at is None

    def total(self, now: float) -> float:
        """The stream's length so far."""
        if not self.segments:
            return 0.0
        last = self.segments[-1]
        return last.offset + last.length(now)

    def start(self, at: float, reason: str = "started") -> StreamTimeline:
        """Streaming (again) from ``at``: a new segment continuing the offsets."""
        if self.live:
            return self
        at = max(at, self.segments[-1].ended_at or at) if self.segments else at
        return StreamTimeline((*self.segments, Segment(at, None, self.total(at), reason)))

    def stop(self, at: float) -> StreamTimeline:
        """Stopped or interrupted at ``at``: the open segment ends."""
        if not self.live:
            return self
        last = self.segments[-1]
        ended = replace(last, ended_at=max(at, last.started_at))
        return StreamTimeline((*self.segments[:-1], ended))

    def resync(self, at: float, output_seconds: float) -> StreamTimeline:
        """OBS says its current output has sent ``output_seconds`` at ``at``.

        Moves the open segment's start to ``at - output_seconds`` (never before the end
        of the previous segment), so later offsets follow OBS rather than our guesses.
        """
        if not self.live:
            return self
        last = self.segments[-1]
        floor = (self.segments[-2].ended_at or 0.0) if len(self.segments) > 1 else float("-inf")
        started = max(floor, at - max(0.0, output_seconds))
        return StreamTimeline((*self.segments[:-1], replace(last, started_at=started)))

    def offset_at(self, t: float) -> float | None:
        """Offset of wall time ``t`` in the stream; None before the stream began."""
        for seg in self.segments:
            if t < seg.started_at:
                return seg.offset  # inside a gap (or before): where the stream resumed
            if seg.ended_at is None or t <= seg.ended_at:
                return seg.offset + (t - seg.started_at)
        if not self.segments:
            return None
        last = self.segments[-1]
        return last.offset + last.length(t)  # after the end: the stream's last second

    def as_json(self) -> list[dict[str, Any]]:
        return [s.as_dict() for s in self.segments]

    @classmethod
    def from_json(cls, items: list[dict[str, Any]]) -> StreamTimeline:
        return cls(tuple(Segment.from_dict(d) for d in items))
