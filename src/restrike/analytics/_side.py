"""One side of a match: an athlete's figures (or the referee's challenges and injuries).

Part of the fold (`restrike.analytics.fold`): state that only grows by counts, so a
side's summary is the same whether its events came in one batch or many.
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

__all__ = ["DECISIONS", "Challenges", "Side", "bump", "int_or_none"]

DECISIONS = {-1: "cancelled", 0: "rejected", 1: "accepted"}
_ENDS = ("hide", "reset", "stopEnd")


def int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def bump(table: dict[str, int], key: int, by: int) -> None:
    table[str(key)] = table.get(str(key), 0) + by


class Challenges:
    """One side's challenges: how many of each (request hour, status, outcome). Only the
    side's latest challenge can still change, so nothing else is kept."""

    __slots__ = ("last", "tally")

    def __init__(self) -> None:
        self.tally: Counter[tuple[int, str, str | None]] = Counter()
        self.last: tuple[int, str, str | None] | None = None

    def _move(self, old: tuple[int, str, str | None] | None,
              new: tuple[int, str, str | None]) -> None:
        if old is not None:
            self.tally[old] -= 1
            if not self.tally[old]:
                del self.tally[old]
        self.tally[new] += 1
        self.last = new

    def request(self, hour: int) -> None:
        self._move(None, (hour, "requested", None))

    def decide(self, hour: int, decision: int, outcome: int | None) -> None:
        status = DECISIONS[decision]
        last = self.last
        if last is None or (status != "cancelled" and outcome is None
                            and last[1] != "requested"):
            self.request(hour)  # decided without the request seen: it was made
            last = self.last
        assert last is not None
        if status == "cancelled" and last[1] != "requested":
            return  # closing a review already decided: the decision stands
        if outcome is not None and last[1] not in ("requested", "accepted"):
            return  # a repeated outcome (the sender re-sent it)
        result = {0: "lost", 1: "won"}.get(outcome) if outcome is not None else last[2]
        self._move(last, (last[0], status, result))

    def counts(self) -> dict[str, int]:
        """made (not cancelled), won, lost, rejected, cancelled."""
        out = {"made": 0, "won": 0, "lost": 0, "rejected": 0, "cancelled": 0}
        for (_hour, status, outcome), n in self.tally.items():
            if status == "cancelled":
                out["cancelled"] += n
                continue
            out["made"] += n
            if status == "rejected":
                out["rejected"] += n
            if outcome is not None:
                out[outcome] += n
        return out

    def by_hour(self) -> dict[str, list[int]]:
        """Per request hour: [made, won]."""
        out: dict[str, list[int]] = {}
        for (hour, status, outcome), n in sorted(self.tally.items(), key=repr):
            if status == "cancelled":
                continue
            row = out.setdefault(str(hour), [0, 0])
            row[0] += n
            row[1] += n if outcome == "won" else 0
        return out


class Side:
    """What one athlete (or, for challenges and injuries, the referee: side 0) did."""

    __slots__ = ("answered", "by_round", "by_state", "challenges", "conceded", "gam_jeom_points",
                 "gam_jeoms", "hist", "hit_count", "hit_max", "hit_sum", "injuries",
                 "injury_open", "injury_seconds", "last30", "pending", "pending_gam_jeom",
                 "pending_technique", "round_scores", "score", "techniques")

    def __init__(self) -> None:
        self.score = 0
        self.round_scores: dict[str, int] = {}
        self.techniques = [0, 0, 0, 0, 0]
        self.gam_jeoms = self.gam_jeom_points = 0
        self.hit_count = self.hit_sum = self.hit_max = 0
        self.hist = [0] * 10
        self.challenges = Challenges()
        self.injuries = self.injury_seconds = 0
        self.injury_open: list[int] | None = None  # [first clock, last clock]
        self.by_state = [0, 0, 0]  # points scored when leading, tied, trailing
        self.by_round: dict[str, int] = {}
        self.last30 = 0
        self.conceded = self.answered = 0
        self.pending: deque[float] = deque()  # times the opponent scored, not answered yet
        self.pending_technique: int | None = None
        self.pending_gam_jeom = False

    def injury(self, seconds: int | None, action: str | None) -> None:
        episode = self.injury_open
        if episode is None:
            if action in _ENDS or seconds is None:
                return  # the end of an injury whose start was not seen
            self.injuries += 1
            self.injury_open = [seconds, seconds]
            return
        if seconds is not None:
            episode[1] = seconds
        if action in _ENDS:
            self.injury_seconds += abs(episode[0] - episode[1])
            self.injury_open = None

    def summary(self) -> dict[str, Any]:
        episode = self.injury_open
        running = abs(episode[0] - episode[1]) if episode else 0
        return {
            "score": self.score, "round_scores": dict(sorted(self.round_scores.items())),
            "techniques": list(self.techniques), "gam_jeoms": self.gam_jeoms,
            "gam_jeom_points": self.gam_jeom_points,
            "hits": [self.hit_count, self.hit_sum, self.hit_max], "hit_hist": list(self.hist),
            "challenges": self.challenges.counts(),
            "challenge_hours": self.challenges.by_hour(),
            "injuries": self.injuries, "injury_seconds": self.injury_seconds + running,
            "by_state": list(self.by_state), "by_round": dict(sorted(self.by_round.items())),
            "last30": self.last30, "conceded": self.conceded, "answered": self.answered,
        }
