"""(state, message, time) → state: the scoreboard logic as a pure function.

Time comes in as an argument (the datagram's arrival time), so the station, the
decoder and the tests agree by construction. Kinds the reducer does not know (a code
added to the protocol file with a new kind) leave the state as it is. Every handler
does bounded work: no list in the state grows with the number of messages (see
`restrike.protocol.state`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice

from restrike.protocol._cut import merge_country, merge_name
from restrike.protocol.messages import Message, Parsed
from restrike.protocol.state import (
    CHALLENGE_HISTORY,
    MAX_JUDGES,
    MAX_ROUNDS,
    Challenge,
    ChallengeCount,
    Clock,
    Injury,
    MatchInfo,
    MatchState,
    Official,
    Winner,
)

__all__ = ["reduce", "reduce_all"]

Handler = Callable[[MatchState, Message, float], MatchState]

_COLORS = {"BLUE": 1, "RED": 2}
_DECISIONS = {-1: "cancelled", 0: "rejected", 1: "accepted"}
_OUTCOMES = {0: "lost", 1: "won"}


_FIELD = {name: index for index, name in enumerate(MatchState._fields)}
_new_tuple = tuple.__new__


def _with(state: MatchState, **changes: object) -> MatchState:
    """``state._replace(**changes)`` at half the cost: NamedTuple's own walks every one of
    the state's fields through a dict per call, and each message makes one or two."""
    values: list[object] = list(state)
    for name, value in changes.items():
        values[_FIELD[name]] = value
    new: MatchState = _new_tuple(MatchState, values)
    return new


def _set(pair: tuple[int, int], athlete: int | None, value: object) -> tuple[int, int]:
    if athlete == 1 and isinstance(value, int):
        return (value, pair[1])
    if athlete == 2 and isinstance(value, int):
        return (pair[0], value)
    return pair


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _tick(clock: Clock, msg: Message) -> Clock:
    """A clock message: `start`/`stop`/`stopEnd` set running; a changing plain tick runs."""
    seconds = _int(msg.fields.get("time"))
    action = _str(msg.fields.get("action"))
    if seconds is None:
        seconds = clock.seconds
    if action == "start":
        running = True
    elif action in ("stop", "stopEnd"):
        running = False
    elif action is None and clock.seconds is not None and seconds != clock.seconds:
        running = True
    else:
        running = clock.running
    return Clock(seconds, running, action)


def _clock(state: MatchState, msg: Message, now: float) -> MatchState:
    return _with(state, clock=_tick(state.clock, msg))


def _break(state: MatchState, msg: Message, now: float) -> MatchState:
    clock = _tick(state.break_clock or Clock(), msg)
    if clock.action == "stopEnd":
        return _with(state, break_clock=None)
    return _with(state, break_clock=clock)


def _timeout(state: MatchState, msg: Message, now: float) -> MatchState:
    if msg.athlete not in (1, 2):
        return state
    index = msg.athlete - 1
    clock = _tick(state.timeouts[index] or Clock(), msg)
    new = (clock, state.timeouts[1]) if index == 0 else (state.timeouts[0], clock)
    return _with(state, timeouts=new)


def _injury(state: MatchState, msg: Message, now: float) -> MatchState:
    action = _str(msg.fields.get("action"))
    if action == "reset":
        return _with(state, injury=None)
    seconds = _int(msg.fields.get("time"))
    previous = state.injury
    shown = previous.shown if previous is not None else True
    if action == "show":
        shown = True
    elif action == "hide":
        shown = False
    return _with(state, injury=Injury(msg.athlete or 0, seconds, shown, action))


def _round(state: MatchState, msg: Message, now: float) -> MatchState:
    return _with(state, round=_int(msg.fields.get("round")))


def _score(state: MatchState, msg: Message, now: float) -> MatchState:
    return _with(state, scores=_set(state.scores, msg.athlete, msg.fields.get("score")))


