"""The Court model: WT rules the simulator enforces, and the errors an operator sees."""

from __future__ import annotations

import random

import pytest

from restrike.protocol import Message
from restrike.simulator import Correction, Court, SimulatorError, encode_items
from restrike.simulator.match import draw_setup
from restrike.simulator.scenarios import get_scenario


def loaded(scenario: str = "basic") -> Court:
    court = Court()
    court.load(draw_setup(random.Random(1), get_scenario(scenario), 101, set()))
    court.ready()
    court.start()
    return court


def codes(items: list) -> list[str]:  # type: ignore[type-arg]
    return [i.code if isinstance(i, Message) else i.real for i in items]


def test_point_values_are_the_wt_ones() -> None:
    court = loaded()
    for technique in (1, 2, 3, 4, 5):
        court.point(1, technique)
    assert court.totals == (15, 0)  # 1 + 2 + 3 + 4 + 5


def test_gam_jeom_gives_a_point_to_the_opponent() -> None:
    court = loaded()
    items = court.gamjeom(2)
    assert codes(items)[:2] == ["wg1", "wg2"]
    assert court.totals == (1, 0) and court.b.warnings == [0, 1]


def test_twelve_point_gap_ends_the_round() -> None:
    court = loaded()
    for _ in range(2):
        court.point(1, 5)
    items = court.point(1, 3)  # 13-0
    assert items[-1] == court.m("clk", court.b.clock, "stopEnd")
    assert court.b.phase == "round_over"
    court.end_round()
    assert court.b.round_winners[0] == 1 and court.b.round_decisions[0] == "PTG"


def test_tie_is_broken_by_turning_kicks_then_superiority() -> None:
    court = loaded()
    court.point(1, 4)  # 4 by a turning kick
    court.point(2, 3)
    court.point(2, 1)  # 4 without one
    court.end_round(superiority=2)
    assert court.b.round_winners[0] == 1 and court.b.round_decisions[0] == "SUP"
    court.start_break()
    court.b.break_left = 1
    court.break_tick()
    court.next_round()
    court.start()
    court.end_round(superiority=2)  # 0-0, nothing to compare
    assert court.b.round_winners[1] == 2


def test_challenge_quota_one_card_kept_when_won() -> None:
    court = loaded()
    court.point(2, 2)
    court.challenge(1)
    court.decide(True)
    court.outcome(True, Correction("remove", 2, 2))
    assert court.totals == (0, 0)
    court.start()
    court.challenge(1)  # kept the card
    court.decide(True)
    court.outcome(False)
    court.start()
    with pytest.raises(SimulatorError, match="no challenge left"):
        court.challenge(1)
    court.challenge(2)
    court.decide(False)  # rejected: card spent
    with pytest.raises(SimulatorError, match="no challenge left"):
        court.challenge(2)
    court.challenge(0)  # the referee has no quota
    assert codes(court.cancel()) == ["ch0"]


def test_review_messages_follow_the_protocol() -> None:
    court = loaded()
    data = encode_items(court.challenge(2) + court.decide(True) + court.outcome(True), "real")
    assert data == [b"clk;0:30;stop\r\n", b"ch2;\r\n", b"ch2;1\r\n", b"ch2;1;1\r\n"]


def test_actions_out_of_order_are_refused_clearly() -> None:
    court = Court()
    with pytest.raises(SimulatorError, match="no match loaded"):
        court.start()
    court = loaded()
    with pytest.raises(SimulatorError, match="already running"):
        court.start()
    with pytest.raises(SimulatorError, match="no video review"):
        court.decide(True)
    with pytest.raises(SimulatorError, match="no winner yet"):
        court.finish()


def test_injury_runs_down_and_start_hides_it() -> None:
    court = loaded()
    items = court.injury(1, 3)
    assert codes(items) == ["clk", "ij1"]
    assert encode_items(court.injury_tick(), "real") == [b"ij1;0:02\r\n"]
    data = encode_items(court.start(), "real")
    assert data == [b"ij1;0:02;hide\r\n", b"clk;0:30;start\r\n"]


def test_break_ends_with_stop_end_and_next_round_resets_clock() -> None:
    court = loaded()
    court.end_round(superiority=1)
    data = encode_items(court.start_break(), "real")
    for _ in range(court.setup.break_seconds if court.setup else 0):
        data += encode_items(court.break_tick(), "real")
    data += encode_items(court.next_round(), "real")
    assert data[0] == b"brk;0:10\r\n" and data[1] == b"brk;0:09\r\n"
    assert data[-3:] == [b"brk;0;stopEnd\r\n", b"rnd;2\r\n", b"clk;0:30\r\n"]
