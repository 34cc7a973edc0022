"""The motion-peak analyzer on generated clips with a known motion burst."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
from typer.testing import CliRunner

from restrike.analysis.analyzers import (
    Analyzer,
    Finding,
    Frame,
    FrameFormat,
    MotionPeak,
    load_analyzers,
    read_frames,
    suggest_start,
)
from restrike.analysis.cli import cli
from restrike.analysis.ffmpeg import Tools
from restrike.errors import AnalysisError
from tests.analysis.media import burst_clip


@pytest.mark.parametrize("burst", [2.4, 5.7])
def test_the_motion_peak_is_found_within_0_2_s(tools: Tools, tmp_path: Path,
                                               burst: float) -> None:
    clip = burst_clip(tools, tmp_path / "clip.mp4", burst)
    findings = MotionPeak().analyze(read_frames(clip))
    assert len(findings) == 1
    assert abs(findings[0].at - burst) <= 0.2, findings
    assert findings[0].score > 0.5  # one burst in a still clip
    assert suggest_start(findings, lead=1.0) == pytest.approx(findings[0].at - 1.0)


def test_frames_are_small_grey_images_in_order(recording: Path) -> None:
    frames = read_frames(recording)  # 30 frames/s: every frame
    first = [next(frames) for _ in range(3)]
    frames.close()  # the file is closed
    assert [f.t for f in first] == pytest.approx([0.0, 1 / 30, 2 / 30], abs=1e-3)
    assert all(len(f.gray) == f.width * f.height == 64 * 36 for f in first)
    # The testsrc picture is not one grey: the frames are decoded, not blank.
    assert len(set(first[0].gray)) > 10


def test_a_faster_clip_is_thinned_and_a_smaller_size_asked(tools: Tools,
                                                           tmp_path: Path) -> None:
    clip = tmp_path / "sixty.mp4"
    tools.run([tools.ffmpeg, "-v", "error", "-f", "lavfi", "-i",
               "testsrc=size=320x180:rate=60", "-t", "1", "-c:v", "libx264", "-preset",
               "ultrafast", "-pix_fmt", "yuv420p", "-y", str(clip)], what="test clip")
    frames = list(read_frames(clip, FrameFormat(fps=30, width=30, height=17)))
    assert len(frames) == 30  # every other of 60
    assert all(b.t - a.t == pytest.approx(2 / 60, abs=1e-3)
               for a, b in pairwise(frames))
    assert all(len(f.gray) == 30 * 17 for f in frames)  # rows without padding


def test_analyzers_are_a_protocol_and_unknown_ones_are_left_out(
        caplog: pytest.LogCaptureFixture) -> None:
    class Still:
        name = "still"

        def analyze(self, frames: object) -> list[Finding]:
            return []

    assert isinstance(Still(), Analyzer) and isinstance(MotionPeak(), Analyzer)
    loaded = load_analyzers(["motion_peak", "nope"])
    assert [a.name for a in loaded] == ["motion_peak"]
    assert "analyzer nope is not installed" in caplog.text
    assert MotionPeak().analyze([Frame(0, 1, 1, b"\0")]) == []
    assert suggest_start([]) is None


def test_a_clip_that_is_not_there_or_not_a_video(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match="no such file"):
        list(read_frames(tmp_path / "missing.mp4"))
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video")
    with pytest.raises(AnalysisError, match="cannot analyse"):
        list(read_frames(junk))


def test_the_command(tools: Tools, tmp_path: Path) -> None:
    clip = burst_clip(tools, tmp_path / "clip.mp4", 3.0)
    done = CliRunner().invoke(cli, ["analyze", str(clip)])
    assert done.exit_code == 0, done.stdout + done.stderr
    found = re.search(r"motion_peak: motion peak at (\d+\.\d+) s", done.stdout)
    assert found and abs(float(found[1]) - 3.0) <= 0.2, done.stdout
    assert "suggested replay start:" in done.stdout