def _round_score(state: MatchState, msg: Message, now: float) -> MatchState:
    rnd = _int(msg.fields.get("round"))
    score = _int(msg.fields.get("score"))
    if msg.athlete not in (1, 2) or rnd is None or not 1 <= rnd <= MAX_ROUNDS or score is None:
        return state
    index = msg.athlete - 1
    row = list(state.round_scores[index])
    row.extend([0] * (rnd - len(row)))
    row[rnd - 1] = score
    scores = list(state.round_scores)
    scores[index] = tuple(row)
    return _with(state, round_scores=(scores[0], scores[1]))


def _warnings(state: MatchState, msg: Message, now: float) -> MatchState:
    return _with(state, warnings=_set(state.warnings, msg.athlete, msg.fields.get("count")))


def _hit_level(state: MatchState, msg: Message, now: float) -> MatchState:
    return _with(state, hit_levels=_set(state.hit_levels, msg.athlete, msg.fields.get("level")))


def _point(state: MatchState, msg: Message, now: float) -> MatchState:
    technique = _int(msg.fields.get("technique"))
    if msg.athlete not in (1, 2) or technique is None:
        return state
    return _with(state, last_point=(msg.athlete, technique, now))


def _round_winners(state: MatchState, msg: Message, now: float) -> MatchState:
    f = msg.fields
    return _with(state, round_winners=tuple(
        _int(f.get(f"round{r}")) or 0 for r in (1, 2, 3)))


def _challenge(state: MatchState, msg: Message, now: float) -> MatchState:
    """`chN` requests; `chN;1|0|-1` decides (accepted/rejected/cancelled); `chN;1;1|0` won/lost.

    `-1` after a decision only closes the review, so the decision stands. The history
    keeps at most CHALLENGE_HISTORY challenges; `challenge_counts` counts them all.
    """
    who = msg.athlete if msg.athlete is not None else 0
    decision = _int(msg.fields.get("decision"))
    outcome = _int(msg.fields.get("outcome"))
    history = list(state.challenges)
    last = next((i for i in range(len(history) - 1, -1, -1) if history[i].athlete == who), None)
    status = _DECISIONS.get(decision) if decision is not None else None
    requested = Challenge(who, "requested", None, now, None, state.round, state.clock.seconds)
    old: Challenge | None = None
    if status is None:
        current = requested
        history.append(current)
    else:
        reusable = ("requested", "accepted", status) if status != "cancelled" else None
        if last is None or (reusable is not None and history[last].status not in reusable):
            # A decision for a request we did not see (the station joined mid-review).
            history.append(requested)
            last = len(history) - 1
        else:
            old = history[last]
        previous = history[last]
        if status == "cancelled" and previous.status != "requested":
            status = previous.status
        current = previous._replace(
            status=status,
            outcome=_OUTCOMES.get(outcome or 0) if outcome is not None else previous.outcome,
            decided_at=previous.decided_at if previous.decided_at is not None else now,
        )
        history[last] = current
    dropped = _drop_oldest(history) if len(history) > CHALLENGE_HISTORY else 0
    return _with(state, challenge=current, challenges=tuple(history),
                          challenges_dropped=state.challenges_dropped + dropped,
                          challenge_counts=_recount(state.challenge_counts, old, current))


def _drop_oldest(history: list[Challenge]) -> int:
    """Drop the oldest challenge that is not its side's latest; returns 1.

    Only a side's latest challenge can still be decided, so a decision always finds its
    request however many others came since. There are three sides and more entries than
    that, so at most the first three are skipped.
    """
    for index, ch in enumerate(history):
        side = ch.athlete
        if any(later.athlete == side for later in islice(history, index + 1, None)):
            del history[index]
            break
    return 1


