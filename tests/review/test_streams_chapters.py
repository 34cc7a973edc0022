"""Stream offsets across interruptions and YouTube chapter rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from restrike.review.chapters import (
    Chapter,
    build_chapters,
    format_chapters,
    format_timestamp,
    validate_chapters,
)
from restrike.review.streams import StreamTimeline


def test_offsets_across_an_interruption() -> None:
    tl = StreamTimeline().start(1000.0).stop(1060.0).start(1090.0, "reconnected")
    assert tl.offset_at(1000.0) == 0.0
    assert tl.offset_at(1030.0) == 30.0
    assert tl.offset_at(1075.0) == 60.0  # inside the gap: where the stream resumed
    assert tl.offset_at(1100.0) == 70.0
    assert tl.offset_at(999.0) == 0.0
    assert tl.total(1100.0) == 70.0
    assert StreamTimeline.from_json(tl.as_json()) == tl


def test_resync_recomputes_after_a_late_noticed_interruption() -> None:
    tl = StreamTimeline().start(0.0).stop(100.0).start(110.0)
    # OBS says the new output has only sent 15 s at t=130: it really resumed at 115.
    tl = tl.resync(130.0, 15.0)
    assert tl.offset_at(130.0) == 115.0
    assert tl.offset_at(112.0) == 100.0
    # never before the previous segment's end
    assert tl.resync(130.0, 500.0).segments[-1].started_at == 100.0


def test_timestamps() -> None:
    assert format_timestamp(0) == "0:00"
    assert format_timestamp(61.9) == "1:01"
    assert format_timestamp(3600) == "1:00:00"
    assert format_timestamp(3725) == "1:02:05"


def test_chapters_follow_youtube_rules() -> None:
    items = [Chapter(125, "Match 102"), Chapter(5, "Match 101"),
             Chapter(130, "Review", "challenge"),
             Chapter(400, "Review blue", "challenge"), Chapter(3700, "Match 103")]
    chapters = build_chapters(items, end=4000)
    text = format_chapters(chapters)
    assert text.splitlines()[0] == "0:00 Match 101"
    assert "2:05 Match 102" in text and "Review\n" not in text
    assert "6:40 Review blue" in text and "1:01:40 Match 103" in text
    assert validate_chapters(text) == []


def test_match_beats_a_challenge_just_before_it() -> None:
    chapters = build_chapters([Chapter(0, "A"), Chapter(100, "ch", "challenge"),
                               Chapter(105, "B"), Chapter(300, "C")])
    assert [c.title for c in chapters] == ["A", "B", "C"]


def test_intro_and_too_few() -> None:
    chapters = build_chapters([Chapter(60, "A"), Chapter(200, "B")])
    assert [c.title for c in chapters] == ["Before the first match", "A", "B"]
    assert build_chapters([Chapter(0, "A"), Chapter(5, "B")]) == []
    assert validate_chapters("0:00 A\n0:05 B\n") != []
    assert validate_chapters("0:10 A\n1:00 B\n2:00 C\n") == ["the first chapter must be at 0:00"]


@given(st.lists(st.tuples(st.floats(0, 20000), st.sampled_from(["match", "challenge"])),
                max_size=40), st.none() | st.floats(0, 30000))
def test_built_chapters_are_always_valid(items: list[tuple[float, str]], end: float | None
                                         ) -> None:
    chapters = build_chapters([Chapter(at, f"c{i}", kind) for i, (at, kind) in enumerate(items)],
                              end=end)
    if chapters:
        assert validate_chapters(format_chapters(chapters)) == []


@given(st.lists(st.tuples(st.floats(0, 500), st.floats(0.1, 100)), max_size=10),
       st.floats(0, 5000))
def test_offsets_are_monotonic(steps: list[tuple[float, float]], probe: float) -> None:
    tl = StreamTimeline()
    t = 0.0
    for run, gap in steps:
        tl = tl.start(t).stop(t + run)
        t += run + gap
    times = sorted([probe, probe + 1.0, probe + 50.0])
    offsets = [tl.offset_at(x) for x in times]
    if tl.segments:
        values = [o for o in offsets if o is not None]
        assert values == sorted(values)
        assert all(0.0 <= o <= tl.total(t) + 1e-6 for o in values)
