"""Several camera angles in one mpv, on one clock (pure: builds mpv option values).

The first angle is the file mpv opens; the others are added as external video tracks
(``external-files``), and ``lavfi-complex`` composes them: a grid (two side by side,
three or four in a 2×2, up to nine in a 3×3...) or one angle alone, full size. Every
track is decoded against the same playback clock, so play, pause, speed, frame steps
and seeks act on all angles together. Each angle's frames are shifted by its offset on
the common time line (``setpts``), so a moment seen by every camera is shown at once.

The common time line is the file time of the angle that starts last: every other angle
is shifted back (offsets <= 0). mpv seeks every file to the same second of its own
time, so only a shift back still finds, after a seek, the frames it has to show (a
shift forward would need frames from before the seek point). Audio is not part of the
graph: a multi-angle review is silent.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CELL", "AngleTrack", "angles_graph", "angles_options", "common_offsets",
           "grid_shape"]

#: Size of one angle in the grid; the window scales the whole picture.
CELL = (640, 360)


@dataclass(frozen=True, slots=True)
class AngleTrack:
    """One angle: its file and where its second 0 lies on the common time line (a
    file's second ``t`` is the common second ``t + offset``)."""

    path: str
    offset: float = 0.0


def grid_shape(count: int) -> tuple[int, int]:
    """(columns, rows) of the smallest near-square grid holding ``count`` angles."""
    columns = max(1, math.ceil(math.sqrt(count)))
    return columns, max(1, math.ceil(count / columns))


def angles_graph(offsets: Sequence[float], shown: int | None = None,
                 cell: tuple[int, int] = CELL) -> str:
    """The ``lavfi-complex`` graph: every angle in a grid (``shown`` None) or angle
    ``shown`` (0-based) alone. ``offsets`` are <= 0 (see :func:`common_offsets`)."""
    if not offsets:
        raise ValueError("no angle to show")
    if shown is not None:
        if not 0 <= shown < len(offsets):
            raise ValueError(f"angle {shown + 1} is not open (1..{len(offsets)})")
        return f"[vid{shown + 1}]{_shift(offsets[shown])}[vo]"
    if len(offsets) == 1:
        return f"[vid1]{_shift(offsets[0])}[vo]"
    width, height = cell
    fit = (f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
           f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1")
    parts = [f"[vid{i + 1}]{_shift(off)},{fit}[a{i}]" for i, off in enumerate(offsets)]
    inputs = "".join(f"[a{i}]" for i in range(len(offsets)))
    if len(offsets) == 2:
        parts.append(f"{inputs}hstack=inputs=2[vo]")
    else:
        columns, _ = grid_shape(len(offsets))
        layout = "|".join(f"{(i % columns) * width}_{(i // columns) * height}"
                          for i in range(len(offsets)))
        parts.append(f"{inputs}xstack=inputs={len(offsets)}:layout={layout}:fill=black[vo]")
    return ";".join(parts)


def common_offsets(offsets: Sequence[float]) -> list[float]:
    """``offsets`` moved so the angle that starts last is the time line (all <= 0)."""
    latest = max(offsets)
    return [offset - latest for offset in offsets]


def _shift(offset: float) -> str:
    """Frames of a file whose second 0 is ``offset`` s into the common time line."""
    return f"setpts=PTS{offset:+.6f}/TB"


def angles_options(angles: Sequence[AngleTrack], start: float, shown: int | None = None
                   ) -> dict[str, str]:
    """``loadfile`` per-file options opening every angle at the common second ``start``."""
    return {
        "start": f"{start:.3f}",
        # A path list: ':' separates on POSIX, ';' on Windows (mpv's own rule).
        "external-files": os.pathsep.join(a.path for a in angles[1:]),
        "lavfi-complex": angles_graph(common_offsets([a.offset for a in angles]), shown),
    }
