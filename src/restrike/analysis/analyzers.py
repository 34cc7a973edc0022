"""Video analyzers: code that looks at a clip's frames and returns time-stamped findings.

An analyzer is any object with a ``name`` and ``analyze(frames) -> list[Finding]``
(the `Analyzer` Protocol). It receives the clip's frames in order as small grey
images (`Frame`: time in the clip, width, height, one byte per pixel), decoded by
PyAV in this process (`read_frames`; at most `FrameFormat.fps` frames per second,
64 x 36 by default: enough for motion, cheap to read in pure Python; each frame keeps
its own time stamp). Third parties add analyzers as entry points of the group
``restrike.analyzers`` (``name = "module:factory"``), turned on by the setting
``analysis.analyzers``. Analyzers run on a worker thread, never on the station's loop.

`MotionPeak` ships here: the frame-difference energy (mean absolute change of the grey
levels between consecutive frames), smoothed over a few frames; the burst around its
peak (the frames above half of it), at its energy-weighted centre, is the moment of
the impact in a review clip, used to suggest where a replay should start.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from restrike.errors import AnalysisError

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream

__all__ = ["ANALYZER_GROUP", "Analyzer", "Finding", "Frame", "FrameFormat", "MotionPeak",
           "load_analyzers", "read_frames", "suggest_start"]

log = logging.getLogger(__name__)

ANALYZER_GROUP = "restrike.analyzers"


@dataclass(frozen=True, slots=True)
class Frame:
    t: float  # seconds from the clip's first frame
    width: int
    height: int
    gray: bytes  # width * height bytes, row by row


@dataclass(frozen=True, slots=True)
class Finding:
    at: float  # seconds into the clip
    score: float  # 0..1, how sure or how strong
    label: str


@dataclass(frozen=True, slots=True)
class FrameFormat:
    fps: int = 30  # at most this many frames per second (a 60 fps clip: every other)
    width: int = 64
    height: int = 36


@runtime_checkable
class Analyzer(Protocol):
    @property
    def name(self) -> str: ...

    def analyze(self, frames: Iterable[Frame]) -> list[Finding]: ...


def read_frames(path: Path, fmt: FrameFormat | None = None, *,
                window: tuple[float, float] | None = None) -> Generator[Frame, None, None]:
    """The frames of ``path``'s first video stream as `Frame`s, decoded by PyAV and
    scaled to ``fmt`` (nothing kept: a generator). AnalysisError if it cannot be read.

    ``window`` (first, last second from the stream's start): only those frames, decoded
    from the keyframe before ``first`` (a seek), never the rest of the file."""
    fmt = fmt or FrameFormat()
    if not path.is_file():
        raise AnalysisError(f"cannot analyse {path}: no such file")
    try:
        import av  # a dependency; imported on first use (the station starts without it)
    except ImportError as err:
        raise AnalysisError(f"cannot analyse {path}: PyAV is not installed "
                            "(pip install av)") from err
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise AnalysisError(f"cannot analyse {path}: it has no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"  # the codec's own threads (frames or slices)
            # Half the cores at most: OBS records and mpv plays the same replay meanwhile.
            stream.codec_context.thread_count = max(1, (os.cpu_count() or 2) // 2)
            # 64 x 36 grey needs no deblocking nor bit-exact output: a third faster.
            stream.codec_context.options = {"skip_loop_filter": "all", "flags2": "+fast"}
            step = 1.0 / fmt.fps * 0.9  # keep a frame this long after the last one kept
            first: float | None = None if window is None else _seek(container, stream,
                                                                    window[0])
            low, high = window or (0.0, float("inf"))
            due = 0.0
            for index, frame in enumerate(container.decode(stream)):
                at = frame.time if frame.time is not None else index / fmt.fps
                first = at if first is None else first
                t = at - first
                if t > high:
                    break
                if t < due or t < low:
                    continue
                due = t + step
                yield Frame(round(t, 6), fmt.width, fmt.height, _gray(frame, fmt))
    except av.FFmpegError as err:
        raise AnalysisError(f"cannot analyse {path}: {err}") from err


def _seek(container: InputContainer, stream: VideoStream, second: float) -> float:
    """Seek ``stream`` to the keyframe at or before ``second`` from its start; the
    stream's start time (what the frames' seconds count from)."""
    base = stream.time_base
    origin = float(stream.start_time * base) if stream.start_time is not None and base \
        else 0.0
    if second > 0 and base:
        container.seek(int((origin + second) / base), stream=stream, backward=True)
    return origin


def _gray(frame: VideoFrame, fmt: FrameFormat) -> bytes:
    """``frame`` scaled to ``fmt`` in grey: width * height bytes, row by row."""
    plane = frame.reformat(width=fmt.width, height=fmt.height, format="gray").planes[0]
    data = bytes(plane)
    if plane.line_size == fmt.width:
        return data[:fmt.width * fmt.height]
    return b"".join(data[row * plane.line_size:row * plane.line_size + fmt.width]
                    for row in range(fmt.height))


class MotionPeak:
    """The moment of most motion: the peak of the smoothed frame-difference energy."""

    name = "motion_peak"

    def __init__(self, smooth: int = 3) -> None:
        self.smooth = max(1, smooth)

    @staticmethod
    def energy(previous: bytes, current: bytes) -> float:
        """Mean absolute grey-level change between two frames, 0..255."""
        return sum(abs(a - b) for a, b in zip(previous, current, strict=True)) / len(current)

    def analyze(self, frames: Iterable[Frame]) -> list[Finding]:
        times: list[float] = []
        energies: list[float] = []
        previous: Frame | None = None
        for frame in frames:
            if previous is not None:
                times.append(frame.t)
                energies.append(self.energy(previous.gray, frame.gray))
            previous = frame
        if not energies:
            return []
        half = self.smooth // 2
        smoothed = [sum(energies[max(0, i - half):i + half + 1])
                    / len(energies[max(0, i - half):i + half + 1])
                    for i in range(len(energies))]
        peak = max(range(len(smoothed)), key=smoothed.__getitem__)
        top = smoothed[peak]
        if top <= 0:
            return []
        low = high = peak  # the burst: the frames around the peak above half of it
        while low > 0 and smoothed[low - 1] >= top / 2:
            low -= 1
        while high < len(smoothed) - 1 and smoothed[high + 1] >= top / 2:
            high += 1
        burst = range(low, high + 1)
        centre = sum(times[i] * energies[i] for i in burst) / max(
            1e-9, sum(energies[i] for i in burst))
        contrast = 1 - sum(smoothed) / len(smoothed) / top  # 0: motion all along, 1: a burst
        return [Finding(round(centre, 3), round(contrast, 3), "motion peak")]


def suggest_start(findings: Iterable[Finding], lead: float = 1.0) -> float | None:
    """Where a replay should start: ``lead`` s before the strongest finding (not below 0)."""
    best = max(findings, key=lambda f: f.score, default=None)
    return None if best is None else max(0.0, best.at - lead)


def load_analyzers(names: Iterable[str]) -> list[Analyzer]:
    """The built-in analyzers and the installed ones (``restrike.analyzers``) by name;
    one that cannot be loaded is logged and left out."""
    found = {ep.name: ep for ep in entry_points(group=ANALYZER_GROUP)}
    out: list[Analyzer] = []
    for name in names:
        if name == MotionPeak.name:
            out.append(MotionPeak())
            continue
        point = found.get(name)
        if point is None:
            log.warning("analyzer %s is not installed (entry points %s: %s)", name,
                        ANALYZER_GROUP, ", ".join(sorted(found)) or "none")
            continue
        try:
            analyzer = point.load()()
        except Exception:  # a third party's code: anything it raises leaves it out
            log.exception("analyzer %s (%s) cannot be loaded", name, point.value)
            continue
        if isinstance(analyzer, Analyzer):
            out.append(analyzer)
        else:
            log.warning("analyzer %s (%s) has no name and analyze(frames)", name, point.value)
    return out
