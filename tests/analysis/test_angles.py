"""A highlight reel takes a moment inside a multi-angle review clip from its best-covered
angle: the rule over made-up clips, then real angle files (generated with ffmpeg, each
with a motion burst at a known second) cut into a real reel by ``restrike highlights``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from restrike.analysis.angles import AngleClip, choose, motion_around
from restrike.analysis.ffmpeg import Tools
from restrike.analysis.tables import write_changes
from restrike.store import Store
from tests.analysis.conftest import STARTED, _seed, tag_at
from tests.analysis.media import burst_clip
from tests.analysis.test_reels import highlights

#: The tagged moment: 30 s into match 101's recording (wall clock).
MOMENT = STARTED + 1000 + 30.0
#: Each angle: (name, its first frame's wall time, the second of its motion burst).
#: rec and cam3 hold the window but show no motion in it; cam2 shows the kick; cam4
#: moves most around the moment but its clip starts 1.5 s before it (less covered).
ANGLES = (("rec", MOMENT - 6.0, 1.0), ("cam2", MOMENT - 6.0, 5.5),
          ("cam3", MOMENT - 6.0, 7.5), ("cam4", MOMENT - 1.5, 1.2))


def _chapters(tools: Tools, path: Path) -> tuple[float, list[str]]:
    """The reel's length and chapter titles (the angle files are silent: no AAC)."""
    out = json.loads(tools.run([tools.ffprobe, "-v", "error", "-show_chapters",
                                "-show_entries", "format=duration", "-of", "json", str(path)],
                               what="probe"))
    return float(out["format"]["duration"]), [c["tags"]["title"] for c in out["chapters"]]


def _clip(name: str, start: float, length: float = 8.0) -> AngleClip:
    return AngleClip(1, 0, name, f"{name}.mkv", start, start + length)


def test_the_best_covered_angle_wins_then_the_one_with_most_motion() -> None:
    at = 1000.0
    clips = [_clip("a", at - 6), _clip("b", at - 6), _clip("c", at - 1.5),
             _clip("far", at + 5)]
    motion = {"a": 1.0, "b": 4.0, "c": 9.0, "far": 50.0}

    def pick(angle: str, before: float = 2.0, after: float = 1.0) -> str | None:
        chosen = choose(clips, at, before=before, after=after, angle=angle,
                        motion=lambda clip, _second: motion[clip.name])
        return None if chosen is None else chosen.name

    assert pick("best") == "b"  # c holds less of [at - 2, at + 1]; far not the moment
    assert pick("best", before=1.0) == "c"  # all hold the window: most motion
    assert pick("a") == "a" and pick("far") is None  # forced; not there: the recording
    assert pick("recording") is None
    assert choose(clips, at + 100, before=2, after=1, angle="best",
                  motion=lambda *_: 0.0) is None  # no clip holds it


@pytest.fixture
def angle_database(tmp_path: Path, tools: Tools, recording: Path) -> Iterator[Path]:
    """Match 101 (recorded) with one tag at 30 s, and a four-angle review clip around it
    (the rows the review archive writes: clips, clip_angles)."""
    files = {name: burst_clip(tools, tmp_path / f"{name}.mkv", burst)
             for name, _start, burst in ANGLES}
    path = tmp_path / "restrike.db"
    store = Store(path)
    store.start()

    def seed(conn: sqlite3.Connection) -> None:
        _seed(conn, {"101": recording})
        clip = conn.execute(
            "INSERT INTO clips (review, run, day, match, requested_by, source, requested_at,"
            " path, clip_start, clip_end) VALUES (1, 'r', '2027-01-15', '101', 'blue', 'udp',"
            " ?, ?, ?, ?)", (MOMENT + 2, str(files["rec"]), MOMENT - 6, MOMENT + 2)).lastrowid
        conn.executemany(
            'INSERT INTO clip_angles (clip_id, position, name, obs_name, path, "offset", '
            "clip_start, clip_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(clip, i, name, name, str(files[name]), start - (MOMENT - 1.5), start,
              start + 8.0) for i, (name, start, _burst) in enumerate(ANGLES)])
        write_changes(conn, [tag_at(1, 1, 30.0, "decisive", 0.9)])

    try:
        store.call(seed).result(30)
    finally:
        store.close()
    yield path


def test_motion_is_measured_around_the_moment_in_each_real_file(angle_database: Path,
                                                                 tmp_path: Path) -> None:
    clips = {name: AngleClip(1, i, name, str(tmp_path / f"{name}.mkv"), start, start + 8)
             for i, (name, start, _burst) in enumerate(ANGLES)}
    energy = {name: motion_around(clip, clip.second(MOMENT)) for name, clip in clips.items()}
    assert energy["cam2"] > 1.0 and energy["cam4"] > 1.0  # the burst is in their window
    assert energy["rec"] < 0.1 and energy["cam3"] < 0.1  # a still picture there


def test_the_reel_cuts_each_moment_from_the_chosen_angle(angle_database: Path, tools: Tools,
                                                         tmp_path: Path) -> None:
    def reel_titles(*angle: str) -> list[str]:
        reel = tmp_path / f"reel-{'-'.join(angle) or 'default'}.mp4"
        code, output = highlights("--database", str(angle_database), "--match", "101",
                                  "--to", str(reel), "--before", "2", "--after", "1",
                                  "--title-seconds", "0", *angle)
        assert code == 0, output
        duration, chapters = _chapters(tools, reel)
        # The window (a stream copy may start up to 3 s before, on a keyframe).
        assert 2.9 <= duration <= 6.1, duration
        return chapters

    assert reel_titles() == ["decisive (blue) · cam2"]  # best: covered, and moving
    assert reel_titles("--angle", "cam3") == ["decisive (blue) · cam3"]
    assert reel_titles("--angle", "recording") == ["decisive (blue)"]
    assert reel_titles("--angle", "nowhere") == ["decisive (blue)"]  # not there: recording
