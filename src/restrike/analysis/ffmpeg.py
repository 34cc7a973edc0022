"""ffmpeg and ffprobe, as the reels and the analyzers use them: argument lists, no shell.

Every call is a subprocess with a timeout; a failure is an `AnalysisError` with
ffmpeg's own last lines. A missing ffmpeg says how to install it.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from restrike.errors import AnalysisError

__all__ = ["INSTALL_HINT", "MediaInfo", "Tools", "find_tools"]

log = logging.getLogger(__name__)

INSTALL_HINT = ("install ffmpeg (Windows: `winget install Gyan.FFmpeg`, macOS: `brew install "
                "ffmpeg`, Debian/Ubuntu: `apt install ffmpeg`) or set analysis.ffmpeg to its "
                "path")
TIMEOUT = 600.0  # one ffmpeg run (a long recording copied at disk speed fits easily)


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What a reel needs to know of a file."""

    duration: float  # seconds written so far (a growing recording: up to its last packet)
    video_codec: str | None
    width: int
    height: int
    fps: str  # as ffprobe gives it: "30/1"
    pix_fmt: str | None
    audio_codec: str | None
    sample_rate: int
    channels: int

    @property
    def copyable(self) -> bool:
        """H.264 with AAC (or no sound): cut by stream copy into the MP4."""
        return self.video_codec == "h264" and self.audio_codec in ("aac", None) \
            and self.pix_fmt in ("yuv420p", "yuvj420p")


@dataclass(frozen=True, slots=True)
class Tools:
    ffmpeg: str
    ffprobe: str

    def run(self, args: list[str], *, cwd: Path | None = None, what: str,
            timeout: float = TIMEOUT) -> str:
        """Run ``args`` (ffmpeg or ffprobe first); its stdout. AnalysisError on failure."""
        try:
            done = subprocess.run(args, cwd=cwd, capture_output=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired as err:
            raise AnalysisError(f"{what}: ffmpeg took more than {timeout:.0f} s") from err
        except OSError as err:
            raise AnalysisError(f"{what}: cannot run {args[0]}: {err}") from err
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise AnalysisError(f"{what}: {' / '.join(tail) or f'exit {done.returncode}'}")
        return done.stdout.decode("utf-8", "replace")

    def probe(self, path: Path) -> MediaInfo:
        """Streams and length of ``path``; a file OBS is still writing counts up to its
        last packet (its container has no length yet)."""
        what = f"cannot read {path}"
        if not path.is_file():
            raise AnalysisError(f"{what}: no such file")
        out = json.loads(self.run(
            [self.ffprobe, "-v", "error", "-show_entries",
             "format=duration:stream=codec_type,codec_name,width,height,r_frame_rate,pix_fmt,"
             "sample_rate,channels", "-of", "json", str(path)], what=what) or "{}")
        streams = out.get("streams", [])
        video = next((s for s in streams if s.get("codec_type") == "video"), None)
        audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
        if video is None:
            raise AnalysisError(f"{what}: it has no video stream")
        duration = _float(out.get("format", {}).get("duration"))
        if duration is None:
            duration = self.last_packet(path)
        return MediaInfo(duration, video.get("codec_name"), int(video.get("width") or 0),
                         int(video.get("height") or 0), video.get("r_frame_rate") or "30/1",
                         video.get("pix_fmt"), audio.get("codec_name") if audio else None,
                         int(_float(audio.get("sample_rate")) or 48000) if audio else 48000,
                         int(audio.get("channels") or 2) if audio else 2)

    def duration(self, path: Path) -> float:
        """The length of a file this process wrote (a reel's part): read by PyAV in
        process, no ffprobe started (a reel has one part per moment); ffprobe if PyAV
        cannot say."""
        try:
            import av  # a dependency, imported when first needed
        except ImportError:
            return self.probe(path).duration
        try:
            with av.open(str(path)) as container:
                if container.duration is not None:
                    return float(container.duration) / 1_000_000  # AV_TIME_BASE
        except (OSError, av.FFmpegError) as err:
            log.debug("PyAV cannot read the length of %s (%s): ffprobe", path, err)
        return self.probe(path).duration

    def last_packet(self, path: Path) -> float:
        """The time of the last video packet written (reads packets, decodes nothing)."""
        out = self.run([self.ffprobe, "-v", "error", "-select_streams", "v:0",
                        "-show_entries", "packet=pts_time", "-of", "csv=p=0", str(path)],
                       what=f"cannot read {path}")
        times = [t for t in (_float(line) for line in out.splitlines()) if t is not None]
        return max(times, default=0.0)

    def keyframes(self, path: Path) -> list[float]:
        """Times of the video keyframes, ascending (packet flags: nothing decoded)."""
        out = self.run([self.ffprobe, "-v", "error", "-select_streams", "v:0",
                        "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", str(path)],
                       what=f"cannot read {path}")
        found = []
        for line in out.splitlines():
            time_text, _, flags = line.partition(",")
            value = _float(time_text)
            if value is not None and "K" in flags:
                found.append(value)
        return sorted(found)


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def find_tools(ffmpeg: str = "ffmpeg") -> Tools:
    """ffmpeg (a name on PATH or a path) and the ffprobe next to it; AnalysisError if
    either is missing, saying how to install it."""
    found = shutil.which(ffmpeg)
    if found is None:
        raise AnalysisError(f"ffmpeg not found ({ffmpeg!r}): {INSTALL_HINT}")
    sibling = Path(found).with_name("ffprobe" + Path(found).suffix)
    probe = str(sibling) if sibling.is_file() else shutil.which("ffprobe")
    if probe is None:
        raise AnalysisError(f"ffprobe not found next to {found}: {INSTALL_HINT}")
    return Tools(found, probe)
