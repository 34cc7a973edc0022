"""A flash to find in video: clips with one white moment, and the brightness of a picture.

Multi-angle tests check sync by a moment every angle shows: ``flash_clip`` makes a dark
clip that is white for a few frames at a chosen second; ``cell_brightness`` reads a
screenshot (or any image ffmpeg decodes) as the mean grey of each cell of a grid.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["cell_brightness", "flash_clip"]


def flash_clip(folder: Path, name: str, *, flash_at: float, seconds: float = 20.0,
               rate: int = 30) -> Path:
    """A dark 160x90 H.264 mkv (keyframe every second), white from ``flash_at`` for
    three frames."""
    out = folder / f"{name}.mkv"
    until = flash_at + 2.5 / rate
    video = (f"color=c=black:s=160x90:r={rate},drawbox=x=0:y=0:w=160:h=90:color=white:"
             f"t=fill:enable='between(t,{flash_at:.4f},{until:.4f})'")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", video, "-t", f"{seconds:.3f}", "-g", str(rate), "-c:v", "libx264",
                    "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out)],
                   check=True, timeout=60, capture_output=True)
    return out


def cell_brightness(image: Path, columns: int, rows: int) -> list[int]:
    """Mean grey (0..255) of each cell of a ``columns`` x ``rows`` grid, row by row."""
    raw = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(image),
                          "-vf", f"scale={columns}:{rows}:flags=area", "-f", "rawvideo",
                          "-pix_fmt", "gray", "-"],
                         check=True, timeout=60, capture_output=True).stdout
    return list(raw)
