"""What ``restrike bench analysis`` measures: the tagger per message, a reel per minute.

The tagger is fed simulated matches (the simulator's messages, parsed by the station's
parser) and timed alone. The reel is cut from a generated recording (H.264/AAC in
Matroska, keyframes every 2 s, as OBS records) with a tag every 10 s, into a temporary
database shaped like the station's, by the same code as ``restrike highlights``. A
review clip (1080p, 30 frames/s, B-frames, like OBS's replay buffer) is decoded by PyAV
and analysed as the plugin does when a review saves one: it must be done while the
replay is in its first ``analysis.seek_within`` seconds to move it to the impact.
"""

from __future__ import annotations

import time
from pathlib import Path

from restrike.analysis.ffmpeg import Tools, find_tools
from restrike.analysis.highlights import ReelRequest, build_reel
from restrike.analysis.reels import Matchup, Moment
from restrike.analysis.rules import Event, Tag, Tagger
from restrike.protocol import Message, parse

__all__ = ["clip_cost", "feed_cost", "make_recording", "reel_cost"]


def _events(matches: int) -> list[Event]:
    from restrike.simulator import encode_items, generate

    events: list[Event] = []
    match = 0
    for step in generate("championship", 7, matches).steps:
        for datagram in encode_items(step.items):
            for message in parse(datagram):
                if isinstance(message, Message):
                    match += message.kind == "match_loaded"
                    events.append(Event(len(events) + 1, match, step.t, message.kind,
                                        message.athlete, message.fields, "2027-01-15"))
    return events


def feed_cost(matches: int) -> tuple[float, int, int]:
    """(seconds per message, messages, tags made) for ``matches`` simulated matches."""
    events = _events(matches)
    tagger = Tagger()
    started = time.perf_counter()
    made = sum(isinstance(change, Tag) for event in events for change in tagger.feed(event))
    return (time.perf_counter() - started) / max(1, len(events)), len(events), made


def make_recording(tools: Tools, path: Path, seconds: int, *, size: str = "640x360",
                   keyframe_seconds: int = 2) -> Path:
    """A test recording like OBS's: moving pattern, a tone, H.264/AAC, mkv."""
    tools.run([tools.ffmpeg, "-v", "error", "-f", "lavfi", "-i",
               f"testsrc=size={size}:rate=30", "-f", "lavfi", "-i",
               "sine=frequency=440:sample_rate=48000", "-t", str(seconds), "-c:v", "libx264",
               "-preset", "ultrafast", "-g", str(30 * keyframe_seconds), "-pix_fmt", "yuv420p",
               "-c:a", "aac", "-ac", "2", "-y", str(path)], what="making a test recording")
    return path


def reel_cost(folder: Path, seconds: int, ffmpeg: str, *, encode: bool
              ) -> tuple[float, float, str]:
    """(seconds to build, reel length, mode) from a ``seconds`` long recording."""
    tools = find_tools(ffmpeg)
    source = folder / f"recording-{seconds}.mkv"
    if not source.exists():
        make_recording(tools, source, seconds)
    if encode:  # the same recording in a codec a reel cannot copy: every part re-encoded
        other = folder / f"recording-{seconds}-mpeg4.mkv"
        if not other.exists():
            tools.run([tools.ffmpeg, "-v", "error", "-i", str(source), "-c:v", "mpeg4",
                       "-q:v", "5", "-c:a", "copy", "-y", str(other)], what="re-encoding")
        source = other
    match = Matchup(1, "101", "KIM Minsu", "KOR", "John DOE", "USA", (12, 5), "PTF")
    moments = [Moment(match, str(source), float(t), "head kick (blue)", 0.6, float(t))
               for t in range(5, seconds - 3, 10)]
    started = time.perf_counter()
    result = build_reel(tools, moments, ReelRequest(before=3, after=2),
                        folder / f"reel-{int(encode)}.mp4")
    took = time.perf_counter() - started
    mode = "re-encoded" if result.encoded else "stream copy"
    return took, result.duration, f"{mode}, {result.segments} segments"


def clip_cost(folder: Path, seconds: int, ffmpeg: str) -> tuple[float, float, str]:
    """(seconds to analyse, CPU seconds of this process meanwhile, what was found) for a
    ``seconds`` long 1080p30 review clip (the CPU time says what a loaded machine's
    wall time hides)."""
    from restrike.analysis.clips import run_analyzers

    tools = find_tools(ffmpeg)
    clip = folder / f"review-{seconds}.mkv"
    if not clip.exists():
        tools.run([tools.ffmpeg, "-v", "error", "-f", "lavfi", "-i",
                   "testsrc2=size=1920x1080:rate=30", "-t", str(seconds), "-c:v", "libx264",
                   "-preset", "veryfast", "-bf", "2", "-g", "60", "-pix_fmt", "yuv420p", "-y",
                   str(clip)], what="making a review clip")
    started, cpu = time.perf_counter(), time.process_time()
    found = run_analyzers(("motion_peak",), clip)
    took, used = time.perf_counter() - started, time.process_time() - cpu
    return took, used, ", ".join(f"{f.label} at {f.at:.2f} s" for _n, f in found) or "nothing"
