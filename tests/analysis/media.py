"""Generated clips for the analyzer tests: a still picture with one known motion burst."""

from __future__ import annotations

from pathlib import Path

from restrike.analysis.ffmpeg import Tools


def burst_clip(tools: Tools, path: Path, burst: float, seconds: float = 8.0) -> Path:
    """``seconds`` of a still picture whose view sweeps sideways for 0.3 s from ``burst``
    (a camera following a kick), then stands still again (H.264, 30 frames/s)."""
    sweep = f"if(between(t,{burst},{burst + 0.3}),(t-{burst})*800,0)"
    tools.run([tools.ffmpeg, "-v", "error", "-f", "lavfi", "-i",
               "testsrc=size=640x180:rate=30,trim=end_frame=1,loop=loop=-1:size=1",
               "-vf", f"crop=w=320:h=180:x='{sweep}':y=0", "-t", f"{seconds:g}", "-c:v",
               "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-y", str(path)],
              what="test clip")
    return path
