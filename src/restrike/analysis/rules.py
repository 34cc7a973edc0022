"""Key moments of a match, tagged as the court's events arrive: a pure fold, no I/O.

`Tagger.feed(event)` takes the store's events one by one (oldest first, as committed)
and returns what changes: new `Tag`s and `Drop`s (a point the referee took back drops
every tag of its event). No clock, no database: time and the day come in with the
event, so the live station, a rebuild from the store and the property tests agree.

The score is the match total (`sc1`/`sc2`). A scoring *action* is the event that
caused a rise of one side's total: a point (`pt`), a penalty (`wg`, its point goes to
the opponent) or, with no cause seen, the score message itself (a point added by
hand). A fall of a total is a correction: it drops the tags of that side's latest
scoring action that gave those points.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Mapping
from dataclasses import dataclass, field

from restrike.protocol import Value

__all__ = ["AUTO_KINDS", "Drop", "Event", "Rules", "Tag", "Tagger", "leader"]

#: Every kind the tagger makes, in the order the docs list them.
AUTO_KINDS = ("head_kick", "turning_kick", "penalty", "lead_change", "last_seconds",
              "golden_point", "review_overturned", "high_impact", "decisive", "comeback")
_COLORS = {"BLUE": 1, "RED": 2}


@dataclass(frozen=True, slots=True)
class Rules:
    """The thresholds the rules use (the ``[analysis]`` settings)."""

    last_seconds: int = 10  # a score with at most this much left on the round clock
    comeback_points: int = 5  # the winner trailed by at least this many points
    high_impact_share: float = 0.05  # a hit in the athlete's top share of the day
    high_impact_min_hits: int = 20  # hits of the athlete that day before any counts


@dataclass(frozen=True, slots=True)
class Event:
    """One stored event as the tagger needs it (`received_at` as epoch seconds)."""

    id: int
    match: int | None
    at: float
    kind: str
    athlete: int | None = None
    args: Mapping[str, Value] = field(default_factory=dict)
    day: str = ""  # the local date: hit levels are ranked per athlete and day


@dataclass(frozen=True, slots=True)
class Tag:
    """A key moment, linked to the event it belongs to."""

    event_id: int
    match: int | None
    kind: str
    athlete: int | None  # 1 blue, 2 red, None (the referee, the match)
    round: int | None
    clock: int | None  # seconds left on the round clock
    before: tuple[int, int] | None  # the totals before and after the action
    after: tuple[int, int] | None
    weight: float  # 0..1: how strong a moment it is (reels keep the heaviest)
    at: float


@dataclass(frozen=True, slots=True)
class Drop:
    """Every automatic tag of ``event_id`` is withdrawn (the referee took the point back)."""

    event_id: int


Change = Tag | Drop


def leader(score: tuple[int, int] | None) -> int | None:
    """1 or 2, whoever is ahead; None for a tie (a tie has no leader) or no score."""
    if score is None or score[0] == score[1]:
        return None
    return 1 if score[0] > score[1] else 2


@dataclass(slots=True)
class _Cause:
    """A point or penalty waiting for the score message that carries its points."""

    event: Event
    kind: str  # point | penalty
    beneficiary: int  # whose total it raises
    technique: int | None = None


@dataclass(slots=True)
class _Step:
    """A change of the totals, in order: what decisive and comeback are judged on."""

    event_id: int
    at: float
    after: tuple[int, int]
    round: int | None
    round_after: tuple[int, int] | None
    beneficiary: int | None  # None: a correction
    gain: int
    dropped: bool = False


@dataclass(slots=True)
class _Match:
    id: int | None
    scores: list[int | None] = field(default_factory=lambda: [None, None])
    round_scores: dict[int, list[int]] = field(default_factory=dict)
    warnings: list[int | None] = field(default_factory=lambda: [None, None])
    round: int | None = None
    rounds: int = 3
    clock: int | None = None
    names: dict[int, tuple[str, str]] = field(default_factory=dict)
    pending: _Cause | None = None
    steps: list[_Step] = field(default_factory=list)
    challenges: dict[int, str] = field(default_factory=dict)  # side -> last status
    finished: bool = False


class Tagger:
    """The fold: ``feed`` one event, get the tags it adds and the ones it drops."""

    def __init__(self, rules: Rules | None = None) -> None:
        self.rules = rules or Rules()
        self._match = _Match(None)
        self._hits: dict[tuple[str, object], list[int]] = {}  # (day, athlete) -> sorted
        self._day = ""

    def feed(self, event: Event) -> list[Change]:
        out: list[Change] = []
        if event.match != self._match.id or event.kind == "match_loaded":
            out += self._close_pending()
            self._match = _Match(event.match)
        handler = _HANDLERS.get(event.kind)
        if handler is not None:
            out += handler(self, event)
        return out

    # -- helpers ---------------------------------------------------------------------

    def _tag(self, event: Event, kind: str, weight: float, *, athlete: int | None,
             before: tuple[int, int] | None = None,
             after: tuple[int, int] | None = None) -> Tag:
        m = self._match
        return Tag(event.id, m.id, kind, athlete, m.round, m.clock, before, after,
                   round(min(1.0, max(0.0, weight)), 3), event.at)

    def _totals(self) -> tuple[int, int] | None:
        blue, red = self._match.scores
        return None if blue is None or red is None else (blue, red)

    def _round_totals(self) -> tuple[int, int] | None:
        m = self._match
        if m.round is None:
            return None
        rows = [m.round_scores.get(a, []) for a in (1, 2)]
        index = m.round - 1
        if any(index >= len(row) for row in rows):
            return None
        return rows[0][index], rows[1][index]

    def _close_pending(self) -> list[Change]:
        """A cause whose score never changed still gets the tags that need no score."""
        cause, self._match.pending = self._match.pending, None
        return [] if cause is None else self._action(cause.event, cause, None, None)

    def _action(self, event: Event, cause: _Cause | None, before: tuple[int, int] | None,
                after: tuple[int, int] | None) -> list[Change]:
        """The tags of one scoring action (``cause`` None: points added with no cause)."""
        m, rules = self._match, self.rules
        who = cause.beneficiary if cause else event.athlete
        tags: list[Change] = []
        if cause is not None and cause.kind == "point":
            technique = cause.technique
            if technique in (3, 5):
                tags.append(self._tag(event, "head_kick", 0.6 if technique == 3 else 0.7,
                                      athlete=who, before=before, after=after))
            if technique in (4, 5):
                tags.append(self._tag(event, "turning_kick", 0.5, athlete=who,
                                      before=before, after=after))
        if cause is not None and cause.kind == "penalty":
            tags.append(self._tag(event, "penalty", 0.3, athlete=event.athlete,
                                  before=before, after=after))
        scored = cause is None or after is None or before != after
        if scored and m.clock is not None and m.round is not None \
                and m.clock <= rules.last_seconds:
            tags.append(self._tag(event, "last_seconds",
                                  0.5 + 0.5 * (rules.last_seconds - m.clock)
                                  / max(1, rules.last_seconds),
                                  athlete=who, before=before, after=after))
        if scored and m.round is not None and m.round > m.rounds:
            tags.append(self._tag(event, "golden_point", 1.0, athlete=who, before=before,
                                  after=after))
        new_leader = leader(after)
        if before is not None and new_leader is not None and new_leader != leader(before):
            tags.append(self._tag(event, "lead_change", 0.6, athlete=new_leader,
                                  before=before, after=after))
        return tags

    # -- handlers --------------------------------------------------------------------

    def _on_round(self, event: Event) -> list[Change]:
        value = event.args.get("round")
        self._match.round = value if isinstance(value, int) else None
        return []

    def _on_clock(self, event: Event) -> list[Change]:
        value = event.args.get("time")
        if isinstance(value, int):
            self._match.clock = value
        return []

    def _on_config(self, event: Event) -> list[Change]:
        rounds = event.args.get("rounds")
        self._match.rounds = rounds if isinstance(rounds, int) and rounds > 0 else 3
        return []

    def _on_athlete(self, event: Event) -> list[Change]:
        if event.athlete in (1, 2):
            self._match.names[event.athlete] = (str(event.args.get("long_name") or ""),
                                                str(event.args.get("country") or ""))
        return []

    def _on_point(self, event: Event) -> list[Change]:
        technique = event.args.get("technique")
        if event.athlete not in (1, 2) or not isinstance(technique, int):
            return []
        out = self._close_pending()
        self._match.pending = _Cause(event, "point", event.athlete, technique)
        return out

    def _on_warnings(self, event: Event) -> list[Change]:
        """``wg1``/``wg2`` carry the counts; a rise is a penalty, its point the opponent's."""
        count = event.args.get("count")
        athlete = event.athlete
        if athlete not in (1, 2) or not isinstance(count, int):
            return []
        m = self._match
        previous, m.warnings[athlete - 1] = m.warnings[athlete - 1], count
        if previous is None or count <= previous:
            return []  # the first count seen is where the count starts
        out = self._close_pending()
        m.pending = _Cause(event, "penalty", 3 - athlete)
        return out

    def _on_round_score(self, event: Event) -> list[Change]:
        rnd, score = event.args.get("round"), event.args.get("score")
        if event.athlete in (1, 2) and isinstance(rnd, int) and isinstance(score, int) \
                and 1 <= rnd <= 9:
            row = self._match.round_scores.setdefault(event.athlete, [])
            row.extend([0] * (rnd - len(row)))
            row[rnd - 1] = score
        return []

    def _on_score(self, event: Event) -> list[Change]:
        athlete, value = event.athlete, event.args.get("score")
        if athlete not in (1, 2) or not isinstance(value, int):
            return []
        m = self._match
        old = m.scores[athlete - 1]
        before = self._totals()
        m.scores[athlete - 1] = value
        if old is None or value == old:
            return []  # the first total seen is where the count starts
        after = self._totals()
        if value < old:
            return self._correction(event, athlete, old - value, after)
        out: list[Change] = []
        cause = m.pending
        if cause is not None and cause.beneficiary != athlete:
            out += self._close_pending()
            cause = None
        m.pending = None
        source = cause.event if cause else event
        out += self._action(source, cause, before, after)
        if after is not None:
            m.steps.append(_Step(source.id, source.at, after, m.round, self._round_totals(),
                                 athlete, value - old))
        return out

    def _correction(self, event: Event, athlete: int, points: int,
                    after: tuple[int, int] | None) -> list[Change]:
        m = self._match
        live = [s for s in m.steps if s.beneficiary == athlete and not s.dropped]
        exact = [s for s in live if s.gain == points]
        taken = (exact or live)[-1] if live else None
        out: list[Change] = []
        if taken is not None:
            taken.dropped = True
            out.append(Drop(taken.event_id))
        if after is not None:
            m.steps.append(_Step(event.id, event.at, after, m.round, self._round_totals(),
                                 None, -points))
        return out

    def _on_challenge(self, event: Event) -> list[Change]:
        side = event.athlete or 0
        decision, outcome = event.args.get("decision"), event.args.get("outcome")
        m = self._match
        previous = m.challenges.get(side)
        if decision is None:
            m.challenges[side] = "requested"
        elif decision == 1 and outcome == 1:
            m.challenges[side] = "won"
            if previous != "won":
                return [self._tag(event, "review_overturned", 0.8,
                                  athlete=side if side in (1, 2) else None)]
        elif decision == -1 and previous in ("accepted", "won"):
            pass  # closing a decided review keeps its decision
        else:
            m.challenges[side] = {1: "accepted", 0: "rejected", -1: "cancelled"}.get(
                decision if isinstance(decision, int) else 9, "requested")
        return []

    def _on_hit(self, event: Event) -> list[Change]:
        level = event.args.get("level")
        if event.athlete not in (1, 2) or not isinstance(level, int) or level <= 0:
            return []
        if event.day != self._day:
            self._hits.clear()  # a new day: rank against that day's hits only
            self._day = event.day
        who = self._match.names.get(event.athlete) or ("slot", event.athlete)
        levels = self._hits.setdefault((event.day, who), [])
        insort(levels, level)
        higher = len(levels) - bisect_right(levels, level)
        rules = self.rules
        if len(levels) >= rules.high_impact_min_hits \
                and higher < rules.high_impact_share * len(levels):
            return [self._tag(event, "high_impact", level / 100, athlete=event.athlete)]
        return []

    def _on_winner(self, event: Event) -> list[Change]:
        m = self._match
        winner = _COLORS.get(str(event.args.get("color") or ""))
        if m.finished or winner is None:
            return []
        out = self._close_pending()
        m.finished = True
        decisive = decisive_step(m.steps, winner, m.round)
        if decisive is not None:
            out.append(Tag(decisive.event_id, m.id, "decisive", winner, decisive.round, None,
                           None, decisive.after, 0.9, decisive.at))
        deficit = max((s.after[2 - winner] - s.after[winner - 1] for s in m.steps), default=0)
        if deficit >= self.rules.comeback_points:
            where_id, where_at = (decisive.event_id, decisive.at) if decisive else (
                event.id, event.at)
            out.append(Tag(where_id, m.id, "comeback", winner, m.round, None, None,
                           self._totals(), min(1.0, 0.5 + deficit / 24), where_at))
        return out


