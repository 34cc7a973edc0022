"""The camera angle a highlight reel shows a moment from (multi-angle review clips).

A challenge saves every camera's replay buffer (docs/replay.md "Multi-angle review");
the review archive keeps each saved angle with the wall time of its first frame
(``clip_angles``). A tagged moment inside such a clip can be cut from any of its angles
instead of the match recording. The **best-covered** angle is chosen like this:

1. the candidates are the saved angles whose clip holds the moment with `MARGIN`
   seconds on each side;
2. the one whose clip holds most of the reel's window (``before`` + ``after`` around
   the moment) wins;
3. among those that hold as much, the one that shows the most motion around the impact
   (the mean frame-difference energy of `MotionPeak` over the `IMPACT` seconds around
   the moment: the camera that sees the kick, not a back or the referee) wins; then the
   first in the angles' order.

``angle`` (the reel's option): ``best`` (the rule above), ``recording`` (the match
recording only, no angle read) or an angle's name (that angle where a clip has it,
else the moment stays in the recording).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

from restrike.analysis.analyzers import MotionPeak, read_frames
from restrike.analysis.reels import Moment
from restrike.errors import AnalysisError

__all__ = ["BEST", "IMPACT", "MARGIN", "RECORDING", "AngleClip", "angle_clips", "candidates",
           "choose", "motion_around", "place_in_angles"]

log = logging.getLogger(__name__)

BEST = "best"
RECORDING = "recording"
#: A candidate angle's clip holds the moment with this many seconds on each side.
MARGIN = 1.0
#: Seconds before and after the moment whose motion is compared (the score arrives a
#: little after the kick).
IMPACT = (2.0, 1.0)
#: Coverage differences below this are equal (frames, keyframe cuts).
COVERAGE_STEP = 0.02

Motion = Callable[["AngleClip", float], float]


@dataclass(frozen=True, slots=True)
class AngleClip:
    """One saved angle of a multi-angle clip, placed on the wall clock."""

    clip_id: int
    position: int
    name: str
    path: str
    start: float  # wall time of the file's first frame
    end: float  # wall time of its last frame (the save)

    def second(self, at: float) -> float:
        """Where wall time ``at`` lies in this file."""
        return at - self.start

    def coverage(self, at: float, before: float, after: float) -> float:
        """The share (0..1) of the window ``[at - before, at + after]`` this clip holds."""
        span = before + after
        if span <= 0:
            return 1.0 if self.start <= at <= self.end else 0.0
        held = min(self.end, at + after) - max(self.start, at - before)
        return max(0.0, min(1.0, held / span))


def angle_clips(conn: sqlite3.Connection, first: float, last: float) -> list[AngleClip]:
    """The saved angles of the multi-angle clips between wall times ``first`` and
    ``last``, in clip and angle order; none when the review archive has no angles."""
    try:
        rows = conn.execute(
            "SELECT a.clip_id, a.position, a.name, a.path, a.clip_start, a.clip_end "
            "FROM clip_angles a WHERE a.path IS NOT NULL AND a.clip_start IS NOT NULL "
            "AND a.clip_end IS NOT NULL AND a.clip_end >= ? AND a.clip_start <= ? "
            "AND (SELECT count(*) FROM clip_angles b WHERE b.clip_id = a.clip_id "
            "     AND b.path IS NOT NULL) > 1 "
            "ORDER BY a.clip_id, a.position", (first, last)).fetchall()
    except sqlite3.OperationalError:  # no review archive in this database
        return []
    return [AngleClip(int(r[0]), int(r[1]), str(r[2]), str(r[3]), float(r[4]), float(r[5]))
            for r in rows]


def candidates(clips: Sequence[AngleClip], at: float) -> list[AngleClip]:
    """The angles whose clip holds ``at`` with `MARGIN` seconds on each side."""
    return [c for c in clips if c.start + MARGIN <= at <= c.end - MARGIN]


def choose(clips: Sequence[AngleClip], at: float, *, before: float, after: float,
           angle: str, motion: Motion) -> AngleClip | None:
    """The angle the moment at ``at`` is shown from (see the module); None: the
    recording."""
    found = candidates(clips, at)
    if angle == RECORDING or not found:
        return None
    if angle != BEST:
        return next((c for c in found if c.name == angle), None)

    def held(clip: AngleClip) -> int:
        return round(clip.coverage(at, before, after) / COVERAGE_STEP)

    most = max(held(c) for c in found)
    best = [c for c in found if held(c) == most]
    if len(best) == 1:
        return best[0]
    scores = [motion(c, c.second(at)) for c in best]
    return best[max(range(len(best)), key=lambda i: (scores[i], -i))]


def motion_around(clip: AngleClip, second: float) -> float:
    """Mean frame-difference energy (0..255) of ``clip`` over the `IMPACT` seconds around
    ``second``; 0 when the file cannot be read (logged)."""
    window = (max(0.0, second - IMPACT[0]), second + IMPACT[1])
    try:
        frames = list(read_frames(Path(clip.path), window=window))
    except AnalysisError as err:
        log.warning("angle %s of clip %s not compared: %s", clip.name, clip.clip_id, err)
        return 0.0
    steps = [MotionPeak.energy(a.gray, b.gray) for a, b in pairwise(frames)]
    return sum(steps) / len(steps) if steps else 0.0


def place_in_angles(moments: Sequence[Moment], clips: Sequence[AngleClip], *,
                    before: float, after: float, angle: str,
                    motion: Motion = motion_around) -> list[Moment]:
    """Each moment moved into the file of the angle chosen for it (its label names the
    angle), or left in its recording."""
    out = []
    for moment in moments:
        chosen = choose(clips, moment.at, before=before, after=after, angle=angle,
                        motion=motion)
        out.append(moment if chosen is None else replace(
            moment, recording=chosen.path, offset=chosen.second(moment.at),
            label=f"{moment.label} · {chosen.name}"))
    return out
