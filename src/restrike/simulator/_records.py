"""Values the court model works with: the match set-up, score ledger and results."""

from __future__ import annotations

from dataclasses import dataclass

from restrike.simulator._people import Person

__all__ = ["COLORS", "GAP", "POINTS", "SIDES", "ChallengeRecord", "Correction", "MatchSetup",
           "MatchSummary", "ScoreChange"]

# WT values, as sent in `pt1;N`: punch 1, body kick 2, head kick 3, turning (technical)
# kick to the body 4, turning kick to the head 5 — the value equals the type number.
POINTS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}
GAP = 12  # a 12-point lead ends the round (PTG)
COLORS = {1: "BLUE", 2: "RED"}
SIDES = {0: "referee", 1: "blue", 2: "red"}


@dataclass(frozen=True, slots=True)
class MatchSetup:
    number: str
    phase: str
    category: str
    blue: Person
    red: Person
    blue_short: str
    red_short: str
    officials: tuple[Person, ...]  # centre referee, then judges 1..3
    match_id: str
    division: str = "Senior"
    rounds: int = 3
    round_seconds: int = 120
    break_seconds: int = 60
    body_level: str = "25"
    head_level: str = "20"
    colors: tuple[str, str, str, str] = ("#1F4FD8", "#FFFFFF", "#D81F26", "#FFFFFF")


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """One entry of the score ledger: why an athlete's score moved."""

    athlete: int
    round: int
    points: int
    reason: str  # "point N", "gam-jeom", "challenge"


@dataclass(frozen=True, slots=True)
class Correction:
    """What a won video review changes: `award` a missed point, `remove` points given."""

    kind: str  # "award" | "remove"
    athlete: int
    value: int  # technique for award, points for remove


@dataclass(slots=True)
class ChallengeRecord:
    by: int  # 0 referee, 1 blue coach, 2 red coach
    round: int
    decision: str = "requested"  # requested | accepted | rejected | cancelled
    outcome: str | None = None  # won | lost


@dataclass(frozen=True, slots=True)
class MatchSummary:
    """The result a simulated match must reduce to (tests compare against it)."""

    number: str
    blue: str
    red: str
    scores: tuple[int, int]
    round_scores: tuple[tuple[int, ...], tuple[int, ...]]
    warnings: tuple[int, int]
    round_winners: tuple[int, ...]
    winner: int | None
    decision: str | None
    challenges: tuple[ChallengeRecord, ...]
    ledger: tuple[ScoreChange, ...]
