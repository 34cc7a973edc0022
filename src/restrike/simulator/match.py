"""The match generator: a seeded, pure function from a scenario to a timeline.

No clock and no I/O: `random.Random(seed)` decides everything, so the same seed
gives the same steps (and, once encoded, the same bytes). The runner plays the
timeline over UDP; tests reduce it through the protocol engine.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from restrike.protocol import Schema
from restrike.simulator._court import Correction, Court, MatchSetup, MatchSummary
from restrike.simulator._items import Item, Step
from restrike.simulator._people import PHASES, draw_officials, draw_pair, short_name
from restrike.simulator.scenarios import Scenario, get_scenario

__all__ = ["Timeline", "draw_setup", "generate", "iter_matches"]

MATCH_GAP = 8.0  # seconds between one match's winner and the next `pre`


@dataclass(frozen=True, slots=True)
class Timeline:
    steps: tuple[Step, ...]
    matches: tuple[MatchSummary, ...]

    @property
    def duration(self) -> float:
        return self.steps[-1].t if self.steps else 0.0


class _Writer:
    def __init__(self, t: float) -> None:
        self.t = t
        self.steps: list[Step] = []

    def emit(self, items: list[Item], after: float = 0.0) -> None:
        self.t += after
        if items:
            self.steps.append(Step(round(self.t, 3), tuple(items)))


def draw_setup(rng: random.Random, scenario: Scenario, number: int, used: set[str]) -> MatchSetup:
    category, blue, red = draw_pair(rng, used, para=scenario.para)
    return MatchSetup(
        number=str(number), phase=rng.choice(PHASES), category=category, blue=blue, red=red,
        blue_short=short_name(blue, rng), red_short=short_name(red, rng),
        officials=draw_officials(rng), match_id=str(rng.randrange(10_000, 99_999)),
        division=scenario.division, round_seconds=scenario.round_seconds,
        break_seconds=scenario.break_seconds, body_level=str(rng.choice((20, 25, 30))),
        head_level=str(rng.choice((15, 20, 25))))


class _Match:
    """Plays one match on a Court, deciding with `rng` what happens each second."""

    def __init__(self, court: Court, scenario: Scenario, rng: random.Random, t: float) -> None:
        self.court, self.sc, self.rng = court, scenario, rng
        self.w = _Writer(t)
        self.strength = rng.uniform(0.38, 0.62)  # chance that blue makes a given action

    def side(self) -> int:
        return 1 if self.rng.random() < self.strength else 2

    def technique(self) -> int:
        types, weights = zip(*self.sc.techniques, strict=True)
        return int(self.rng.choices(types, weights)[0])

    def play(self, setup: MatchSetup) -> None:
        court, w, rng = self.court, self.w, self.rng
        load = court.load(setup)
        w.emit(load[:1])
        w.emit(load[1:], 0.4)
        if self.sc.hardware_test:
            w.emit(court.hardware_test(1), 2.0)
            for state in rng.sample((2, 3, 4, 5, 2, 4), rng.randint(3, 6)):
                w.emit(court.hardware_test(state), rng.uniform(0.8, 2.5))
            w.emit(court.hardware_test(0), 2.0)
        w.emit(court.ready(), rng.uniform(2.0, 4.0))
        while True:
            w.emit(court.start(), rng.uniform(3.0, 6.0))
            if self.round():
                return  # ended by RSC, winner already declared
            w.emit(court.end_round(superiority=rng.choice((1, 2))), 0.6)
            if court.b.phase == "decided":
                break
            w.emit(court.start_break(), 1.0)
            while court.b.phase == "break":
                w.emit(court.break_tick(), 1.0)
            w.emit(court.next_round(), 0.5)
        w.emit(court.finish(), rng.uniform(2.0, 4.0))

    def round(self) -> bool:
        """One round, second by second; True if the match ended inside it."""
        court, sc, rng, w = self.court, self.sc, self.rng, self.w
        seconds = court.b.clock
        injury_at = rng.randint(1, seconds - 1) if rng.random() < sc.injury_chance else -1
        review_at = rng.randint(1, seconds - 1) if rng.random() < sc.referee_review else -1
        timeout_at = rng.randint(1, seconds - 1) if rng.random() < sc.para_timeout_chance else -1
        while court.b.phase == "round" and court.b.running:
            start = w.t
            scorer = 0
            if rng.random() < sc.point_rate:
                scorer = self.point(start + rng.uniform(0.1, 0.8))
            elif rng.random() < sc.hit_rate:
                self.hit_only(start + rng.uniform(0.1, 0.9))
            w.t = start + 1.0
            w.emit(court.tick())
            if court.b.phase != "round":
                return False
            clock = court.b.clock
            if scorer and rng.random() < sc.coach_challenge and court.can_challenge(3 - scorer):
                self.challenge(3 - scorer)
            elif rng.random() < sc.gamjeom_rate:
                self.stoppage(lambda: court.gamjeom(self.side()))
            elif rng.random() < sc.stoppage_rate:
                self.stoppage(None)
            elif clock == injury_at:
                if self.injury():
                    return True
            elif clock == review_at and court.can_challenge(0):
                self.challenge(0)
            elif clock == timeout_at:
                self.para_timeout()
        return False

    def point(self, at: float) -> int:
        athlete, technique = self.side(), self.technique()
        self.w.t = at
        if technique >= 2:  # kicks register a hit level on the protector first
            self.w.emit(self.court.hit(athlete, self.rng.randint(25, 100)))
            self.w.t += 0.05
        self.w.emit(self.court.point(athlete, technique))
        return athlete

    def hit_only(self, at: float) -> None:
        self.w.t = at
        rng = self.rng
        if rng.random() < self.sc.glued_hits:
            self.w.emit(self.court.hits(rng.randint(5, 24), rng.randint(5, 24)))
        else:
            self.w.emit(self.court.hit(self.side(), rng.randint(5, 24)))

    def resume(self, after: float) -> None:
        if self.court.b.phase == "round" and not self.court.b.running:
            self.w.emit(self.court.start(), after)

    def stoppage(self, action: object) -> None:
        """Kal-yeo: clock stopped, maybe a penalty given, clock restarted."""
        rng, w = self.rng, self.w
        w.emit(self.court.stop(), rng.uniform(0.2, 0.6))
        if callable(action):
            w.emit(action(), rng.uniform(1.5, 4.0))
        self.resume(rng.uniform(2.0, 8.0))

    def injury(self) -> bool:
        """Kye-shi: one minute of injury time; True if the athlete could not go on (RSC)."""
        court, rng, w = self.court, self.rng, self.w
        athlete = rng.choice((1, 2, 1, 2, 0))
        w.emit(court.injury(athlete, 60), rng.uniform(0.2, 0.6))
        rsc = athlete != 0 and rng.random() < self.sc.rsc_share
        for _ in range(60 if rsc else rng.randint(5, 45)):
            w.emit(court.injury_tick(), 1.0)
        if rsc:
            winner = 3 - athlete
            w.emit(court.injury_end("hide"), 1.5)
            w.emit(court.end_round(winner=winner, decision="RSC"), 2.0)
            w.emit(court.finish(winner, "RSC"), 2.0)
            return True
        w.emit(court.injury_end(rng.choice(("hide", "reset"))), rng.uniform(0.5, 2.0))
        self.resume(rng.uniform(1.0, 3.0))
        return False

    def challenge(self, who: int) -> None:
        """Video review: request, decision, and for an accepted one the outcome."""
        court, rng, w = self.court, self.rng, self.w
        w.emit(court.challenge(who), rng.uniform(0.3, 1.0))
        luck = rng.random()
        if luck < 0.05:
            w.emit(court.cancel(), rng.uniform(1.0, 3.0))
        elif luck < 0.15:
            w.emit(court.decide(False), rng.uniform(2.0, 5.0))
        else:
            w.emit(court.decide(True), rng.uniform(2.0, 5.0))
            won = rng.random() < 0.45
            w.emit(court.outcome(won, self.correction(who) if won else None),
                   rng.uniform(8.0, 25.0))
        self.resume(rng.uniform(2.0, 5.0))

    def correction(self, who: int) -> Correction | None:
        """A won review awards a missed point or removes the opponent's last one."""
        rng = self.rng
        beneficiary = who or self.side()
        opponent = 3 - beneficiary
        last = next((c for c in reversed(self.court.b.ledger)
                     if c.athlete == opponent and c.round == self.court.b.round), None)
        if last is not None and last.reason.startswith("point") and rng.random() < 0.5:
            return Correction("remove", opponent, last.points)
        if who == 0 and rng.random() < 0.3:
            return None  # the referee's review confirmed the call
        return Correction("award", beneficiary, self.technique())

    def para_timeout(self) -> None:
        court, rng, w = self.court, self.rng, self.w
        athlete = rng.choice((1, 2))
        if court.b.timeouts_left[athlete - 1] <= 0:
            return
        w.emit(court.timeout(athlete, self.sc.para_timeout_seconds), rng.uniform(0.2, 0.6))
        while court.b.timeout is not None:
            w.emit(court.timeout_tick(), 1.0)
        self.resume(rng.uniform(1.0, 3.0))


