"""The scoring software's bookkeeping: each operator action returns what tkStrike sends.

`Court` knows the WT rules the simulator follows (points per technique, gam-jeom,
best of three rounds, the 12-point gap, the challenge quota) and nothing about time
or sockets: the match generator and the interactive prompt both drive it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from restrike.errors import SimulatorError
from restrike.protocol import Message, Schema, Value, default_schema
from restrike.simulator._items import Item, Raw, make
from restrike.simulator._records import (
    COLORS,
    GAP,
    POINTS,
    SIDES,
    ChallengeRecord,
    Correction,
    MatchSetup,
    MatchSummary,
    ScoreChange,
)

__all__ = ["POINTS", "ChallengeRecord", "Correction", "Court", "MatchSetup", "MatchSummary",
           "ScoreChange"]


@dataclass(slots=True)
class _Board:
    round: int = 1
    clock: int = 0
    running: bool = False
    phase: str = "none"  # none ready round round_over break between decided finished
    end_reason: str = "time"
    scores: list[list[int]] = field(default_factory=lambda: [[0, 0, 0], [0, 0, 0]])
    techniques: list[list[list[int]]] = field(
        default_factory=lambda: [[[0] * 6 for _ in range(3)] for _ in range(2)])
    warnings: list[int] = field(default_factory=lambda: [0, 0])
    round_winners: list[int] = field(default_factory=lambda: [0, 0, 0])
    round_decisions: list[str] = field(default_factory=lambda: ["", "", ""])
    cards: list[int] = field(default_factory=lambda: [1, 1])
    pending: ChallengeRecord | None = None
    challenges: list[ChallengeRecord] = field(default_factory=list)
    injury: list[int] | None = None  # [athlete, seconds]
    timeout: list[int] | None = None  # [athlete, seconds]
    timeouts_left: list[int] = field(default_factory=lambda: [1, 1])
    break_left: int | None = None
    match_winner: int | None = None
    winner: int | None = None
    decision: str | None = None
    ledger: list[ScoreChange] = field(default_factory=list)


class Court:
    """One court's scoring software state; every action returns the messages it sends."""

    def __init__(self, schema: Schema | None = None) -> None:
        self.schema = schema or default_schema()
        self.setup: MatchSetup | None = None
        self.b = _Board()

    # --- helpers ---------------------------------------------------------------------

    def m(self, code: str, *values: Value) -> Message:
        return make(code, *values, schema=self.schema)

    def _need(self, *phases: str, what: str) -> MatchSetup:
        if self.setup is None or self.b.phase == "none":
            raise SimulatorError(f"cannot {what}: no match loaded (use load)")
        if phases and self.b.phase not in phases:
            raise SimulatorError(f"cannot {what} now ({self.describe_phase()})")
        return self.setup

    def describe_phase(self) -> str:
        b = self.b
        return {
            "none": "no match loaded", "ready": f"round {b.round} ready to start",
            "round": f"round {b.round} {'running' if b.running else 'stopped'}",
            "round_over": f"round {b.round} over", "break": "break running",
            "between": "between rounds", "decided": "match decided, winner not shown",
            "finished": "match finished",
        }[b.phase]

    @property
    def totals(self) -> tuple[int, int]:
        return sum(self.b.scores[0]), sum(self.b.scores[1])

    def score_items(self) -> list[Item]:
        """The full `sAR` set then `sc1`/`sc2` (totals of the match), as after each point."""
        s = self.b.scores
        out: list[Item] = [self.m(f"s{a}{r}", s[a - 1][r - 1]) for r in (1, 2, 3) for a in (1, 2)]
        total = self.totals
        return [*out, self.m("sc1", total[0]), self.m("sc2", total[1])]

    def _stop_if_running(self) -> list[Item]:
        if self.b.running:
            self.b.running = False
            return [self.m("clk", self.b.clock, "stop")]
        return []

    def _add(self, athlete: int, points: int, reason: str) -> None:
        b = self.b
        row = b.scores[athlete - 1]
        row[b.round - 1] = max(0, row[b.round - 1] + points)
        b.ledger.append(ScoreChange(athlete, b.round, points, reason))

    def _gap_check(self) -> list[Item]:
        b = self.b
        r = b.round - 1
        if b.phase == "round" and abs(b.scores[0][r] - b.scores[1][r]) >= GAP:
            b.running = False
            b.phase = "round_over"
            b.end_reason = "gap"
            return [self.m("clk", b.clock, "stopEnd")]
        return []

    # --- loading -----------------------------------------------------------------------

    def load(self, setup: MatchSetup) -> list[Item]:
        """`pre`, athletes, officials, `mch` and the zeroed board, up to `rnd;1`."""
        self.setup = setup
        self.b = _Board(clock=setup.round_seconds, phase="ready")
        ref, *judges = setup.officials
        officials: list[Item] = [self.m("ref", ref.name, ref.country)]
        officials += [self.m(f"ju{i}", j.name, j.country) for i, j in enumerate(judges, start=1)]
        c = setup.colors
        return [
            self.m("pre", "FightLoaded"),
            self.m("at1", setup.blue_short, setup.blue.name, setup.blue.country),
            self.m("at2", setup.red_short, setup.red.name, setup.red.country),
            *officials,
            self.m("mch", setup.number, setup.phase, setup.category, "", c[0], c[1], c[2], c[3],
                   setup.match_id, setup.division, setup.rounds, setup.round_seconds,
                   "cntDown", setup.body_level, setup.head_level),
            self.m("wg1", 0), self.m("wg2", 0),
            self.m("wrd", 0, 0, 0),
            *self.score_items(),
            self.m("avt", 0),
            self.m("clk", setup.round_seconds),
            self.m("rnd", 1),
        ]

    def ready(self) -> list[Item]:
        self._need("ready", what="declare the match ready")
        return [self.m("rdy", "FightReady")]

    def hardware_test(self, state: int) -> list[Item]:
        """`hwt;1` opens the test, `hwt;2..5` are test hits, `hwt;0` closes it."""
        self._need("ready", what="run a hardware test")
        return [self.m("hwt", state)]

    # --- the clock ----------------------------------------------------------------------

    def start(self) -> list[Item]:
        b = self.b
        self._need("ready", "round", what="start the clock")
        if b.running:
            raise SimulatorError("the clock is already running")
        if b.pending is not None:
            raise SimulatorError("a video review is open (accept, reject or cancel it first)")
        out: list[Item] = []
        if b.injury is not None:
            out += self.injury_end("hide")
        if b.timeout is not None:
            athlete, seconds = b.timeout
            out.append(self.m(f"to{athlete}", seconds, "stop"))
            b.timeout = None
        b.phase = "round"
        b.running = True
        return [*out, self.m("clk", b.clock, "start")]

    def stop(self) -> list[Item]:
        self._need("round", what="stop the clock")
        if not self.b.running:
            raise SimulatorError("the clock is not running")
        return self._stop_if_running()

    def tick(self) -> list[Item]:
        """One second of match time; at 0:00 the round is over (`clk;0:00;stopEnd`)."""
        b = self.b
        if b.phase != "round" or not b.running:
            return []
        b.clock -= 1
        if b.clock > 0:
            return [self.m("clk", b.clock)]
        b.running = False
        b.phase = "round_over"
        b.end_reason = "time"
        return [self.m("clk", 0, "stopEnd")]

    # --- scoring --------------------------------------------------------------------------

    def point(self, athlete: int, technique: int) -> list[Item]:
        """`ptN;T`, the full `sAR` set and `sc1/sc2`; ends the round at a 12-point gap."""
        self._need("round", "round_over", what="award a point")
        if athlete not in (1, 2) or technique not in POINTS:
            raise SimulatorError("a point needs athlete 1|2 and type 1..5")
        self._add(athlete, POINTS[technique], f"point {technique}")
        self.b.techniques[athlete - 1][self.b.round - 1][technique] += 1
        return [self.m(f"pt{athlete}", technique), *self.score_items(), *self._gap_check()]

    def gamjeom(self, athlete: int) -> list[Item]:
        """A penalty: `wg1;N;wg2;M` and one point to the opponent."""
        self._need("round", "round_over", what="give a gam-jeom")
        if athlete not in (1, 2):
            raise SimulatorError("a gam-jeom needs athlete 1|2")
        b = self.b
        b.warnings[athlete - 1] += 1
        self._add(3 - athlete, 1, "gam-jeom")
        return [self.m("wg1", b.warnings[0]), self.m("wg2", b.warnings[1]), *self.score_items(),
                *self._gap_check()]

    def hit(self, athlete: int, level: int) -> list[Item]:
        return [self.m(f"hl{athlete}", level)]

    def hits(self, blue: int, red: int) -> list[Item]:
        """Both protectors at once: tkStrike glues them (`hl1;50hl2;30`)."""
        return [Raw(f"hl1;{blue}hl2;{red}", f"hl1;{blue};hl2;{red}", ("hl1", "hl2"))]

    # --- injuries and time-outs -----------------------------------------------------------

    def injury(self, athlete: int, seconds: int = 60) -> list[Item]:
        self._need("round", "ready", what="start injury time")
        if self.b.injury is not None:
            raise SimulatorError("injury time is already running")
        out = self._stop_if_running()
        self.b.injury = [athlete, seconds]
        return [*out, self.m(f"ij{athlete}", seconds, "show")]

    def injury_tick(self) -> list[Item]:
        injury = self.b.injury
        if injury is None or injury[1] <= 0:
            return []
        injury[1] -= 1
        if injury[1] == 0:
            return [self.m(f"ij{injury[0]}", 0, "stopEnd")]
        return [self.m(f"ij{injury[0]}", injury[1])]

    def injury_end(self, action: str = "hide") -> list[Item]:
        injury = self.b.injury
        if injury is None:
            raise SimulatorError("no injury time is running")
        self.b.injury = None
        return [self.m(f"ij{injury[0]}", injury[1], action)]

    def timeout(self, athlete: int, seconds: int) -> list[Item]:
        """Para-taekwondo time-out (`toN`), once per athlete per match."""
        self._need("round", what="call a time-out")
        b = self.b
        if b.timeouts_left[athlete - 1] <= 0:
            raise SimulatorError(f"{SIDES[athlete]} has no time-out left")
        b.timeouts_left[athlete - 1] -= 1
        out = self._stop_if_running()
        b.timeout = [athlete, seconds]
        return [*out, self.m(f"to{athlete}", seconds, "start")]

    def timeout_tick(self) -> list[Item]:
        timeout = self.b.timeout
        if timeout is None:
            return []
        timeout[1] -= 1
        if timeout[1] > 0:
            return [self.m(f"to{timeout[0]}", timeout[1])]
        self.b.timeout = None
        return [self.m(f"to{timeout[0]}", 0, "stopEnd")]

    # --- video review ---------------------------------------------------------------------

    def can_challenge(self, who: int) -> bool:
        b = self.b
        return (b.phase in ("round", "round_over") and b.pending is None
                and (who == 0 or b.cards[who - 1] > 0))

    def challenge(self, who: int) -> list[Item]:
        """`chN;` requested by a coach (needs the card) or the referee (`ch0`)."""
        self._need("round", "round_over", what="request a video review")
        b = self.b
        if b.pending is not None:
            raise SimulatorError(f"a review by {SIDES[b.pending.by]} is already open")
        if who in (1, 2) and b.cards[who - 1] <= 0:
            raise SimulatorError(f"{SIDES[who]} has no challenge left in this match")
        b.pending = ChallengeRecord(who, b.round)
        b.challenges.append(b.pending)
        return [*self._stop_if_running(), self.m(f"ch{who}")]

    def _open(self, decision: str) -> ChallengeRecord:
        pending = self.b.pending
        if pending is None or pending.decision != decision:
            raise SimulatorError("no video review is waiting for that")
        return pending

    def decide(self, accepted: bool) -> list[Item]:
        """`chN;1` accepted (review follows) or `chN;0` rejected (the card is spent)."""
        ch = self._open("requested")
        if accepted:
            ch.decision = "accepted"
            return [self.m(f"ch{ch.by}", 1)]
        ch.decision = "rejected"
        self._spend(ch.by)
        self.b.pending = None
        return [self.m(f"ch{ch.by}", 0)]

    def cancel(self) -> list[Item]:
        """`chN;-1` the request is withdrawn before a decision; the card is kept."""
        ch = self._open("requested")
        ch.decision = "cancelled"
        self.b.pending = None
        return [self.m(f"ch{ch.by}", -1)]

    def outcome(self, won: bool, correction: Correction | None = None) -> list[Item]:
        """`chN;1;1` won (the card is kept, the score corrected) or `chN;1;0` lost."""
        ch = self._open("accepted")
        ch.outcome = "won" if won else "lost"
        self.b.pending = None
        out: list[Item] = [self.m(f"ch{ch.by}", 1, 1 if won else 0)]
        if not won:
            self._spend(ch.by)
            return out
        if correction is None:
            return out
        if correction.kind == "award":
            return out + self.point(correction.athlete, correction.value)
        self._add(correction.athlete, -correction.value, "challenge")
        return out + self.score_items()

    def _spend(self, who: int) -> None:
        if who in (1, 2):
            self.b.cards[who - 1] = 0

    # --- rounds, breaks, result -----------------------------------------------------------

    def _tie_break(self) -> int:
        """Equal round score: more points from turning kicks, then head, body, punches."""
        r = self.b.round - 1
        keys = []
        for athlete in (0, 1):
            t = self.b.techniques[athlete][r]
            keys.append((t[4] * 4 + t[5] * 5, t[3] * 3, t[2] * 2, t[1]))
        if keys[0] == keys[1]:
            return 0
        return 1 if keys[0] > keys[1] else 2

    def end_round(self, superiority: int = 1, *, winner: int | None = None,
                  decision: str | None = None) -> list[Item]:
        """Decide the round and send `wrd`; a second round won decides the match.

        A tie that the technique counts do not break goes to `superiority` (the
        referees' decision). `winner`/`decision` force the result (e.g. RSC).
        """
        self._need("round", "round_over", what="end the round")
        b = self.b
        out: list[Item] = []
        if b.phase == "round":
            b.running = False
            out.append(self.m("clk", b.clock, "stopEnd"))
        r = b.round - 1
        blue, red = b.scores[0][r], b.scores[1][r]
        if winner is None:
            if blue != red:
                winner = 1 if blue > red else 2
                decision = "PTG" if b.end_reason == "gap" else "PTF"
            else:
                winner = self._tie_break() or superiority
                decision = "SUP"
        b.round_winners[r] = winner
        b.round_decisions[r] = decision or "PTF"
        b.phase = "between"
        out.append(self.m("wrd", *b.round_winners))
        needed = self.setup.rounds // 2 + 1 if self.setup else 2
        if b.round_winners.count(winner) >= needed:
            b.match_winner = winner
            b.decision = b.round_decisions[r]
            b.phase = "decided"
        return out

    def start_break(self) -> list[Item]:
        setup = self._need("between", what="start the break")
        self.b.phase = "break"
        self.b.break_left = setup.break_seconds
        return [self.m("brk", setup.break_seconds)]

    def break_tick(self) -> list[Item]:
        b = self.b
        if b.phase != "break" or b.break_left is None:
            return []
        b.break_left -= 1
        if b.break_left > 0:
            return [self.m("brk", b.break_left)]
        b.break_left = None
        b.phase = "between"
        return [Raw("brk;0;stopEnd", codes=("brk",))]

    def next_round(self) -> list[Item]:
        setup = self._need("between", what="go to the next round")
        b = self.b
        if b.round >= setup.rounds:
            raise SimulatorError("that was the last round")
        b.round += 1
        b.clock = setup.round_seconds
        b.phase = "ready"
        return [self.m("rnd", b.round), self.m("clk", b.clock)]

    def finish(self, winner: int | None = None, decision: str | None = None) -> list[Item]:
        """`win;BLUE|RED` and `wmh;NAME;B-R DECISION` (B-R are the match totals)."""
        setup = self._need(what="declare the winner")
        b = self.b
        if b.phase == "finished":
            raise SimulatorError("the winner is already declared")
        winner = winner or b.match_winner
        if winner not in (1, 2):
            raise SimulatorError("no winner yet: name one (win blue|red)")
        out = self._stop_if_running()
        b.winner, b.decision = winner, decision or b.decision or "PTF"
        b.phase = "finished"
        name = setup.blue.name if winner == 1 else setup.red.name
        blue, red = self.totals
        return [*out, self.m("win", COLORS[winner]),
                self.m("wmh", name, f"{blue}-{red} {b.decision}")]

    # --- reporting ------------------------------------------------------------------------

    def summary(self) -> MatchSummary:
        setup = self._need(what="summarise")
        b = self.b
        return MatchSummary(
            setup.number, setup.blue.name, setup.red.name, self.totals,
            (tuple(b.scores[0]), tuple(b.scores[1])), (b.warnings[0], b.warnings[1]),
            tuple(b.round_winners), b.winner, b.decision, tuple(b.challenges), tuple(b.ledger))

    def scoreboard(self) -> str:
        """One line: match, round, clock, scores, penalties, rounds won, open review."""
        if self.setup is None:
            return "no match loaded"
        b, s = self.b, self.setup
        blue, red = self.totals
        wins = b.round_winners.count(1), b.round_winners.count(2)
        clock = f"{b.clock // 60}:{b.clock % 60:02d}"
        line = (f"match {s.number} R{b.round} {clock} {self.describe_phase()} | "
                f"BLUE {s.blue_short} {blue} (gj {b.warnings[0]}) - "
                f"{red} (gj {b.warnings[1]}) {s.red_short} RED | rounds {wins[0]}-{wins[1]}")
        if b.pending is not None:
            line += f" | review by {SIDES[b.pending.by]} {b.pending.decision}"
        if b.injury is not None:
            line += f" | injury {SIDES[b.injury[0]]} {b.injury[1]}s"
        if b.break_left is not None:
            line += f" | break {b.break_left}s"
        if b.winner is not None:
            line += f" | winner {COLORS[b.winner]} {b.decision}"
        return line
