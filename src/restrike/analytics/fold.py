"""One match's events folded into its figures, event by event, in bounded memory.

`MatchFold.feed` takes the match's events oldest first: the station feeds new ones as
they are committed, a recomputation feeds a whole match at once, and both end in the
same state. Nothing grows with the number of events but the scoring timeline, which
keeps its last `TIMELINE_LIMIT` entries. `MatchFold.summary()` is what the aggregates
(athlete, day, tournament) need of a match, as JSON; `timeline()` the scoring entries.

The rules (docs/analytics.md has them for readers of the figures):

* a score is the last ``sc`` of the athlete; each change is a timeline entry, caused
  by a technique (a ``pt`` since the last change), a gam-jeom (the opponent's ``wg``
  count went up) or else a correction (a referee's, a won review: ``sc1`` lower);
* fight time is what the match clock ran: each decrease between two readings (each
  increase for a clock counting up); a reading with the ``corr`` action (the operator
  set the clock) only moves the reference, and the reset for the next round adds nothing;
* a challenge is ``chN`` (requested), then ``chN;1|0|-1`` (accepted, rejected,
  cancelled), ``chN;1;1|0`` (won, lost); a decision without the request seen counts
  as one, ``made`` leaves out the cancelled ones;
* an injury runs from an ``ijN`` (show) to its hide, reset or stopEnd; its time is
  what its clock went down by.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo
from typing import Any

from restrike.analytics._side import DECISIONS, Side, bump, int_or_none
from restrike.analytics.model import Event

__all__ = ["ANSWER_SECONDS", "LAST_SECONDS", "SUMMARY_VERSION", "TIMELINE_LIMIT", "MatchFold",
           "fold_match", "hour_function"]

#: Bumped whenever a rule or the summary's shape changes: stored summaries of another
#: version are computed again.
SUMMARY_VERSION = 3
#: Entries of the scoring timeline kept (a real match has a few dozen).
TIMELINE_LIMIT = 1000
#: "Answer after conceding": the athlete scores within this many seconds.
ANSWER_SECONDS = 5.0
#: "The last 30 s of a round": the count-down clock shows at most this.
LAST_SECONDS = 30
_PENDING_LIMIT = 64
_BUCKET = 900  # local hours change on multiples of 15 minutes (UTC) in every time zone


def hour_function(tz: tzinfo | None) -> Callable[[float], int]:
    """``t -> local hour`` in ``tz`` (None: this machine's zone), cached per quarter hour."""
    cache: dict[int, int] = {}

    def hour(t: float) -> int:
        bucket = int(t // _BUCKET)
        found = cache.get(bucket)
        if found is None:
            if len(cache) > 4096:
                cache.clear()
            found = cache[bucket] = datetime.fromtimestamp(bucket * _BUCKET, tz).hour
        return found

    return hour


class MatchFold:
    """The running figures of one match; feed its events oldest first."""

    def __init__(self, tz: tzinfo | None = None, *, hour: Callable[[float], int] | None = None
                 ) -> None:
        self.hour = hour or hour_function(tz)
        self.sides = (Side(), Side(), Side())  # referee / unidentified, blue, red
        self.kinds: Counter[str] = Counter()
        self.events = 0
        self.last_id = 0
        self.first_t: float | None = None
        self.last_t: float | None = None
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.round: int | None = None
        self.clock: int | None = None
        self.count_up = False
        self.fight = 0
        self.fight_by_round: dict[str, int] = {}
        self.actions = 0
        self.winner: int | None = None
        self.decision: str | None = None
        self.round_winners: list[int] = [0, 0, 0]
        self.hours: dict[str, list[int]] = {}  # local hour -> [events, points]
        self._timeline: deque[dict[str, Any]] = deque(maxlen=TIMELINE_LIMIT)
        self.timeline_total = 0

    def feed_all(self, events: Iterable[Event]) -> MatchFold:
        for event in events:
            self.feed(event)
        return self

    def feed(self, e: Event) -> None:
        self.events += 1
        self.last_id = max(self.last_id, e.id)
        if self.first_t is None:
            self.first_t = e.t
        self.last_t = e.t
        self.kinds[e.kind] += 1
        hour = str(self.hour(e.t))
        row = self.hours.get(hour)
        if row is None:
            row = self.hours[hour] = [0, 0]
        row[0] += 1
        handler = _HANDLERS.get(e.kind)
        if handler is not None:
            handler(self, e, hour)

    def summary(self) -> dict[str, Any]:
        """What the aggregates need of this match, JSON-ready (docs/analytics.md)."""
        return {
            "version": SUMMARY_VERSION, "events": self.events, "last_id": self.last_id,
            "first_t": self.first_t, "last_t": self.last_t, "started_at": self.started_at,
            "ended_at": self.ended_at, "fight_seconds": self.fight,
            "fight_by_round": dict(sorted(self.fight_by_round.items())),
            "actions": self.actions, "winner": self.winner, "decision": self.decision,
            "round_winners": list(self.round_winners), "kinds": dict(sorted(self.kinds.items())),
            "hours": {h: list(v) for h, v in sorted(self.hours.items())},
            "sides": [side.summary() for side in self.sides],
            "timeline_total": self.timeline_total,
        }

    def timeline(self) -> list[dict[str, Any]]:
        """The scoring timeline, oldest first (its last `TIMELINE_LIMIT` entries)."""
        return list(self._timeline)

    # -- handlers (one per kind) -------------------------------------------------------

    def _side(self, e: Event) -> Side | None:
        return self.sides[e.athlete] if e.athlete in (1, 2) else None

    def _point(self, e: Event, hour: str) -> None:
        side = self._side(e)
        technique = int_or_none(e.args.get("technique"))
        if side is None or technique is None or not 1 <= technique <= 5:
            return
        side.techniques[technique - 1] += 1
        side.pending_technique = technique
        self.actions += 1

    def _hit(self, e: Event, hour: str) -> None:
        side = self._side(e)
        level = int_or_none(e.args.get("level"))
        if side is None or level is None:
            return
        side.hit_count += 1
        side.hit_sum += level
        side.hit_max = max(side.hit_max, level)
        side.hist[min(max(level, 0) // 10, 9)] += 1

    def _warnings(self, e: Event, hour: str) -> None:
        side = self._side(e)
        count = int_or_none(e.args.get("count"))
        if side is None or count is None or e.athlete is None:
            return
        if count > side.gam_jeoms:
            self.sides[3 - e.athlete].pending_gam_jeom = True
        side.gam_jeoms = count

    def _round_score(self, e: Event, hour: str) -> None:
        side = self._side(e)
        number, score = int_or_none(e.args.get("round")), int_or_none(e.args.get("score"))
        if side is not None and number is not None and score is not None:
            side.round_scores[str(number)] = score

    def _score(self, e: Event, hour: str) -> None:
        value = int_or_none(e.args.get("score"))
        if value is None or e.athlete not in (1, 2):
            return
        athlete = e.athlete
        me, other = self.sides[athlete], self.sides[3 - athlete]
        delta = value - me.score
        if not delta:
            return
        rnd = self.round or 1
        cause, technique = "correction", None
        if delta > 0:
            state = 0 if me.score > other.score else 1 if me.score == other.score else 2
            me.by_state[state] += delta
            bump(me.by_round, rnd, delta)
            if not self.count_up and self.clock is not None and self.clock <= LAST_SECONDS:
                me.last30 += delta
            self.hours[hour][1] += delta
            while me.pending and e.t - me.pending[0] > ANSWER_SECONDS:
                me.pending.popleft()  # conceded too long ago: not answered
            me.answered += len(me.pending)
            me.pending.clear()
            other.conceded += 1
            if len(other.pending) >= _PENDING_LIMIT:
                other.pending.popleft()
            other.pending.append(e.t)
            if me.pending_technique is not None:
                cause, technique = "technique", me.pending_technique
            elif me.pending_gam_jeom:
                cause = "gam_jeom"
                me.gam_jeom_points += delta
        me.pending_technique = None
        me.pending_gam_jeom = False
        me.score = value
        self.timeline_total += 1
        self._timeline.append({"t": e.t, "round": rnd, "clock": self.clock,
                               "athlete": athlete, "points": delta,
                               "score": [self.sides[1].score, self.sides[2].score],
                               "cause": cause, "technique": technique})

    def _clock(self, e: Event, hour: str) -> None:
        seconds = int_or_none(e.args.get("time"))
        action = e.args.get("action")
        if action == "start" and self.started_at is None:
            self.started_at = e.t
        if seconds is None:
            return
        previous = self.clock
        self.clock = seconds
        if previous is None or action == "corr":
            return
        ran = seconds - previous if self.count_up else previous - seconds
        if ran > 0:
            self.fight += ran
            bump(self.fight_by_round, self.round or 1, ran)

    def _round(self, e: Event, hour: str) -> None:
        number = int_or_none(e.args.get("round"))
        if number is not None:
            self.round = number

    def _config(self, e: Event, hour: str) -> None:
        mode = e.args.get("clock_mode")
        self.count_up = isinstance(mode, str) and "up" in mode.casefold()

    def _challenge(self, e: Event, hour: str) -> None:
        if e.athlete not in (0, 1, 2):
            return
        tally = self.sides[e.athlete or 0].challenges
        decision = int_or_none(e.args.get("decision"))
        if decision is None:
            tally.request(int(hour))
        elif decision in DECISIONS:
            tally.decide(int(hour), decision, int_or_none(e.args.get("outcome")))

    def _injury(self, e: Event, hour: str) -> None:
        if e.athlete in (0, 1, 2):
            action = e.args.get("action")
            self.sides[e.athlete or 0].injury(int_or_none(e.args.get("time")),
                                              action if isinstance(action, str) else None)

    def _winner(self, e: Event, hour: str) -> None:
        self.winner = {"BLUE": 1, "RED": 2}.get(str(e.args.get("color")))
        self.ended_at = e.t

    def _winner_shown(self, e: Event, hour: str) -> None:
        text = e.args.get("result")
        if isinstance(text, str) and text.strip():
            words = [w for w in text.split() if not _is_points(w)]
            if e.truncated and words:  # the cut may have ended inside the decision
                words.pop()
            self.decision = " ".join(words) or None

    def _round_winners(self, e: Event, hour: str) -> None:
        self.round_winners = [int_or_none(e.args.get(f"round{r}")) or 0 for r in (1, 2, 3)]


def _is_points(word: str) -> bool:
    """``12-5``: the blue and red points of ``wmh`` (the rest is the decision)."""
    blue, sep, red = word.partition("-")
    return bool(sep) and blue.isdigit() and red.isdigit()


_HANDLERS: dict[str, Callable[[MatchFold, Event, str], None]] = {
    "point": MatchFold._point,
    "hit_level": MatchFold._hit,
    "warnings": MatchFold._warnings,
    "round_score": MatchFold._round_score,
    "score": MatchFold._score,
    "clock": MatchFold._clock,
    "round": MatchFold._round,
    "match_config": MatchFold._config,
    "challenge": MatchFold._challenge,
    "injury": MatchFold._injury,
    "winner": MatchFold._winner,
    "winner_shown": MatchFold._winner_shown,
    "round_winners": MatchFold._round_winners,
}


def fold_match(events: Iterable[Event], tz: tzinfo | None = None) -> MatchFold:
    """A whole match folded at once (its events oldest first)."""
    return MatchFold(tz).feed_all(events)