def _recount(counts: tuple[ChallengeCount, ...], old: Challenge | None, new: Challenge,
             ) -> tuple[ChallengeCount, ...]:
    """Move one challenge from its old (athlete, status, outcome) count to its new one."""
    tally = list(counts)
    for ch, change in ((old, -1), (new, 1)):
        if ch is None:
            continue
        athlete, status, outcome = ch.athlete, ch.status, ch.outcome
        for index, counted in enumerate(tally):
            if (counted.athlete == athlete and counted.status == status
                    and counted.outcome == outcome):
                tally[index] = ChallengeCount(athlete, status, outcome, counted.number + change)
                break
        else:
            tally.append(ChallengeCount(athlete, status, outcome, change))
    return tuple(counted for counted in tally if counted.number)


def _match_loaded(state: MatchState, msg: Message, now: float) -> MatchState:
    return MatchState(loaded=True, connected=state.connected)


def _match_ready(state: MatchState, msg: Message, now: float) -> MatchState:
    return _with(state, ready=True)


def _athlete(state: MatchState, msg: Message, now: float) -> MatchState:
    if msg.athlete not in (1, 2):
        return state
    f = msg.fields
    index = msg.athlete - 1
    old = state.athletes[index]
    cut, partial = msg.truncated, msg.partial
    short, short_cut = merge_name(old.short_name, old.truncated, _str(f.get("short_name")),
                                  partial=partial == "short_name", cut=cut)
    long, long_cut = merge_name(old.long_name, old.truncated, _str(f.get("long_name")),
                                partial=partial == "long_name", cut=cut)
    new = old._replace(short_name=short, long_name=long, truncated=short_cut or long_cut,
                       country=merge_country(old.country, _str(f.get("country")),
                                             partial == "country"))
    pair = (new, state.athletes[1]) if index == 0 else (state.athletes[0], new)
    return _with(state, athletes=pair)


def _match_config(state: MatchState, msg: Message, now: float) -> MatchState:
    f = msg.fields
    info = MatchInfo(
        number=_str(f.get("number")), id=_str(f.get("match_id")), phase=_str(f.get("phase")),
        category=_str(f.get("category")), division=_str(f.get("division")),
        rounds=_int(f.get("rounds")), round_seconds=_int(f.get("round_seconds")),
        clock_mode=_str(f.get("clock_mode")), body_level=_str(f.get("body_level")),
        head_level=_str(f.get("head_level")))
    blue, red = state.athletes
    blue = blue._replace(background=_str(f.get("blue_background")),
                         foreground=_str(f.get("blue_foreground")))
    red = red._replace(background=_str(f.get("red_background")),
                       foreground=_str(f.get("red_foreground")))
    return _with(state, match=info, athletes=(blue, red))


def _official(old: Official | None, msg: Message) -> Official:
    """A referee or judge from ``msg``, a cut name flagged and a cut country dropped."""
    name, cut = merge_name(old.name if old else "", old.truncated if old else False,
                           _str(msg.fields.get("name")), partial=msg.partial == "name",
                           cut=msg.truncated)
    country = _str(msg.fields.get("country"))
    if msg.truncated:  # else the message names the official whole (no country: none)
        country = merge_country((old.country or "") if old else "", country,
                                msg.partial == "country") or None
    return Official(name, country, cut)


def _referee(state: MatchState, msg: Message, now: float) -> MatchState:
    return _with(state, referee=_official(state.referee, msg))


def _judge(state: MatchState, msg: Message, now: float) -> MatchState:
    seat = _int(msg.fields.get("seat"))
    if seat is None or not 1 <= seat <= MAX_JUDGES:
        return state
    judges = list(state.judges)
    judges.extend([None] * (seat - len(judges)))
    judges[seat - 1] = _official(judges[seat - 1], msg)
    return _with(state, judges=tuple(judges))


def _athlete_named(state: MatchState, name: str) -> int | None:
    wanted = name.strip().casefold()
    for index, athlete in enumerate(state.athletes, start=1):
        if wanted and wanted in (athlete.long_name.casefold(), athlete.short_name.casefold()):
            return index
    return None


