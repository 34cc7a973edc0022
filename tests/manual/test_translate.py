"""The translation of manual entries into protocol messages (pure), and the merge diff."""

from __future__ import annotations

import pytest

from restrike.errors import ManualError
from restrike.manual.merge import differences
from restrike.manual.translate import Entry, datagram_for, messages_for
from restrike.protocol import MatchState, default_schema, parse, reduce

SCHEMA = default_schema()


def apply(state: MatchState, entry: Entry) -> tuple[MatchState, bytes]:
    """What the station does with an entry: one datagram, parsed and folded."""
    data = datagram_for(messages_for(entry, state, SCHEMA), SCHEMA)
    for msg in parse(data, SCHEMA):
        assert msg.error is None, msg
        state = reduce(state, msg, 100.0)
    return state, data


def test_points_are_absolute_totals_and_round_scores() -> None:
    state, data = apply(MatchState(), Entry("points", "blue", 3))
    assert data == b"pt1;3;sc1;3;s11;3\r\n"
    assert state.scores == (3, 0) and state.round_scores[0][:1] == (3,)
    assert state.last_point == (1, 3, 100.0)
    state = state._replace(round=2)
    state, data = apply(state, Entry("points", "red", 2))
    assert data == b"pt2;2;sc2;2;s22;2\r\n"
    state, data = apply(state, Entry("points", "blue", -1))  # a correction: no technique
    assert data == b"sc1;2;s12;0\r\n"
    assert state.scores == (2, 2)


def test_golden_point_round_changes_the_total_only() -> None:
    state, data = apply(MatchState(round=4, scores=(5, 5)), Entry("points", "red", 1))
    assert data == b"pt2;1;sc2;6\r\n" and state.scores == (5, 6)


def test_penalty_gives_the_opponent_a_point_and_can_be_taken_back() -> None:
    state, data = apply(MatchState(), Entry("penalty", "red"))
    assert data == b"wg2;1;sc1;1;s11;1\r\n"
    assert state.warnings == (0, 1) and state.scores == (1, 0)
    state, data = apply(state, Entry("penalty", "red", -1))
    assert state.warnings == (0, 0) and state.scores == (0, 0)


def test_round_clock_and_winner() -> None:
    state, _ = apply(MatchState(), Entry("round", value=2))
    assert state.round == 2
    state, data = apply(state, Entry("clock", seconds=75))
    assert data == b"clk;1:15;corr\r\n" and state.clock.seconds == 75
    state, data = apply(state, Entry("clock", clock_action="start"))
    assert data == b"clk;1:15;start\r\n" and state.clock.running
    state = state._replace(scores=(7, 4))
    state, data = apply(state, Entry("winner", color="RED", decision="PTF"))
    assert data == b"win;RED;wmh;RED;7-4 PTF\r\n"
    assert state.winner is not None and state.winner.color == "RED"
    assert state.winner.decision == "PTF" and state.winner.points == (7, 4)


@pytest.mark.parametrize(("state", "entry", "reason"), [
    (MatchState(), Entry("points", "blue", -1), "cannot take 1 away"),
    (MatchState(scores=(998, 0)), Entry("points", "blue", 2), "beyond 999"),
    (MatchState(), Entry("points", None, 1), "needs a side"),
    (MatchState(), Entry("points", "blue", 0), "value from 1 to 5"),
    (MatchState(), Entry("penalty", "blue", -1), "no gam-jeom"),
    (MatchState(), Entry("penalty", "blue", 2), "1 gam-jeom"),
    (MatchState(), Entry("round", value=None), "round is a number"),
    (MatchState(), Entry("clock", clock_action="start"), "no clock yet"),
    (MatchState(), Entry("clock", seconds=6000), "0 to 5999"),
    (MatchState(), Entry("winner"), "BLUE or RED"),
    (MatchState(), Entry("winner", color="BLUE", decision="XYZ"), "decision is one of"),
])
def test_what_the_scoreboard_cannot_take_is_refused(state: MatchState, entry: Entry,
                                                      reason: str) -> None:
    with pytest.raises(ManualError, match=reason):
        messages_for(entry, state, SCHEMA)


def test_differences_name_each_field_the_feed_changed() -> None:
    manual = MatchState(scores=(3, 1), round=2)
    feed = manual._replace(scores=(4, 1))
    assert differences(manual, feed) == [{"field": "scores", "manual": [3, 1],
                                          "feed": [4, 1]}]
    assert differences(manual, manual) == []
