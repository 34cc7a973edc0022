"""Highlight reels: the pure plan, then real reels cut by ffmpeg and checked by ffprobe,
through the command a user runs (``restrike highlights``: the plugin's top-level command,
run through the station's own ``restrike`` app)."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from restrike.analysis.ffmpeg import Tools
from restrike.analysis.reels import JOIN_GAP, Matchup, Moment, plan_reel
from restrike.cli import app

MATCH = Matchup(1, "101", "KIM Minsu", "KOR", "John DOE", "USA", (12, 5), "PTF")
OTHER = Matchup(2, "102", "A", "FRA", "B", "GER", None)


def _chapters(tools: Tools, path: Path) -> tuple[float, list[tuple[float, str]]]:
    out = json.loads(tools.run([tools.ffprobe, "-v", "error", "-show_chapters",
                                "-show_entries", "format=duration:stream=codec_name",
                                "-of", "json", str(path)], what="probe"))
    codecs = {s["codec_name"] for s in out["streams"]}
    assert {"h264", "aac"} <= codecs
    return float(out["format"]["duration"]), [
        (float(c["start_time"]), c["tags"]["title"]) for c in out["chapters"]]


def highlights(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(app, ["highlights", *args])
    return done.exit_code, done.stdout + done.stderr


# -- the plan ---------------------------------------------------------------------------

@settings(max_examples=80, deadline=None)
@given(offsets=st.lists(st.floats(0, 300), max_size=25), before=st.floats(0, 20),
       after=st.floats(0, 20), length=st.floats(1, 300))
def test_windows_are_merged_ordered_and_inside_the_recording(
        offsets: list[float], before: float, after: float, length: float) -> None:
    moments = [Moment(MATCH, "a.mkv", o, f"m{i}", 0.5, 1000 + o) for i, o in enumerate(offsets)]
    parts = plan_reel(moments, {"a.mkv": length}, before=before, after=after)
    segments = [s for p in parts for s in p.segments]
    inside = [o for o in offsets if o <= length and min(length, o + after) > max(0, o - before)]
    assert sum(len(s.labels) for s in segments) == len(inside)
    for first, second in pairwise(segments):
        assert second.start > first.end + JOIN_GAP  # merged when closer
    for segment in segments:
        assert 0 <= segment.start < segment.end <= length


def test_matches_in_order_of_their_moments_and_the_lightest_left_out_to_fit() -> None:
    moments = [Moment(OTHER, "b.mkv", 50, "late", 0.2, 2000),
               Moment(MATCH, "a.mkv", 10, "light", 0.1, 1010),
               Moment(MATCH, "a.mkv", 100, "heavy", 0.9, 1100),
               Moment(OTHER, "b.mkv", 10, "mid", 0.5, 1960)]
    parts = plan_reel(moments, {"a.mkv": 200, "b.mkv": 200}, before=2, after=3)
    assert [p.match.number for p in parts] == ["101", "102"]
    assert [[s.labels for s in p.segments] for p in parts] == [
        [["light"], ["heavy"]], [["mid"], ["late"]]]
    fitted = plan_reel(moments, {"a.mkv": 200, "b.mkv": 200}, before=2, after=3,
                       max_seconds=10)
    assert [[s.labels[0] for s in p.segments] for p in fitted] == [["heavy"], ["mid"]]


# -- real reels ------------------------------------------------------------------------

def test_a_match_reel_is_stream_copied_with_a_title_card_and_chapters(
        tools: Tools, database: Path, recording: Path, tmp_path: Path) -> None:
    reel = tmp_path / "reel.mp4"
    code, output = highlights("--database", str(database), "--match", "101", "--to", str(reel),
                              "--before", "2", "--after", "2")
    assert code == 0, output
    assert "2 segments (2 stream-copied, 0 re-encoded), 3 chapters" in output
    duration, chapters = _chapters(tools, reel)
    # Card 3 s; 5 s and 7 s merged into 3..9 s and 28..32 s, each cut from the keyframe
    # before its start (every 2 s, after the encoder's first-frame delay).
    keys = tools.keyframes(recording)
    cuts = [(max(k for k in keys if k <= start), end) for start, end in ((3, 9), (28, 32))]
    assert all(start - key <= 2 for (key, _end), start in zip(cuts, (3, 28), strict=True))
    assert abs(duration - (3 + sum(end - key for key, end in cuts))) < 0.3
    assert [title for _start, title in chapters] == [
        "Match 101: KIM Minsu (KOR) 12-5 John DOE (USA) PTF",
        "head kick (blue), lead change (blue)", "decisive (blue)"]
    assert [round(start) for start, _title in chapters] == [
        0, 3, round(3 + cuts[0][1] - cuts[0][0])]
    tools.run([tools.ffmpeg, "-v", "error", "-i", str(reel), "-f", "null", "-"],
              what="decoding the reel")  # every frame decodes


def test_a_day_reel_re_encodes_what_it_cannot_copy_and_says_which_match_has_no_video(
        tools: Tools, database: Path, tmp_path: Path) -> None:
    reel = tmp_path / "day.mp4"
    code, output = highlights("--database", str(database), "--day", "2027-01-15", "--to",
                              str(reel), "--before", "1", "--after", "1", "--kinds",
                              "head_kick", "--title-seconds", "1")
    assert code == 0, output
    assert "warning: match 103 has no recording (1 tags)" in output
    assert "2 segments (0 stream-copied, 2 re-encoded), 4 chapters" in output
    duration, chapters = _chapters(tools, reel)
    assert abs(duration - 6) < 0.3  # two cards of 1 s, two exact 2 s cuts
    assert [title.split(":")[0] for _s, title in chapters] == [
        "Match 101", "head kick (blue)", "Match 102", "head kick (blue)"]


def test_bad_input_is_a_clear_message(database: Path, tmp_path: Path) -> None:
    reel = str(tmp_path / "x.mp4")
    code, output = highlights("--database", str(database), "--match", "103", "--to", reel)
    assert code == 2 and "match 103 has no recording" in output
    code, output = highlights("--database", str(database), "--match", "999", "--to", reel)
    assert code == 2 and "no tags for match 999" in output
    code, output = highlights("--database", str(database), "--match", "101", "--to", reel,
                              "--ffmpeg", str(tmp_path / "no-ffmpeg"))
    assert code == 2 and "ffmpeg not found" in output and "apt install ffmpeg" in output
    code, output = highlights("--data-dir", str(tmp_path / "none"), "--day", "2027-01-15",
                              "--to", reel)
    assert code == 2 and "no database at" in output
    assert not Path(reel).exists()


def test_a_recording_still_being_written_is_cut_up_to_what_it_holds(
        tools: Tools, recording: Path, tmp_path: Path) -> None:
    """A recording OBS is writing has no length in its header yet: the last packet counts."""
    live = tmp_path / "live.mkv"  # written as a live stream: no length, no index
    tools.run([tools.ffmpeg, "-v", "error", "-i", str(recording), "-c", "copy", "-f",
               "matroska", "-live", "1", "-y", str(live)], what="remuxing")
    growing = tmp_path / "growing.mkv"
    data = live.read_bytes()
    growing.write_bytes(data[: len(data) // 2])  # cut mid-file, as a live recording is
    info = tools.probe(growing)
    assert 10 < info.duration < 30
    from restrike.analysis.highlights import ReelRequest, build_reel

    moments = [Moment(MATCH, str(growing), 5.0, "early", 0.5, 5.0),
               Moment(MATCH, str(growing), 39.0, "not written yet", 0.5, 39.0)]
    result = build_reel(tools, moments, ReelRequest(before=1, after=1, title_seconds=0),
                        tmp_path / "partial.mp4")
    assert result.segments == 1 and [t for _s, t in result.chapters] == ["early"]