def iter_matches(scenario: str | Scenario = "championship", seed: int = 1, *,
                 count: int | None = None, start: float = 0.0, schema: Schema | None = None,
                 ) -> Iterator[tuple[list[Step], MatchSummary]]:
    """Matches one after another (endless if `count` is None), each with new athletes."""
    sc = get_scenario(scenario) if isinstance(scenario, str) else scenario
    top = random.Random(seed)
    number = top.randrange(101, 400)
    used: set[str] = set()
    t = start
    index = 0
    while count is None or index < count:
        setup = draw_setup(top, sc, number + index, used)
        match = _Match(Court(schema), sc, random.Random(top.getrandbits(64)), t)
        match.play(setup)
        yield match.w.steps, match.court.summary()
        t = match.w.t + MATCH_GAP
        index += 1


def generate(scenario: str | Scenario = "championship", seed: int = 1, matches: int = 1, *,
             schema: Schema | None = None) -> Timeline:
    """The whole timeline of `matches` matches (same arguments, same timeline)."""
    steps: list[Step] = []
    summaries: list[MatchSummary] = []
    for match_steps, summary in iter_matches(scenario, seed, count=matches, schema=schema):
        steps += match_steps
        summaries.append(summary)
    return Timeline(tuple(steps), tuple(summaries))
