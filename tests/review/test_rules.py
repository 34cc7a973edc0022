"""WT Article 21: review clock, marker, quota from the match's running challenge counts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from restrike.protocol import MatchState, parse, reduce_all
from restrike.review.rules import (
    ReviewRules,
    marker_at,
    quota_exhausted,
    remaining_quota,
    review_clock_remaining,
)

RULES = ReviewRules()
EMPTY = MatchState()


def challenges(*lines: bytes) -> MatchState:
    """The match after these challenge datagrams."""
    return reduce_all((float(i), m) for i, line in enumerate(lines) for m in parse(line))


def test_clock_and_marker() -> None:
    assert marker_at(100.0, RULES) == 95.0
    assert review_clock_remaining(100.0, 100.0, RULES) == 30.0
    assert review_clock_remaining(100.0, 112.5, RULES) == 17.5
    assert review_clock_remaining(100.0, 200.0, RULES) == 0.0
    assert review_clock_remaining(100.0, 90.0, RULES) == 30.0


def test_quota_lost_won_cancelled_pending() -> None:
    assert remaining_quota(EMPTY, 1) == (1, 1)
    assert remaining_quota(challenges(b"ch1"), 1) == (0, 1)  # pending counts as used
    assert remaining_quota(challenges(b"ch1", b"ch1;0"), 1) == (0, 1)  # rejected
    assert remaining_quota(challenges(b"ch1", b"ch1;1"), 1) == (1, 1)  # accepted: kept
    assert remaining_quota(challenges(b"ch1", b"ch1;1", b"ch1;1;1"), 1) == (1, 1)  # won
    assert remaining_quota(challenges(b"ch1", b"ch1;1", b"ch1;1;0"), 1) == (0, 1)  # lost
    assert remaining_quota(challenges(b"ch2", b"ch2;-1"), 1) == (1, 1)  # cancelled
    assert remaining_quota(challenges(b"ch0", b"ch0;0"), 1) == (1, 1)  # referee's own
    assert remaining_quota(challenges(b"ch2", b"ch2;0", b"ch2", b"ch2;0"), 2) == (2, 0)


@given(st.lists(st.sampled_from([b"ch0", b"ch1", b"ch2", b"ch1;1", b"ch1;0", b"ch1;-1",
                                 b"ch2;1;1", b"ch2;1;0", b"ch2;-1", b"ch1;1;1"]), max_size=20),
       st.integers(0, 3))
def test_quota_is_bounded(lines: list[bytes], quota: int) -> None:
    blue, red = remaining_quota(challenges(*lines), quota)
    assert 0 <= blue <= quota and 0 <= red <= quota


def test_quota_exhausted_before_a_request() -> None:
    assert not quota_exhausted(EMPTY, 1, 1)
    assert not quota_exhausted(EMPTY, 2, 1)
    assert quota_exhausted(EMPTY, 1, 0)
    assert quota_exhausted(challenges(b"ch1", b"ch1;0"), 1, 1)  # rejected: used
    assert not quota_exhausted(challenges(b"ch1", b"ch1;0"), 2, 1)  # red still has one
    assert quota_exhausted(challenges(b"ch2", b"ch2;1;0"), 2, 1)  # lost: used
    assert not quota_exhausted(challenges(b"ch2", b"ch2;1;1"), 2, 1)  # won: kept
    assert not quota_exhausted(challenges(b"ch1", b"ch1;-1"), 1, 1)  # cancelled: kept
    assert not quota_exhausted(challenges(b"ch1", b"ch1;0"), 1, 2)  # one of two left
    # the referee has no quota, nor the console and the hotkey (no athlete)
    assert not quota_exhausted(challenges(b"ch0", b"ch0;0", b"ch0", b"ch0;0"), 0, 0)
    assert not quota_exhausted(challenges(b"ch1", b"ch1;0"), None, 0)


@given(st.lists(st.sampled_from([b"ch0", b"ch1", b"ch2", b"ch1;0", b"ch2;0", b"ch1;1;1"]),
                max_size=12), st.integers(0, 2), st.sampled_from([0, 1, 2, None]))
def test_quota_exhausted_agrees_with_remaining(lines: list[bytes], quota: int,
                                                athlete: int | None) -> None:
    left = remaining_quota(challenges(*lines), quota)
    expected = athlete in (1, 2) and left[(athlete or 1) - 1] == 0
    assert quota_exhausted(challenges(*lines), athlete, quota) is expected


def _rescan(state: MatchState, quota: int) -> tuple[int, int]:
    """Article 21 the way it reads: count the used challenges of the whole history."""
    from restrike.review.rules import challenge_kept

    used = [0, 0]
    for ch in state.challenges:
        if ch.athlete in (1, 2) and not challenge_kept(ch):
            used[ch.athlete - 1] += 1
    return (max(0, quota - used[0]), max(0, quota - used[1]))


LINES = [b"ch0", b"ch1", b"ch2", b"ch1;1", b"ch1;0", b"ch1;-1", b"ch2;1;1", b"ch2;1;0",
         b"ch2;0", b"ch2;-1", b"ch1;1;1", b"ch0;1", b"clk;1:00"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=40), st.integers(1, 8), st.integers(0, 3))
def test_running_counts_agree_with_a_rescan_of_the_uncapped_history(
        lines: list[bytes], repeat: int, quota: int) -> None:
    """The counts give the quota a rescan of every challenge would, also past the cap."""
    from unittest import mock

    from restrike.protocol import reducer
    from restrike.protocol.state import CHALLENGE_HISTORY

    capped = challenges(*(lines * repeat))
    with mock.patch.object(reducer, "CHALLENGE_HISTORY", 10**9):
        uncapped = challenges(*(lines * repeat))
    assert len(capped.challenges) <= CHALLENGE_HISTORY
    assert capped.challenges_dropped + len(capped.challenges) == len(uncapped.challenges)
    kept = iter(uncapped.challenges)
    assert all(ch in kept for ch in capped.challenges)  # the same entries, oldest dropped
    assert remaining_quota(capped, quota) == _rescan(uncapped, quota)
    for athlete in (0, 1, 2, None):
        left = _rescan(uncapped, quota)
        assert quota_exhausted(capped, athlete, quota) is (
            athlete in (1, 2) and left[(athlete or 1) - 1] == 0)
