"""WT Competition Rules, Article 21 (video review), as pure functions over the state.

* The review clock runs ``review_seconds`` (30 s) from the request.
* The window under review starts ``marker_seconds`` (5 s) before the request.
* Each athlete has ``quota`` challenges per match (1 by default). A challenge that is
  won (``chN;1;1``, or ``chN;1`` accepted without an outcome) or cancelled (``chN;-1``
  before any decision) is kept; a rejected or lost one is used up. A request waiting
  for its decision counts as used until it is decided. Referee reviews (``ch0``) never
  use an athlete's quota, and the referee has none to run out of.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from restrike.protocol.state import Challenge

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


def challenge_kept(ch: Challenge) -> bool:
    """True when this challenge does not use up the athlete's quota."""
    if ch.outcome == "won":
        return True
    if ch.outcome == "lost":
        return False
    return ch.status in ("accepted", "cancelled")


def remaining_quota(challenges: Iterable[Challenge], quota: int) -> tuple[int, int]:
    """(blue, red) challenges left in the match, never below zero."""
    used = [0, 0]
    for ch in challenges:
        if ch.athlete in (1, 2) and not challenge_kept(ch):
            used[ch.athlete - 1] += 1
    return (max(0, quota - used[0]), max(0, quota - used[1]))


def quota_exhausted(challenges: Iterable[Challenge], athlete: int | None, quota: int) -> bool:
    """True when a new request by ``athlete`` (1 blue, 2 red) comes with no quota left.

    ``challenges`` is the match's history *before* this request. The referee (0) and
    requests without an athlete (console, hotkey) are never out of quota.
    """
    if athlete not in (1, 2):
        return False
    return remaining_quota(challenges, quota)[athlete - 1] == 0
