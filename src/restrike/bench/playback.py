"""`restrike bench playback`: clip opened in a running idle mpv vs a cold-started mpv.

Both columns measure the same thing: from the request (``open(clip, start=10)`` over
IPC, or spawning ``mpv --start=10 clip``) to mpv reporting ``playback-time >= 10``.
Context from issue 6: the whole replay may add at most 150 ms over OBS's own
SaveReplayBuffer → ReplayBufferSaved time, so starting playback must take a small
part of that. Runs against real mpv with ``--vo=null --ao=null``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from restrike.errors import PlayerError
from restrike.playback import MpvPlayer, PlaybackSettings
from restrike.playback.codec import Event, PropertyChange, is_finite_number
from restrike.playback.process import MpvProcess, find_mpv

__all__ = ["PlaybackBenchResult", "make_bench_clip", "measure", "report", "run"]

OVERHEAD_BUDGET_MS = 150.0


@dataclass(frozen=True, slots=True)
class PlaybackBenchResult:
    mpv_version: str
    vo: str
    start: float
    warm_from_idle_ms: list[float]
    warm_replacing_ms: list[float]
    cold_ms: list[float]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 20 samples is the largest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def make_bench_clip(folder: Path, seconds: int = 20) -> Path:
    """A small H.264 + AAC test clip (keyframe every second, like a replay) made with ffmpeg."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise PlayerError("ffmpeg is needed to make the benchmark clip (or pass --clip)")
    out = folder / f"bench-{seconds}s.mp4"
    cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
           "-i", f"testsrc=size=640x360:rate=25:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
           "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-shortest", str(out)]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise PlayerError(f"ffmpeg failed to make the benchmark clip: {result.stderr.strip()}")
    return out


async def _warm(
    settings: PlaybackSettings, clip: Path, n: int, start: float
) -> tuple[str, list[float], list[float]]:
    from_idle: list[float] = []
    replacing: list[float] = []
    async with MpvPlayer(settings) as player:
        await player.open(clip, start)  # first load warms the OS file cache like cold's does
        await player.wait_position(start, within=10)
        for _ in range(n):
            await player.stop()
            began = time.perf_counter()
            await player.open(clip, start)
            await player.wait_position(start, within=10)
            from_idle.append((time.perf_counter() - began) * 1000)
            await player.seek(start + 3, "absolute")
            began = time.perf_counter()
            await player.open(clip, start)
            await player.wait_position(start, within=10)
            replacing.append((time.perf_counter() - began) * 1000)
        return player.version, from_idle, replacing


async def _cold_once(
    executable: Path, settings: PlaybackSettings, clip: Path, start: float
) -> float:
    reached = asyncio.Event()

    def on_message(message: Event | PropertyChange) -> None:
        if (
            isinstance(message, PropertyChange)
            and message.name == "playback-time"
            and is_finite_number(message.value)
            and message.value >= start
        ):
            reached.set()

    began = time.perf_counter()
    mpv = await MpvProcess.launch(
        executable, settings, on_message, file=str(clip), start=start, observed=("playback-time",)
    )
    try:
        await asyncio.wait_for(reached.wait(), 10)
        return (time.perf_counter() - began) * 1000
    finally:
        await mpv.close(graceful=False)


async def measure(
    settings: PlaybackSettings, clip: Path, *, n: int = 20, start: float = 10.0
) -> PlaybackBenchResult:
    """Time-to-playback at ``start`` for ``n`` runs of each way of starting a clip."""
    executable = find_mpv(settings.mpv_path)
    version, from_idle, replacing = await _warm(settings, clip, n, start)
    cold = [await _cold_once(executable, settings, clip, start) for _ in range(n)]
    return PlaybackBenchResult(version, settings.vo or "default", start, from_idle, replacing, cold)


def run(
    *,
    n: int = 20,
    clip: Path | None = None,
    mpv_path: str | None = None,
    start: float = 10.0,
    vo: str = "null",
) -> PlaybackBenchResult:
    base = PlaybackSettings(mpv_path=mpv_path or "", vo=vo, ao="null", use_config=False)
    settings = dataclasses.replace(base, restart=False)
    with contextlib.ExitStack() as stack:
        if clip is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="restrike-")))
            clip = make_bench_clip(folder)
        return asyncio.run(measure(settings, clip, n=n, start=start))


def report(result: PlaybackBenchResult) -> str:
    rows = [
        ("running idle mpv, open over IPC", result.warm_from_idle_ms),
        ("running mpv, replacing a clip", result.warm_replacing_ms),
        ("cold start: new mpv --start", result.cold_ms),
    ]
    n = len(result.cold_ms)
    lines = [
        f"restrike bench playback — {result.mpv_version}, --vo={result.vo}, N={n}",
        f"time from request to playback-time >= {result.start:g} s reported (ms)",
        "",
        f"{'':34} {'p50':>8} {'p99':>8} {'min':>8} {'max':>8}",
    ]
    for label, values in rows:
        lines.append(
            f"{label:34} {percentile(values, 50):8.1f} {percentile(values, 99):8.1f}"
            f" {min(values):8.1f} {max(values):8.1f}"
        )
    warm, cold = percentile(result.warm_from_idle_ms, 50), percentile(result.cold_ms, 50)
    share = percentile(result.warm_from_idle_ms, 99) / OVERHEAD_BUDGET_MS * 100
    lines += [
        "",
        f"idle mpv saves {cold - warm:.0f} ms at p50 over a cold start.",
        f"target (issue 6): whole replay <= OBS save time + {OVERHEAD_BUDGET_MS:.0f} ms;"
        f" playback start at p99 uses {share:.0f}% of that budget"
        f" ({'within' if share <= 100 else 'OVER'} budget).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
