"""WT Competition Rules, Article 21 (video review), as pure functions over the state.

* The review clock runs ``review_seconds`` (30 s) from the request.
* The window under review starts ``marker_seconds`` (5 s) before the request.
* Each athlete has ``quota`` challenges per match (1 by default). A challenge that is
  won (``chN;1;1``, or ``chN;1`` accepted without an outcome) or cancelled (``chN;-1``
  before any decision) is kept; a rejected or lost one is used up. A request waiting
  for its decision counts as used until it is decided. Referee reviews (``ch0``) never
  use an athlete's quota, and the referee has none to run out of.

The quota is read from the state's running counts (``MatchState.challenge_counts``,
every challenge of the match, also those the capped history no longer lists), so it
costs the same whatever the number of challenges a sender has thrown at the station.
"""

from __future__ import annotations

from dataclasses import dataclass

from restrike.protocol.state import Challenge, ChallengeCount, MatchState

__all__ = [
    "ReviewRules",
    "challenge_kept",
    "marker_at",
    "quota_exhausted",
    "remaining_quota",
    "review_clock_remaining",
]


@dataclass(frozen=True, slots=True)
class ReviewRules:
    review_seconds: float = 30.0
    marker_seconds: float = 5.0
    quota: int = 1


def marker_at(requested_at: float, rules: ReviewRules) -> float:
    """Start of the window under review (a marker on the clip's timeline)."""
    return requested_at - rules.marker_seconds


def review_clock_remaining(requested_at: float, now: float, rules: ReviewRules) -> float:
    """Seconds left on the 30 s review clock (never negative)."""
    return max(0.0, rules.review_seconds - max(0.0, now - requested_at))


def challenge_kept(ch: Challenge | ChallengeCount) -> bool:
    """True when this challenge (or these counted alike) does not use up the quota."""
    if ch.outcome == "won":
        return True
    if ch.outcome == "lost":
        return False
    return ch.status in ("accepted", "cancelled")


def remaining_quota(state: MatchState, quota: int) -> tuple[int, int]:
    """(blue, red) challenges left in the match, never below zero."""
    used = [0, 0]
    for counted in state.challenge_counts:
        if counted.athlete in (1, 2) and not challenge_kept(counted):
            used[counted.athlete - 1] += counted.number
    return (max(0, quota - used[0]), max(0, quota - used[1]))


def quota_exhausted(state: MatchState, athlete: int | None, quota: int) -> bool:
    """True when a new request by ``athlete`` (1 blue, 2 red) comes with no quota left.

    ``state`` is the match *before* this request. The referee (0) and requests without
    an athlete (console, hotkey) are never out of quota.
    """
    if athlete not in (1, 2):
        return False
    return remaining_quota(state, quota)[athlete - 1] == 0
