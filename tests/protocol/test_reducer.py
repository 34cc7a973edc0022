"""The pure scoreboard reducer, message kind by message kind."""

from __future__ import annotations

from importlib import resources

from restrike.protocol import MatchState, parse, parse_schema, reduce, state_to_json
from restrike.protocol.schema import default_schema


def run(*lines: str, state: MatchState | None = None, start: float = 100.0) -> MatchState:
    state = state or MatchState()
    for offset, line in enumerate(lines):
        for msg in parse(line.encode() + b"\r\n"):
            state = reduce(state, msg, start + offset)
    return state


def test_pre_starts_a_new_match_but_keeps_the_connection() -> None:
    state = run("hel;", "sc1;5", "wg2;3", "ch1", "pre;FightLoaded")
    assert state.loaded and state.connected
    assert state.scores == (0, 0) and state.warnings == (0, 0) and state.challenges == ()


def test_clock_actions() -> None:
    state = run("clk;2:00")
    assert (state.clock.seconds, state.clock.running) == (120, False)
    assert run("clk;2:00;start", state=state).clock.running
    ticking = run("clk;1:59", state=state)
    assert ticking.clock.running, "a changing plain tick means the clock runs"
    stopped = run("clk;1:50;stop", state=ticking)
    assert not stopped.clock.running and stopped.clock.action == "stop"
    corrected = run("clk;1:55;corr", state=stopped)
    assert (corrected.clock.seconds, corrected.clock.running) == (115, False)
    assert state_to_json(run("clk;0:00;stopEnd", state=ticking))["clock"] == {
        "time": "0:00", "seconds": 0, "running": False, "action": "stopEnd"}


def test_break_runs_then_ends() -> None:
    state = run("brk;1:00", "brk;0:59")
    assert state.break_clock is not None and state.break_clock.running
    assert run("brk;0;stopEnd", state=state).break_clock is None


def test_injury_show_hide_reset() -> None:
    state = run("ij2;1:00;show", "ij2;0:59")
    assert state.injury is not None
    assert (state.injury.athlete, state.injury.seconds, state.injury.shown) == (2, 59, True)
    hidden = run("ij2;0:59;hide", state=state)
    assert hidden.injury is not None and not hidden.injury.shown
    assert run("ij2;1:00;reset", state=hidden).injury is None


def test_para_timeouts_per_athlete() -> None:
    state = run("to2;1:00;start", "to2;0:59")
    assert state.timeouts[0] is None
    assert state.timeouts[1] is not None and state.timeouts[1].seconds == 59


def test_scores_round_scores_warnings_hit_levels() -> None:
    state = run("s11;3;s21;1;s12;0;s22;4;s13;0;s23;0", "sc1;3;sc2;5", "wg1;2;wg2;0",
                "hl1;40hl2;77", "pt2;4")
    assert state.round_scores == ((3, 0, 0), (1, 4, 0))
    assert state.scores == (3, 5) and state.warnings == (2, 0) and state.hit_levels == (40, 77)
    assert state.last_point == (2, 4, 104.0)


def test_golden_point_round_from_an_edited_file_needs_no_reducer_change() -> None:
    text = (resources.files("restrike.protocol") / default_schema().source).read_text()
    schema = parse_schema(text + "\nmessage s14 round_score athlete=1 round=4 -- gp\n"
                          "    score int 0..9 -- points\n")
    state = MatchState()
    for msg in parse(b"s14;2\r\n", schema):
        state = reduce(state, msg, 0.0)
    assert state.round_scores[0] == (0, 0, 0, 2)


def test_challenge_won_kept_lost_rejected_cancelled() -> None:
    state = run("clk;1:30;start", "rnd;1", "ch1", "ch1;1", "ch1;1;1")
    (won,) = state.challenges
    assert (won.athlete, won.status, won.outcome, won.round, won.clock) == \
        (1, "accepted", "won", 1, 90)
    assert (won.requested_at, won.decided_at) == (102.0, 103.0)
    state = run("ch2", "ch2;0", "ch2;-1", state=state)
    assert [c.status for c in state.challenges] == ["accepted", "rejected"], \
        "-1 after a decision closes the review and keeps the decision"
    state = run("ch0", "ch0;-1", state=state)
    assert state.challenge is not None
    assert (state.challenge.athlete, state.challenge.status) == (0, "cancelled")
    assert len(state.challenges) == 3


def test_challenge_decision_without_a_seen_request() -> None:
    state = run("ch2;1;0")
    assert state.challenge is not None
    assert (state.challenge.status, state.challenge.outcome) == ("accepted", "lost")


def test_winner_from_win_then_wmh_and_from_wmh_alone() -> None:
    names = ("at1;DESMOND;Nicolas DESMOND;FRA;at2;KIM;KIM Tae-hun;KOR",)
    state = run(*names, "win;RED", "wmh;KIM Tae-hun;3-12 PTG")
    assert state.winner is not None
    assert state.winner == state.winner._replace(color="RED", athlete=2, name="KIM Tae-hun",
                                                 decision="PTG", points=(3, 12))
    alone = run(*names, "wmh;Nicolas DESMOND;12-5 SUP")
    assert alone.winner is not None and (alone.winner.color, alone.winner.athlete) == ("BLUE", 1)


def test_hardware_test_and_connection_and_setup() -> None:
    state = run("hwt;1", "hwt;4", "Udp Port 6000 connected;", "inlb;3:", "insl;false:")
    assert (state.hardware_test, state.hardware_hit, state.connected) == (True, 4, True)
    assert dict(state.setup) == {"inlb": 3, "insl": "false"}
    state = run("hwt;0", "bye;", state=state)
    assert (state.hardware_test, state.hardware_hit, state.connected) == (False, None, False)


def test_invalid_unknown_and_new_kinds_leave_the_state_alone() -> None:
    state = run("sc1;3")
    assert run("pt1;9", "zzz;1", "sc1", state=state) == state
