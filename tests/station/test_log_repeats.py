"""A warning that repeats is logged once per window, its repeats counted into its next line."""

from __future__ import annotations

from restrike.logs.repeats import RepeatGate


def test_repeats_are_counted_into_the_next_line_per_text() -> None:
    now = [0.0]
    gate = RepeatGate(window=10.0, clock=lambda: now[0])
    assert gate.admit("no OBS") == "no OBS"
    assert gate.admit("not saved") == "not saved"  # another text is tracked on its own
    for _ in range(99):  # a flood alternating the two
        assert gate.admit("no OBS") is None
        assert gate.admit("not saved") is None
    now[0] = 9.9
    assert gate.admit("no OBS") is None
    now[0] = 10.0
    assert gate.admit("no OBS") == "no OBS (and 100 more like it since it was last logged)"
    assert gate.admit("no OBS") is None
    now[0] = 25.0
    assert gate.admit("not saved") == "not saved (and 99 more like it since it was last logged)"
    assert gate.admit("no OBS") == "no OBS (and 1 more like it since it was last logged)"


def test_the_texts_kept_are_bounded() -> None:
    gate = RepeatGate(window=10.0, clock=lambda: 0.0, kept=3)
    for text in ("a", "b", "c", "d"):  # "a" is forgotten: it is let through again
        assert gate.admit(text) == text
    assert gate.admit("a") == "a"
    assert gate.admit("d") is None


def test_texts_that_differ_only_in_numbers_are_one_warning() -> None:
    gate = RepeatGate(window=10.0, clock=lambda: 0.0)
    assert gate.admit("review 41: no OBS configured") == "review 41: no OBS configured"
    assert gate.admit("review 42: no OBS configured") is None
    assert gate.admit("review 43: OBS 'main' away") == "review 43: OBS 'main' away"