def _winner(state: MatchState, msg: Message, now: float) -> MatchState:
    color = _str(msg.fields.get("color"))
    athlete = _COLORS.get(color or "")
    name = state.athletes[athlete - 1].long_name if athlete else None
    old = state.winner
    if old is not None and old.athlete == athlete:
        return _with(state, winner=old._replace(color=color))
    return _with(state, winner=Winner(color, athlete, name or None, None))


def _is_points(text: str) -> bool:
    """A match score as the scoreboard shows it (0..999, the definition's score range)."""
    return 0 < len(text) <= 3 and text.isascii() and text.isdigit()


def _winner_shown(state: MatchState, msg: Message, now: float) -> MatchState:
    name = _str(msg.fields.get("name")) or ""
    result = _str(msg.fields.get("result")) or ""
    points: tuple[int, int] | None = None
    decision: str | None = None
    for word in result.split():
        blue, sep, red = word.partition("-")
        if _is_points(blue) and sep and _is_points(red):
            points = (int(blue), int(red))
        else:
            decision = word if decision is None else f"{decision} {word}"
    old = state.winner
    athlete = old.athlete if old is not None and old.athlete else _athlete_named(state, name)
    color = {1: "BLUE", 2: "RED"}.get(athlete or 0)
    return _with(state, winner=Winner(color, athlete, name or None, decision, points))


def _hardware_test(state: MatchState, msg: Message, now: float) -> MatchState:
    value = _int(msg.fields.get("state"))
    if value == 0:
        return _with(state, hardware_test=False, hardware_hit=None)
    if value == 1:
        return _with(state, hardware_test=True, hardware_hit=None)
    return _with(state, hardware_test=True, hardware_hit=value)


def _connected(value: bool) -> Handler:
    def handler(state: MatchState, msg: Message, now: float) -> MatchState:
        return _with(state, connected=value)

    return handler


def _port_status(state: MatchState, msg: Message, now: float) -> MatchState:
    return _with(state, connected=msg.fields.get("status") == "connected")


def _video_time(state: MatchState, msg: Message, now: float) -> MatchState:
    return _with(state, video_time=_int(msg.fields.get("value")))


def _setup(state: MatchState, msg: Message, now: float) -> MatchState:
    name = _str(msg.fields.get("name")) or msg.code
    values = dict(state.setup)
    values[name] = msg.fields.get("value")
    return _with(state, setup=tuple(values.items()))


_HANDLERS: dict[str, Handler] = {
    "clock": _clock,
    "break": _break,
    "timeout": _timeout,
    "injury": _injury,
    "round": _round,
    "score": _score,
    "round_score": _round_score,
    "warnings": _warnings,
    "hit_level": _hit_level,
    "point": _point,
    "round_winners": _round_winners,
    "challenge": _challenge,
    "match_loaded": _match_loaded,
    "match_ready": _match_ready,
    "athlete": _athlete,
    "match_config": _match_config,
    "referee": _referee,
    "judge": _judge,
    "winner": _winner,
    "winner_shown": _winner_shown,
    "hardware_test": _hardware_test,
    "hello": _connected(True),
    "goodbye": _connected(False),
    "port_status": _port_status,
    "video_time": _video_time,
    "setup": _setup,
}


def reduce(state: MatchState, msg: Parsed, now: float) -> MatchState:
    """Apply one message. Unknown, invalid and unhandled kinds leave the state unchanged."""
    handler = _HANDLERS.get(msg.kind)
    if handler is None or not isinstance(msg, Message):
        return state
    return handler(state, msg, now)


def reduce_all(messages: Iterable[tuple[float, Parsed]],
               state: MatchState | None = None) -> MatchState:
    """Fold timed messages into a state (used to rebuild the scoreboard from the store)."""
    state = state or MatchState()
    for now, msg in messages:
        state = reduce(state, msg, now)
    return state
