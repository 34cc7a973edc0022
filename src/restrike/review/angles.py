"""The camera angles of one clip on a common time line (pure: no I/O, no clock).

Multi-angle review saves every angle's replay buffer at once; each saved file ends at
the moment its OBS was asked to save, and starts ``its length`` before that. The time
of the saved angle that starts last is the common time line (what the player's position
shows, ``restrike.playback.grid``); another angle's ``offset`` (<= 0) is how many seconds
after that one its file starts, so its second ``t`` is the common second ``t + offset``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["AngleSave", "ClipAngle", "align", "common_start", "missing_text"]


@dataclass(frozen=True, slots=True)
class AngleSave:
    """What saving one angle gave: its file (None on failure) and when it ends/starts."""

    name: str
    obs_name: str
    path: str | None
    clip_end: float  # wall time the save was asked for: the file's last frame
    clip_start: float | None = None  # wall time of the file's first frame, if known
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ClipAngle:
    """One angle of a clip as the archive, the API and the player see it."""

    name: str
    obs_name: str
    path: str | None
    offset: float = 0.0
    clip_start: float | None = None
    clip_end: float | None = None
    error: str | None = None

    @property
    def saved(self) -> bool:
        return self.path is not None

    def as_dict(self) -> dict[str, Any]:
        """The public shape: ``{name, path, offset}`` (and ``error`` when missing)."""
        out: dict[str, Any] = {"name": self.name, "path": self.path,
                               "offset": round(self.offset, 3)}
        if self.error is not None:
            out["error"] = self.error
        return out


def align(saves: Sequence[AngleSave]) -> tuple[ClipAngle, ...]:
    """The angles in order, each saved one with its offset from the one that starts last.

    An angle whose first frame is unknown is taken to start with that one (offset 0):
    better shown unaligned by a fraction of a second than left out.
    """
    origin = common_start(saves)
    out = []
    for save in saves:
        angle = ClipAngle(save.name, save.obs_name, save.path, 0.0, save.clip_start,
                          save.clip_end, save.error)
        if save.path is not None and save.clip_start is not None and origin is not None:
            angle = replace(angle, offset=save.clip_start - origin)
        out.append(angle)
    return tuple(out)


def common_start(saves: Sequence[AngleSave]) -> float | None:
    """Wall time of the common time line's second 0: the latest first frame saved."""
    starts = [s.clip_start for s in saves if s.path is not None and s.clip_start is not None]
    return max(starts) if starts else None


def missing_text(angles: Sequence[ClipAngle]) -> str | None:
    """The console's warning for the angles left out, None when every angle is there."""
    missing = [f"{a.name} ({a.error or 'not saved'})" for a in angles if not a.saved]
    if not missing:
        return None
    return "angle missing: " + "; ".join(missing)
