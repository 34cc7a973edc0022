"""Quiet or silent: what the feed's own state says, not a fixed 5 s."""

from __future__ import annotations

import pytest

from restrike.protocol import MatchState, parse, reduce_all
from restrike.protocol.activity import TICK_GRACE, feed_activity

START = [b"pre;FightLoaded\r\n", b"at1;LEE;LEE Dae-hoon;KOR;at2;KIM;KIM Tae-hun;KOR\r\n",
         b"rdy;FightReady\r\n"]


def state_of(*datagrams: bytes) -> MatchState:
    return reduce_all((0.0, m) for d in [*START, *datagrams] for m in parse(d))


def test_nothing_received_is_silent() -> None:
    assert feed_activity(MatchState(), None, 100.0).activity == "silent"


def test_a_running_clock_that_stops_ticking_is_silent() -> None:
    state = state_of(b"clk;2:00;start\r\n", b"clk;1:59\r\n")
    assert feed_activity(state, 100.0, 101.0) == ("live", "match clock running")
    silent = feed_activity(state, 100.0, 100.0 + TICK_GRACE + 2)
    assert silent.activity == "silent" and not silent.connected
    assert "match clock running" in silent.reason


@pytest.mark.parametrize(("datagrams", "reason"), [
    ([b"clk;2:00;start\r\n", b"clk;1:50;stop\r\n"], "clock stopped"),
    ([b"clk;2:00;start\r\n", b"clk;1:50;stop\r\n", b"ch1\r\n"], "video review"),
    ([b"clk;2:00;start\r\n", b"clk;1:50;stop\r\n", b"ch1\r\n", b"ch1;1\r\n"], "video review"),
    ([b"clk;0:00;stopEnd\r\n", b"brk;0:59\r\n", b"brk;0:30;stop\r\n"], "break"),
    ([b"clk;0:00;stopEnd\r\n", b"brk;0:59\r\n", b"brk;0:00;stopEnd\r\n"], "clock stopped"),
    ([b"win;BLUE\r\n"], "match over"),
    ([], "clock stopped"),
])
def test_no_clock_running_is_quiet_however_long(datagrams: list[bytes], reason: str) -> None:
    state = state_of(*datagrams)
    quiet = feed_activity(state, 100.0, 100.0 + 600)
    assert quiet == ("quiet", reason) and quiet.connected


def test_between_matches_is_quiet() -> None:
    assert feed_activity(MatchState(), 100.0, 700.0) == ("quiet", "no match loaded")


def test_a_running_break_ticks() -> None:
    state = state_of(b"clk;0:00;stopEnd\r\n", b"brk;0:59\r\n", b"brk;0:58\r\n")
    assert feed_activity(state, 100.0, 110.0).activity == "silent"


def test_the_sender_closing_its_port_is_disconnected() -> None:
    state = state_of(b"Udp Port 6000 disconnected;\r\n")
    assert feed_activity(state, 100.0, 101.0).activity == "disconnected"
