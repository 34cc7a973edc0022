"""Test clips made with ffmpeg's lavfi sources: a moving test card with the time burnt in.

``make_clip`` caches by its parameters inside the folder it is given, so a session-scoped
fixture builds each clip once (about half a second).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

__all__ = ["ffmpeg_available", "make_clip"]


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


def make_clip(
    folder: Path,
    *,
    seconds: int = 20,
    size: str = "320x240",
    rate: int = 25,
    audio: bool = True,
    container: str = "mp4",
) -> Path:
    """A ``seconds``-long H.264 clip (keyframe every second) with its timestamp drawn in."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"testclip-{seconds}s-{size}-{rate}fps{'-a' if audio else ''}.{container}"
    if out.exists():
        return out
    video = f"testsrc=size={size}:rate={rate}:duration={seconds}"
    timer = "drawtext=text='%{pts\\:hms}':fontsize=24:fontcolor=white:box=1:boxcolor=black:x=8:y=8"
    base = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", video]
    if audio:
        base += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-g", str(rate), "-pix_fmt", "yuv420p"]
    if audio:
        encode += ["-c:a", "aac", "-shortest"]
    tmp = out.with_name(f".{out.name}.part.{container}")
    result = _run([*base, "-vf", timer, *encode, str(tmp)])
    if result.returncode != 0:  # an ffmpeg without drawtext/freetype: no burnt-in timer
        result = _run([*base, *encode, str(tmp)])
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not make a test clip: {result.stderr.strip()}")
    tmp.replace(out)
    return out
