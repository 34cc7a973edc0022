"""The live scoreboard as immutable values, and its JSON form.

Named tuples keep the reducer cheap (`_replace` copies one level) while the state
stays a value: the station, `restrike decode --state` and the API share it. Nothing in
it grows with the number of messages: the challenge history keeps at most
`CHALLENGE_HISTORY` entries and counts the older ones it drops (`challenges_dropped`;
each side's latest stays, as it may still be decided), and the quota
rules read running counts (`challenge_counts`) instead of the history, so a flood of
`ch1` datagrams costs the same per datagram as the first one.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from restrike.protocol.jsonsafe import json_ready
from restrike.protocol.messages import Value
from restrike.protocol.schema import INT_LIMIT, format_clock

__all__ = [
    "CHALLENGE_HISTORY",
    "MAX_JUDGES",
    "MAX_ROUNDS",
    "Athlete",
    "Challenge",
    "ChallengeCount",
    "Clock",
    "Injury",
    "MatchInfo",
    "MatchState",
    "Official",
    "Winner",
    "side_name",
    "state_to_json",
]

SIDES = {0: "referee", 1: "blue", 2: "red"}
#: Challenges kept per match in `MatchState.challenges` (the oldest go first, counted).
CHALLENGE_HISTORY = 64
#: Round scores kept per athlete (`rnd` allows 1..9; 4 is the golden point round).
MAX_ROUNDS = 9
#: Judge seats kept (`ju1`..`ju3` today).
MAX_JUDGES = 9


def side_name(athlete: int | None) -> str | None:
    """Slot 1 is the blue (chung) corner, slot 2 the red (hong) one; 0 is the referee."""
    return SIDES.get(athlete) if athlete is not None else None


class Athlete(NamedTuple):
    short_name: str = ""
    long_name: str = ""
    country: str = ""  # three letters, or "" (unknown)
    background: str | None = None
    foreground: str | None = None
    truncated: bool = False  # a name may be cut short (the sender cut the datagram)


class Official(NamedTuple):
    name: str
    country: str | None = None
    truncated: bool = False  # the name may be cut short


class MatchInfo(NamedTuple):
    number: str | None = None
    id: str | None = None
    phase: str | None = None
    category: str | None = None
    division: str | None = None
    rounds: int | None = None
    round_seconds: int | None = None
    clock_mode: str | None = None
    body_level: str | None = None
    head_level: str | None = None


class Clock(NamedTuple):
    seconds: int | None = None
    running: bool = False
    action: str | None = None


class Injury(NamedTuple):
    athlete: int  # 0 = not identified
    seconds: int | None
    shown: bool
    action: str | None


class Challenge(NamedTuple):
    athlete: int  # 0 referee, 1 blue, 2 red
    status: str  # requested | accepted | rejected | cancelled
    outcome: str | None  # won | lost
    requested_at: float
    decided_at: float | None
    round: int | None
    clock: int | None  # match clock (seconds) when requested


class ChallengeCount(NamedTuple):
    """How many of the match's challenges (kept or dropped) are in one state.

    The reducer moves a challenge between counts as it is decided, so the quota rules
    read at most 3 x 4 x 3 counts instead of the whole history.
    """

    athlete: int
    status: str
    outcome: str | None
    number: int  # how many challenges are in this state


class Winner(NamedTuple):
    color: str | None
    athlete: int | None
    name: str | None
    decision: str | None
    points: tuple[int, int] | None = None


class MatchState(NamedTuple):
    loaded: bool = False
    ready: bool = False
    match: MatchInfo = MatchInfo()
    athletes: tuple[Athlete, Athlete] = (Athlete(), Athlete())
    referee: Official | None = None
    judges: tuple[Official | None, ...] = (None, None, None)
    round: int | None = None
    clock: Clock = Clock()
    break_clock: Clock | None = None
    injury: Injury | None = None
    timeouts: tuple[Clock | None, Clock | None] = (None, None)
    round_scores: tuple[tuple[int, ...], tuple[int, ...]] = ((0, 0, 0), (0, 0, 0))
    scores: tuple[int, int] = (0, 0)
    warnings: tuple[int, int] = (0, 0)
    hit_levels: tuple[int, int] = (0, 0)
    last_point: tuple[int, int, float] | None = None  # athlete, technique, time
    challenge: Challenge | None = None
    challenges: tuple[Challenge, ...] = ()  # at most CHALLENGE_HISTORY, oldest first
    challenges_dropped: int = 0  # older challenges no longer in `challenges`
    challenge_counts: tuple[ChallengeCount, ...] = ()  # every challenge of the match
    round_winners: tuple[int, ...] = (0, 0, 0)
    winner: Winner | None = None
    hardware_test: bool = False
    hardware_hit: int | None = None
    connected: bool | None = None
    video_time: int | None = None
    setup: tuple[tuple[str, Value], ...] = ()


def _time(seconds: int | None) -> str | None:
    """`m:ss`, or None for no clock (or one no parser could have produced)."""
    if seconds is None or not 0 <= seconds <= INT_LIMIT:
        return None
    return format_clock(seconds)


def _clock_json(clock: Clock | None) -> dict[str, Any] | None:
    if clock is None:
        return None
    return {
        "time": _time(clock.seconds),
        "seconds": clock.seconds,
        "running": clock.running,
        "action": clock.action,
    }


def _challenge_json(ch: Challenge) -> dict[str, Any]:
    return {
        "athlete": ch.athlete,
        "by": side_name(ch.athlete),
        "status": ch.status,
        "outcome": ch.outcome,
        "requested_at": ch.requested_at,
        "decided_at": ch.decided_at,
        "round": ch.round,
        "clock": _time(ch.clock),
    }


def _official_json(official: Official | None) -> dict[str, Any] | None:
    return None if official is None else {"name": official.name, "country": official.country,
                                          "truncated": official.truncated}


def state_to_json(state: MatchState) -> dict[str, Any]:
    """The state JSON of `restrike decode --state` and `GET /api/v1/state`.

    Always encodable (`json_ready`): a stored value that JSON cannot carry must not turn
    every state request into an error until the value is replaced.
    """
    m = state.match
    injury = state.injury
    winner = state.winner
    return json_ready({
        "loaded": state.loaded,
        "ready": state.ready,
        "match": {
            "number": m.number,
            "id": m.id,
            "phase": m.phase,
            "category": m.category,
            "division": m.division,
            "rounds": m.rounds,
            "round_seconds": m.round_seconds,
            "clock_mode": m.clock_mode,
        },
        "athletes": [
            {**a._asdict(), "side": side_name(i)} for i, a in enumerate(state.athletes, start=1)
        ],
        "referee": _official_json(state.referee),
        "judges": [_official_json(j) for j in state.judges],
        "round": state.round,
        "clock": _clock_json(state.clock),
        "break": _clock_json(state.break_clock),
        "timeouts": [_clock_json(t) for t in state.timeouts],
        "scores": list(state.scores),
        "round_scores": [list(r) for r in state.round_scores],
        "warnings": list(state.warnings),
        "hit_levels": list(state.hit_levels),
        "last_point": None if state.last_point is None else {
            "athlete": state.last_point[0], "technique": state.last_point[1],
            "at": state.last_point[2]},
        "challenge": None if state.challenge is None else _challenge_json(state.challenge),
        "challenges": [_challenge_json(c) for c in state.challenges],
        "challenges_dropped": state.challenges_dropped,
        "injury": None if injury is None else {
            "athlete": injury.athlete,
            "time": _time(injury.seconds),
            "shown": injury.shown,
            "action": injury.action,
        },
        "round_winners": list(state.round_winners),
        "winner": None if winner is None else {
            "color": winner.color,
            "athlete": winner.athlete,
            "name": winner.name,
            "decision": winner.decision,
            "points": list(winner.points) if winner.points else None,
        },
        "hardware_test": {"active": state.hardware_test, "hit": state.hardware_hit},
        "connected": state.connected,
        "video_time": state.video_time,
        "setup": dict(state.setup),
    })