def decisive_step(steps: list[_Step], winner: int, last_round: int | None) -> _Step | None:
    """The change after which ``winner`` led until the end: on the totals if the winner
    ends ahead on them, else on the score of the last round played (a match won on
    rounds); None if neither (won by superiority or RSC while not ahead). A dropped
    action is never chosen: the next change of the same lead is."""
    if steps and leader(steps[-1].after) == winner:
        return _lead_start(steps, [s.after for s in steps], winner)
    inside = [s for s in steps if s.round == last_round and s.round_after is not None]
    scores = [s.round_after for s in inside]
    if inside and leader(scores[-1]) == winner:
        return _lead_start(inside, scores, winner)
    return None


def _lead_start(steps: list[_Step], scores: list[tuple[int, int] | None],
                winner: int) -> _Step | None:
    start = len(steps)
    while start > 0 and leader(scores[start - 1]) == winner:
        start -= 1
    return next((s for s in steps[start:] if not s.dropped), None)


_HANDLERS = {
    "round": Tagger._on_round,
    "clock": Tagger._on_clock,
    "match_config": Tagger._on_config,
    "athlete": Tagger._on_athlete,
    "point": Tagger._on_point,
    "warnings": Tagger._on_warnings,
    "round_score": Tagger._on_round_score,
    "score": Tagger._on_score,
    "challenge": Tagger._on_challenge,
    "hit_level": Tagger._on_hit,
    "winner": Tagger._on_winner,
}
