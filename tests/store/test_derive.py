"""The pure match-derivation step."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from restrike.protocol import parse
from restrike.store.derive import (
    MatchView,
    OpenMatch,
    SetAthlete,
    SetInfo,
    SetResult,
    Start,
    step,
)


def _run(*lines: str) -> tuple[MatchView, list[object]]:
    view = MatchView()
    actions: list[object] = []
    for i, line in enumerate(lines):
        for msg in parse(line.encode()):
            view, new = step(view, msg, float(i))
            actions.extend(new)
    return view, actions


def test_pre_opens_a_match() -> None:
    view, actions = _run("pre;FightLoaded")
    assert view.open and actions == [OpenMatch(0.0)]


def test_setup_without_pre_opens_one_mid_match() -> None:
    _view, actions = _run("at1;A;Al B;KOR;at2;C;Cy D;USA")
    assert isinstance(actions[0], OpenMatch)
    assert actions[1:] == [SetAthlete(1, "A", "Al B", "KOR"), SetAthlete(2, "C", "Cy D", "USA")]


def test_only_the_first_clock_start_starts() -> None:
    _, actions = _run("pre;FightLoaded", "clk;2:00;start", "clk;1:50;stop", "clk;1:50;start")
    assert [a for a in actions if isinstance(a, Start)] == [Start(1.0)]


def test_result_accumulates() -> None:
    view, actions = _run("pre;FightLoaded", "wrd;rd1;2;rd2;2;rd3;0", "win;RED",
                         "wmh;Ana LÓPEZ;3-10 GDP")
    results = [a for a in actions if isinstance(a, SetResult)]
    assert results[1].winner == "RED" and results[1].ended_at == 2.0
    assert results[2].decision == "GDP"
    assert results[2].result == {"rounds": [2, 2, 0], "winner": "RED",
                                 "winner_name": "Ana LÓPEZ", "blue_points": 3,
                                 "red_points": 10, "decision": "GDP"}
    assert view.result_dict() == results[2].result


def test_mch_fills_info() -> None:
    _, actions = _run("mch;7;Final;WOMEN -57kg;;b;w;r;w;X9;Junior;3;90;cntDown;1;1")
    info = next(a for a in actions if isinstance(a, SetInfo))
    assert info.fields == {"number": "7", "match_id": "X9", "phase": "Final",
                           "category": "WOMEN -57kg", "division": "Junior"}


def test_nothing_before_a_match() -> None:
    view, actions = _run("clk;2:00;start", "win;BLUE", "pt1;3")
    assert not view.open and actions == []


@given(st.binary(max_size=60))
def test_step_never_raises(data: bytes) -> None:
    view = MatchView(open=True)
    for msg in parse(data):
        view, _ = step(view, msg, 1.0)
