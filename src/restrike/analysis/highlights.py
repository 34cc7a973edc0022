"""A highlight reel from the tags of a match or a day: one MP4 (H.264/AAC) with chapters.

`collect` reads the tags and places them in their recordings (the station's database);
`build_reel` plans the reel (`reels.plan_reel`) and carries it out with ffmpeg:

* a **title card** per match (`title_seconds`; names, flags, score, decision:
  `restrike.analysis.cards`);
* each **segment** cut from its recording by **stream copy** when the recordings are
  H.264/AAC and a keyframe lies at most `MAX_KEY_GAP` s before the window (the cut
  starts on that keyframe: a little more before the moment, never less; a match's
  copied cuts of one recording are made by one ffmpeg run); otherwise
  that segment is **re-encoded** from the exact cut point (and every part is
  re-encoded when the recordings are not H.264/AAC or differ in size, rate or sound);
* the parts joined by ffmpeg's concat demuxer without re-encoding, a chapter per card
  and per segment (its tags), `+faststart`.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from restrike.analysis.angles import BEST, RECORDING, angle_clips, place_in_angles
from restrike.analysis.cards import BACKGROUND, CardLayout, card_attempts, flag_files
from restrike.analysis.ffmpeg import MediaInfo, Tools
from restrike.analysis.reels import Matchup, Moment, Part, Segment, plan_reel
from restrike.analysis.tables import list_tags
from restrike.errors import AnalysisError
from restrike.flags import FlagRegistry

__all__ = ["MAX_KEY_GAP", "ReelRequest", "ReelResult", "build_reel", "collect"]

log = logging.getLogger(__name__)

#: A stream-copied cut may start this much before its window (on the keyframe before).
MAX_KEY_GAP = 3.0
#: Every part in one video time scale: the concat demuxer copies timestamps as they are.
TIMESCALE = ("-video_track_timescale", "90000")
COARSE_SEEK = 10.0  # seconds read before a copied cut's keyframe, to land on it exactly
MAX_CUTS_PER_RUN = 16  # stream-copied cuts (an input and an output each) per ffmpeg run
MAX_TAGS = 100_000

Progress = Callable[[float, str], None]


@dataclass(frozen=True, slots=True)
class ReelRequest:
    match_number: str | None = None
    day: str | None = None
    kinds: tuple[str, ...] = ()
    before: float = 6.0
    after: float = 4.0
    max_seconds: float | None = None
    title_seconds: float = 3.0
    angle: str = BEST  # best | recording | an angle's name (restrike.analysis.angles)


@dataclass(slots=True)
class ReelResult:
    output: Path
    duration: float = 0.0
    matches: int = 0
    segments: int = 0
    copied: int = 0
    encoded: int = 0
    chapters: list[tuple[float, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # matches left out, and why

    def as_json(self) -> dict[str, object]:
        return {"output": str(self.output), "duration": round(self.duration, 3),
                "matches": self.matches, "segments": self.segments, "copied": self.copied,
                "encoded": self.encoded, "skipped": self.skipped,
                "chapters": [{"start": round(s, 3), "title": t} for s, t in self.chapters]}


def _matchups(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, Matchup]:
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        "SELECT m.id, m.number, b.long_name, b.country, r.long_name, r.country, m.result "
        "FROM matches m LEFT JOIN athletes b ON b.id = m.blue_athlete_id "
        f"LEFT JOIN athletes r ON r.id = m.red_athlete_id WHERE m.id IN ({marks})",
        list(ids)).fetchall()
    out = {}
    for mid, number, blue, blue_c, red, red_c, result_text in rows:
        result = json.loads(result_text) if result_text else {}
        points = (result.get("blue_points"), result.get("red_points"))
        score = points if all(isinstance(p, int) for p in points) else None
        out[mid] = Matchup(mid, number or str(mid), blue or "Blue", blue_c or "", red or "Red",
                           red_c or "", score, result.get("decision"))  # type: ignore[arg-type]
    return out


def collect(conn: sqlite3.Connection, request: ReelRequest) -> tuple[list[Moment], list[str]]:
    """The request's tags placed in their recordings, or in the camera angle chosen for
    each (``request.angle``, `restrike.analysis.angles`: a worker's thread, it decodes a
    few seconds of each candidate angle), and the matches left out (why).

    AnalysisError when nothing is left: no tags, or no recording of any tagged match.
    """
    try:
        tags = list_tags(conn, match_number=request.match_number, day=request.day,
                         kinds=request.kinds, limit=MAX_TAGS)
    except sqlite3.OperationalError as err:
        raise AnalysisError(f"no tags in this database ({err}): the analysis plugin has "
                            "not run on it") from err
    what = (f"match {request.match_number}" if request.match_number
            else f"day {request.day}" if request.day else "the database")
    if not tags:
        kinds = f" of kinds {', '.join(request.kinds)}" if request.kinds else ""
        raise AnalysisError(f"no tags{kinds} for {what}")
    matchups = _matchups(conn, sorted({t["match"] for t in tags if t["match"] is not None}))
    moments: list[Moment] = []
    for tag in tags:
        matchup = matchups.get(tag["match"])
        if matchup is None:
            continue
        recording = tag["recording"] or {"path": "", "offset": 0.0}  # "": an angle or none
        side = f" ({tag['side']})" if tag["side"] else ""
        moments.append(Moment(matchup, recording["path"], recording["offset"],
                              tag["kind"].replace("_", " ") + side, tag["weight"], tag["at"]))
    if request.angle != RECORDING and moments:
        clips = angle_clips(conn, min(m.at for m in moments), max(m.at for m in moments))
        moments = place_in_angles(moments, clips, before=request.before,
                                  after=request.after, angle=request.angle)
    without: dict[str, int] = {}
    for moment in moments:
        if not moment.recording:
            without[moment.match.number] = without.get(moment.match.number, 0) + 1
    moments = [m for m in moments if m.recording]
    skipped = [f"match {number} has no recording ({count} tags): OBS was not recording it"
               for number, count in without.items()]
    if not moments:
        raise AnalysisError(f"{what}: " + "; ".join(skipped or ["no tagged match"]))
    return moments, skipped


def _ratio(fps: str) -> float:
    top, _, bottom = fps.partition("/")
    try:
        return float(top) / float(bottom or 1)
    except (ValueError, ZeroDivisionError):
        return 30.0


def _escape_meta(text: str) -> str:
    for char in ("\\", "=", ";", "#", "\n"):
        text = text.replace(char, "\\" + char)
    return text


class _Builder:
    """One reel's work folder, target format and parts."""

    def __init__(self, tools: Tools, infos: dict[str, MediaInfo], work: Path,
                 flags: FlagRegistry | None = None) -> None:
        self.tools, self.infos, self.work, self.flags = tools, infos, work, flags
        first = next(iter(infos.values()))
        same = {(i.width, i.height, i.fps, i.audio_codec is None) for i in infos.values()}
        self.copy = all(i.copyable for i in infos.values()) and len(same) == 1
        self.target = first
        self.audio = not self.copy or first.audio_codec is not None
        self.parts: list[tuple[Path, str]] = []
        self.copied = self.encoded = 0
        self._keyframes: dict[str, list[float]] = {}

    def _encode_args(self) -> list[str]:
        t = self.target
        scale = (f"scale={t.width}:{t.height}:force_original_aspect_ratio=decrease,"
                 f"pad={t.width}:{t.height}:(ow-iw)/2:(oh-ih)/2,setsar=1")
        return ["-vf", scale, *self._codec_args()]

    def _codec_args(self) -> list[str]:
        t = self.target
        out = ["-r", t.fps, "-c:v", "libx264", "-preset", "veryfast", "-crf", "21",
               "-pix_fmt", "yuv420p", *TIMESCALE]
        if self.audio:
            out += ["-c:a", "aac", "-b:a", "128k", "-ar", str(t.sample_rate), "-ac",
                    str(t.channels)]
        return out

    def _silence(self) -> list[str]:
        t = self.target
        layout = "mono" if t.channels == 1 else "stereo"
        return ["-f", "lavfi", "-i", f"anullsrc=r={t.sample_rate}:cl={layout}"]

    def card(self, match: Matchup, seconds: float) -> None:
        """The match's title card (`restrike.analysis.cards`), encoded like the reel."""
        name = f"part{len(self.parts):04d}.mp4"
        t = self.target
        layout = CardLayout(t.width, t.height)
        flags = flag_files(match, self.work, self.flags) if self.flags else {}
        source = ["-f", "lavfi", "-i",
                  f"color=c={BACKGROUND}:s={t.width}x{t.height}:r={t.fps}:d={seconds:.3f}"]
        audio = self._silence() if self.audio else []
        attempts = card_attempts(match, self.work, name, layout, flags, 1 if audio else 0)
        for number, attempt in enumerate(attempts, start=1):
            args = [self.tools.ffmpeg, "-v", "error", *source, *audio, *attempt,
                    *(["-map", "1:a"] if audio else []), "-t", f"{seconds:.3f}",
                    *self._codec_args(), "-y", name]
            try:
                self.tools.run(args, cwd=self.work, what="title card")
                break
            except AnalysisError as err:  # no SVG decoder, no font: a simpler card
                if number == len(attempts):
                    raise
                log.warning("title card %d of %d failed (%s); a simpler one", number,
                            len(attempts), err)
        self.parts.append((self.work / name, match.title()))

    def segments(self, segments: Sequence[Segment]) -> None:
        """A match's segments, in order. Those cut by stream copy are cut together, by
        one ffmpeg per recording (an input and an output per segment: a process start
        each was most of a copied reel's time); the others are re-encoded one by one."""
        copies: dict[str, list[tuple[float, float, float, str]]] = {}
        for segment in segments:
            name = f"part{len(self.parts):04d}.mp4"
            key = self._copy_start(segment) if self.copy else None
            if key is None:
                self._encode(segment, name)
            else:
                # A coarse seek to well before the keyframe, then packets dropped up to
                # it exactly (stream copy: nothing decoded, the cut starts on the key).
                coarse = max(0.0, key - COARSE_SEEK)
                copies.setdefault(segment.recording, []).append(
                    (coarse, key - coarse, segment.end - key, name))
            self.parts.append((self.work / name, ", ".join(segment.labels)))
        for recording, cuts in copies.items():
            for first in range(0, len(cuts), MAX_CUTS_PER_RUN):
                self._copy(Path(recording), cuts[first:first + MAX_CUTS_PER_RUN])

    def _copy_start(self, segment: Segment) -> float | None:
        """The keyframe a stream-copied cut of ``segment`` starts on (None: none close)."""
        frames = self._keyframes.get(segment.recording)
        if frames is None:
            frames = self._keyframes[segment.recording] = self.tools.keyframes(
                Path(segment.recording))
        key = max((k for k in frames if k <= segment.start + 1e-3), default=None)
        return key if key is not None and segment.start - key <= MAX_KEY_GAP else None

    def _copy(self, path: Path, cuts: Sequence[tuple[float, float, float, str]]) -> None:
        inputs: list[str] = []
        outputs: list[str] = []
        for index, (coarse, skip, length, name) in enumerate(cuts):
            inputs += ["-ss", f"{coarse:.3f}", "-i", str(path)]
            outputs += ["-ss", f"{skip:.3f}", "-t", f"{length:.3f}", "-map", f"{index}:v:0",
                        *(["-map", f"{index}:a:0"] if self.audio else []), "-c", "copy",
                        *TIMESCALE, "-avoid_negative_ts", "make_zero", "-y", name]
        self.tools.run([self.tools.ffmpeg, "-v", "error", *inputs, *outputs], cwd=self.work,
                       what=f"cutting {path.name}")
        self.copied += len(cuts)

    def _encode(self, segment: Segment, name: str) -> None:
        path = Path(segment.recording)
        has_audio = self.infos[segment.recording].audio_codec is not None
        audio_in = [] if not self.audio or has_audio else self._silence()
        maps = ["-map", "0:v:0"]
        if self.audio:
            maps += ["-map", "0:a:0" if has_audio else "1:a:0"]
        self.tools.run([self.tools.ffmpeg, "-v", "error", "-ss", f"{segment.start:.3f}", "-i",
                        str(path), *audio_in, "-t", f"{segment.length:.3f}", *maps,
                        *self._encode_args(), "-shortest", "-y", name], cwd=self.work,
                       what=f"cutting {path.name}")
        self.encoded += 1

    def join(self, output: Path) -> list[tuple[float, str]]:
        """Concatenate the parts into ``output`` with a chapter each; the chapters."""
        chapters: list[tuple[float, str]] = []
        meta = [";FFMETADATA1"]
        at = 0.0
        for path, title in self.parts:
            length = self.tools.duration(path)
            chapters.append((at, title))
            meta += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={round(at * 1000)}",
                     f"END={round((at + length) * 1000)}", f"title={_escape_meta(title)}"]
            at += length
        (self.work / "chapters.txt").write_text("\n".join(meta) + "\n", encoding="utf-8")
        (self.work / "parts.txt").write_text(
            "".join(f"file '{path.name}'\n" for path, _ in self.parts), encoding="utf-8")
        self.tools.run([self.tools.ffmpeg, "-v", "error", "-f", "concat", "-safe", "0", "-i",
                        "parts.txt", "-i", "chapters.txt", "-map", "0", "-map_metadata", "1",
                        "-map_chapters", "1", "-c", "copy", "-movflags", "+faststart", "-y",
                        "reel.mp4"], cwd=self.work, what="joining the reel")
        output.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.work / "reel.mp4", output)
        return chapters


