"""A manual entry → the protocol messages tkStrike would have sent (pure).

The protocol's scores are absolute (``sc1;7`` is blue's total), so an entry is read
against the live state it changes: "+3 blue" becomes ``pt1;3``, ``sc1;<total+3>``
and ``s1R;<round score+3>``. The messages of one entry travel as one datagram
(`datagram_for`), which the ingest parses, stores and folds like the court's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from restrike.errors import ManualError
from restrike.protocol import MatchState, Message, Schema
from restrike.protocol.encoder import encode_message

__all__ = ["ACTIONS", "DECISIONS", "Entry", "datagram_for", "messages_for"]

Action = Literal["points", "penalty", "round", "clock", "winner"]
ACTIONS: tuple[Action, ...] = ("points", "penalty", "round", "clock", "winner")
#: The WT decisions a manual winner may carry (shown in `wmh` after the points).
DECISIONS = ("PTF", "PTG", "GDP", "SUP", "RSC", "WDR", "DSQ", "PUN", "DQB")
SIDES = {"blue": 1, "red": 2}
MAX_SCORE = 999  # the definition's score range
MAX_WARNINGS = 99
MAX_CLOCK = 5999  # 99:59
ROUND_SCORE_ROUNDS = 3  # s11..s23: the protocol has round scores for rounds 1..3


@dataclass(frozen=True, slots=True)
class Entry:
    """What the operator asked for; the API checks the ranges, `messages_for` the rest."""

    action: Action
    side: Literal["blue", "red"] | None = None
    value: int | None = None
    seconds: int | None = None
    clock_action: Literal["corr", "start", "stop"] | None = None
    color: Literal["BLUE", "RED"] | None = None
    decision: str | None = None


def _message(schema: Schema, code: str, athlete: int | None, **fields: int | str | None
             ) -> Message:
    spec = schema.messages.get(code)
    if spec is None:
        raise ManualError(f"the protocol definition in use has no {code!r} message")
    return Message(code, spec.kind, athlete, dict(fields))


def _side(entry: Entry) -> int:
    if entry.side not in SIDES:
        raise ManualError(f"{entry.action} needs a side: blue or red")
    return SIDES[entry.side]


def _score_change(state: MatchState, schema: Schema, athlete: int, delta: int
                  ) -> list[Message]:
    """The total and the current round's score of ``athlete`` moved by ``delta``."""
    total = state.scores[athlete - 1] + delta
    if total < 0:
        raise ManualError(f"{_name(athlete)} has {state.scores[athlete - 1]} points: "
                          f"cannot take {-delta} away")
    if total > MAX_SCORE:
        raise ManualError(f"a score cannot go beyond {MAX_SCORE}")
    out = [_message(schema, f"sc{athlete}", athlete, score=total)]
    rnd = state.round or 1
    if rnd <= ROUND_SCORE_ROUNDS:
        row = state.round_scores[athlete - 1]
        current = row[rnd - 1] if rnd <= len(row) else 0
        code = f"s{athlete}{rnd}"
        spec = schema.messages.get(code)
        if spec is not None:
            out.append(Message(code, spec.kind, athlete,
                               {"score": min(MAX_SCORE, max(0, current + delta))}))
    return out


def _name(athlete: int) -> str:
    return "blue" if athlete == 1 else "red"


def _points(entry: Entry, state: MatchState, schema: Schema) -> list[Message]:
    athlete = _side(entry)
    value = entry.value
    if value is None or value == 0 or not -5 <= value <= 5:
        raise ManualError("points take a value from 1 to 5 (or -5 to -1 to take away)")
    out: list[Message] = []
    if value > 0:  # the WT technique of that value: 1 punch .. 5 turning head kick
        out.append(_message(schema, f"pt{athlete}", athlete, technique=value))
    return out + _score_change(state, schema, athlete, value)


def _penalty(entry: Entry, state: MatchState, schema: Schema) -> list[Message]:
    athlete = _side(entry)
    value = 1 if entry.value is None else entry.value
    if value not in (1, -1):
        raise ManualError("a penalty is 1 gam-jeom (or -1 to take one back)")
    count = state.warnings[athlete - 1] + value
    if count < 0:
        raise ManualError(f"{_name(athlete)} has no gam-jeom to take back")
    if count > MAX_WARNINGS:
        raise ManualError(f"a gam-jeom count cannot go beyond {MAX_WARNINGS}")
    out = [_message(schema, f"wg{athlete}", athlete, count=count)]
    return out + _score_change(state, schema, 3 - athlete, value)  # the opponent's point


def _round(entry: Entry, state: MatchState, schema: Schema) -> list[Message]:
    if entry.value is None or not 1 <= entry.value <= 9:
        raise ManualError("the round is a number from 1 to 9")
    return [_message(schema, "rnd", None, round=entry.value)]


def _clock(entry: Entry, state: MatchState, schema: Schema) -> list[Message]:
    action = entry.clock_action or "corr"
    seconds = entry.seconds if entry.seconds is not None else state.clock.seconds
    if seconds is None:
        raise ManualError("give the clock's time (seconds): the scoreboard has no clock yet")
    if not 0 <= seconds <= MAX_CLOCK:
        raise ManualError(f"the clock is 0 to {MAX_CLOCK} seconds (99:59)")
    return [_message(schema, "clk", None, time=seconds, action=action)]


def _winner(entry: Entry, state: MatchState, schema: Schema) -> list[Message]:
    color = entry.color
    if color not in ("BLUE", "RED"):
        raise ManualError("the winner is BLUE or RED")
    out = [_message(schema, "win", None, color=color)]
    if entry.decision:
        if entry.decision not in DECISIONS:
            raise ManualError(f"the decision is one of {', '.join(DECISIONS)}")
        athlete = state.athletes[0 if color == "BLUE" else 1]
        name = athlete.long_name or athlete.short_name or color
        blue, red = state.scores
        out.append(_message(schema, "wmh", None, name=name,
                            result=f"{blue}-{red} {entry.decision}"))
    return out


_TRANSLATE = {"points": _points, "penalty": _penalty, "round": _round, "clock": _clock,
              "winner": _winner}


def messages_for(entry: Entry, state: MatchState, schema: Schema) -> list[Message]:
    """The messages that make ``state`` what the entry asks; `ManualError` (with a
    reason for the operator) when the scoreboard cannot take it."""
    translate = _TRANSLATE.get(entry.action)
    if translate is None:
        raise ManualError(f"unknown action {entry.action!r}: one of {', '.join(ACTIONS)}")
    return translate(entry, state, schema)


def datagram_for(messages: Sequence[Message], schema: Schema) -> bytes:
    """One datagram in tkStrike's style (``;`` between messages, CR LF at the end)."""
    text = ";".join(encode_message(m, schema) for m in messages)
    return (text if ";" in text else text + ";").encode("utf-8") + b"\r\n"
