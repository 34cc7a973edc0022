"""Match rows from messages, as a pure step: (view, message, time) → (view, actions).

The writer thread turns the actions into SQL. Keeping the rules here, free of SQLite,
lets them be tested on their own and keeps the writer a plain applier:

- `pre` opens a new match in the current day;
- `at1`/`at2`/`mch` fill the current match (opening one if the station started
  mid-match and none is open), athletes are upserted on (long name, country);
- the first `clk ...;start` sets `started_at`;
- `win` sets the winner and `ended_at`; `wmh` the decision and points; `wrd` the
  round winners (all in the `result` JSON).

Athlete 1 is stored as blue and athlete 2 as red, as the protocol defines the slots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from restrike.protocol import Message, Parsed

__all__ = [
    "RELEVANT",
    "Action",
    "MatchView",
    "OpenMatch",
    "SetAthlete",
    "SetInfo",
    "SetResult",
    "Start",
    "step",
]

_DECISION = re.compile(r"^\s*(?P<blue>\d+)\s*-\s*(?P<red>\d+)\s*(?P<decision>[A-Za-z]*)\s*$")
_INFO_FIELDS = ("number", "match_id", "phase", "category", "division")
#: The only codes `step` acts on (the writer skips the call for the others).
RELEVANT = frozenset({"pre", "at1", "at2", "mch", "clk", "win", "wmh", "wrd"})


@dataclass(frozen=True, slots=True)
class MatchView:
    """What the rules need to know about the current match (none open: `open` False)."""

    open: bool = False
    started: bool = False
    result: tuple[tuple[str, Any], ...] = ()

    def result_dict(self) -> dict[str, Any]:
        return dict(self.result)


@dataclass(frozen=True, slots=True)
class OpenMatch:
    at: float


@dataclass(frozen=True, slots=True)
class SetInfo:
    fields: dict[str, str | None]


@dataclass(frozen=True, slots=True)
class SetAthlete:
    slot: int  # 1 blue, 2 red
    short_name: str
    long_name: str
    country: str


@dataclass(frozen=True, slots=True)
class Start:
    at: float


@dataclass(frozen=True, slots=True)
class SetResult:
    """The whole result JSON after this message, plus the columns it fills."""

    result: dict[str, Any]
    winner: str | None = None
    decision: str | None = None
    ended_at: float | None = None
    columns: tuple[str, ...] = field(default=())


Action = OpenMatch | SetInfo | SetAthlete | Start | SetResult


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _opt(value: object) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def step(view: MatchView, msg: Parsed, now: float) -> tuple[MatchView, list[Action]]:
    """Apply one message; returns the new view and what to write (often nothing)."""
    if not isinstance(msg, Message):
        return view, []
    code = msg.code
    if code == "pre":
        return MatchView(open=True), [OpenMatch(now)]
    actions: list[Action] = []
    if code in ("at1", "at2", "mch") and not view.open:
        view = MatchView(open=True)
        actions.append(OpenMatch(now))
    if not view.open:
        return view, actions
    f = msg.fields
    if code in ("at1", "at2"):
        actions.append(SetAthlete(1 if code == "at1" else 2, _text(f.get("short_name")),
                                  _text(f.get("long_name")), _text(f.get("country"))))
    elif code == "mch":
        actions.append(SetInfo({name: _opt(f.get(name)) for name in _INFO_FIELDS}))
    elif code == "clk" and f.get("action") == "start" and not view.started:
        view = MatchView(open=True, started=True, result=view.result)
        actions.append(Start(now))
    elif code in ("win", "wmh", "wrd"):
        return _result(view, msg, now)
    return view, actions


def _result(view: MatchView, msg: Message, now: float) -> tuple[MatchView, list[Action]]:
    result = view.result_dict()
    f = msg.fields
    winner = decision = None
    ended_at = None
    columns: tuple[str, ...] = ()
    if msg.code == "win":
        winner = _opt(f.get("color"))
        result["winner"] = winner
        ended_at = now
        columns = ("winner", "ended_at")
    elif msg.code == "wmh":
        result["winner_name"] = _text(f.get("name"))
        text = _text(f.get("result"))
        found = _DECISION.match(text)
        if found:
            result["blue_points"] = int(found["blue"])
            result["red_points"] = int(found["red"])
            decision = found["decision"] or None
        elif text:
            decision = text.strip() or None
        if text:
            result["decision"] = decision
            columns = ("decision",)
    else:  # wrd
        result["rounds"] = [f.get("round1"), f.get("round2"), f.get("round3")]
    new = MatchView(open=True, started=view.started, result=tuple(result.items()))
    return new, [SetResult(result, winner, decision, ended_at, columns)]