def build_reel(tools: Tools, moments: Sequence[Moment], request: ReelRequest, output: Path,
               progress: Progress | None = None, *, flags_dir: Path | None = None
               ) -> ReelResult:
    """Plan and cut the reel into ``output``; AnalysisError if nothing can be cut.
    ``flags_dir``: the operator's own ``<IOC>.svg`` flags (the station's
    ``<data_dir>/flags``), before the shipped ones."""
    report = progress or (lambda _done, _step: None)
    report(0.0, "reading the recordings")
    infos = {path: tools.probe(Path(path)) for path in sorted({m.recording for m in moments})}
    plan: list[Part] = plan_reel(moments, {p: i.duration for p, i in infos.items()},
                                 before=request.before, after=request.after,
                                 max_seconds=request.max_seconds)
    if not plan:
        raise AnalysisError("no tagged moment lies inside what the recordings hold")
    result = ReelResult(output, matches=len(plan))
    total = sum(len(part.segments) + 1 for part in plan) + 1
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="restrike-reel-", dir=output.parent) as folder:
        builder = _Builder(tools, infos, Path(folder), FlagRegistry(flags_dir))
        done = 0
        for part in plan:
            if request.title_seconds > 0:
                builder.card(part.match, request.title_seconds)
            done += 1
            report(done / total, f"match {part.match.number}")
            builder.segments(part.segments)
            done += len(part.segments)
            report(done / total, f"match {part.match.number}: {len(part.segments)} moments")
        result.chapters = builder.join(output)
    result.segments = builder.copied + builder.encoded
    result.copied, result.encoded = builder.copied, builder.encoded
    result.duration = tools.probe(output).duration
    report(1.0, "done")
    return result
