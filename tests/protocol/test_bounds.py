"""Bounded values and bounded state: ranges, lengths, clocks, the challenge cap, JSON safety."""

from __future__ import annotations

import json
import math
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from restrike.protocol import (
    Invalid,
    MatchState,
    Message,
    Parsed,
    Unknown,
    json_safe,
    message_to_dict,
    parse,
    parse_schema,
    reduce,
    reduce_all,
    safe_text,
    state_to_json,
)
from restrike.protocol.state import (
    CHALLENGE_HISTORY,
    Athlete,
    Challenge,
    ChallengeCount,
    Clock,
    Injury,
)

HUGE = "9" * 4300  # the clock digits that used to break the store's JSON


def invalid(data: bytes) -> Invalid:
    (msg,) = parse(data)
    assert isinstance(msg, Invalid), msg
    return msg


def run(*lines: bytes) -> MatchState:
    return reduce_all((float(i), m) for i, line in enumerate(lines) for m in parse(line))


def strict_json(value: object) -> bytes:
    """What a browser accepts: no NaN, valid UTF-8."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")


@pytest.mark.parametrize(("data", "reason"), [
    (b"hl1;101", "argument 'level': '101' is outside 0..100"),
    (b"hl1;-1", "argument 'level': '-1' is outside 0..100"),
    (b"avt;1000000", "argument 'value': '1000000' is outside -999999..999999"),
    (b"avt;" + HUGE.encode(), "argument 'value': '9999999999999999999999999999999999999999'"
                              "... (4300 characters) is outside -999999..999999"),
    (b"inlb;" + HUGE.encode() + b":", "is outside -999999..999999"),
    (b"pt1;" + HUGE.encode(), "is not one of [1, 2, 3, 4, 5]"),
    (b"clk;" + HUGE.encode() + b":00", "is longer than the longest clock 99:59"),
    (b"clk;100:00", "argument 'time': '100:00' is longer than the longest clock 99:59"),
    (b"clk;6000", "'6000' is longer than the longest clock 99:59"),
    (b"brk;" + HUGE.encode(), "is longer than the longest clock 99:59"),
    (b"clk;1:60", "'1:60' is not a clock (m:ss or ss)"),
    (b"at1;" + b"A" * 65 + b";KIM Minsu;KOR", "argument 'short_name': 65 characters, "
                                             "longer than 64"),
    (b"wmh;" + b"N" * 129, "argument 'name': 129 characters, longer than 128"),
    (b"mch;1;" + b"P" * 65, "argument 'phase': 65 characters, longer than 64"),
])
def test_values_outside_the_definition_are_invalid_with_the_reason(data: bytes,
                                                                     reason: str) -> None:
    msg = invalid(data)
    assert reason in msg.reason
    assert len(msg.reason) < 200  # a huge token is quoted cut short
    assert msg.raw == data.decode()  # the raw text is kept whole


def test_values_at_the_bounds_are_accepted() -> None:
    for data, field, value in [(b"clk;99:59", "time", 5999), (b"clk;5999", "time", 5999),
                               (b"clk;00:00", "time", 0), (b"avt;-999999", "value", -999999),
                               (b"hl2;0100", "level", 100), (b"wg1;-0", "count", 0)]:
        (msg,) = parse(data)
        assert isinstance(msg, Message) and msg.fields[field] == value, data
    (names,) = parse(b"at1;" + b"A" * 64 + b";" + b"B" * 128 + b";KOR")
    assert isinstance(names, Message)


def test_a_huge_clock_leaves_the_state_and_its_json_working() -> None:
    state = run(b"clk;2:00", b"clk;" + HUGE.encode() + b":00")
    assert state.clock.seconds == 120
    assert json.loads(strict_json(state_to_json(state)))["clock"]["time"] == "2:00"


def test_the_challenge_history_is_capped_and_the_rest_counted() -> None:
    state = run(*[b"ch1"] * 100)
    assert len(state.challenges) == CHALLENGE_HISTORY
    assert state.challenges_dropped == 100 - CHALLENGE_HISTORY
    assert state.challenge_counts == (ChallengeCount(1, "requested", None, 100),)
    assert [c.requested_at for c in state.challenges] == [float(i) for i in range(36, 100)]
    body = state_to_json(state)
    assert len(body["challenges"]) == CHALLENGE_HISTORY
    assert body["challenges_dropped"] == 36


def test_a_sides_latest_challenge_survives_the_cap_and_is_decided() -> None:
    state = run(b"ch1", *[b"ch2"] * 200, b"ch1;0")
    first = state.challenges[0]
    assert (first.athlete, first.status, first.requested_at) == (1, "rejected", 0.0)
    assert len(state.challenges) == CHALLENGE_HISTORY
    assert state.challenges_dropped == 201 - CHALLENGE_HISTORY
    assert dict(((c.athlete, c.status), c.number) for c in state.challenge_counts) == {
        (1, "rejected"): 1, (2, "requested"): 200}


def test_counts_follow_each_decision() -> None:
    state = run(b"ch1", b"ch1;1", b"ch1;1;0", b"ch2", b"ch2;-1", b"ch0", b"ch0;0")
    assert set(state.challenge_counts) == {
        ChallengeCount(1, "accepted", "lost", 1), ChallengeCount(2, "cancelled", None, 1),
        ChallengeCount(0, "rejected", None, 1)}
    assert sum(c.number for c in state.challenge_counts) == len(state.challenges)


def test_a_new_match_resets_the_history_and_the_counts() -> None:
    state = run(*[b"ch2"] * 70, b"pre;FightLoaded")
    assert (state.challenges, state.challenges_dropped, state.challenge_counts) == ((), 0, ())


def test_round_scores_and_judge_seats_are_bounded_even_by_an_edited_file() -> None:
    schema = parse_schema("protocol test 1\n"
                          "message s1x round_score athlete=1 round=1000000000 -- far round\n"
                          "    score int 0..9 -- points\n"
                          "message jux judge seat=1000000000 -- far seat\n"
                          "    name text max=9 -- name\n")
    state = MatchState()
    for msg in parse(b"s1x;3", schema) + parse(b"jux;Ana", schema):
        assert isinstance(msg, Message)
        state = reduce(state, msg, 1.0)
    assert state.round_scores == MatchState().round_scores
    assert state.judges == MatchState().judges


def test_winner_points_with_other_digits_do_not_break_the_reducer() -> None:
    state = run(b"win;BLUE", "wmh;KIM;\u00b2-1 PTF".encode())
    assert state.winner is not None and state.winner.points is None
    assert state.winner.decision == "\u00b2-1 PTF"


def test_winner_points_are_scores_not_any_number() -> None:
    """Found by the fuzz run: a 39-digit 'score' in `wmh` reached the state."""
    state = run(b"wmh;N. DESMOND;9-200000000000000000000000000000000000000 PTF")
    assert state.winner is not None and state.winner.points is None
    assert state.winner.decision == "9-200000000000000000000000000000000000000 PTF"
    shown = run(b"wmh;N. DESMOND;12-999 PTF").winner
    assert shown is not None and shown.points == (12, 999)


# --- the encoders never fail on stored fields --------------------------------------------

ODD_TEXT = "KIM \ud800 Minsu\x00"


def test_json_safe_replaces_what_json_cannot_carry() -> None:
    value = {"big": 10**5000, "nan": math.nan, "inf": -math.inf, "text": ODD_TEXT,
             "ok": [1, 2.5, True, None], 7: (1, 2)}
    safe = json_safe(value)
    assert safe["big"] == "integer of 16610 bits"
    assert safe["nan"] is None and safe["inf"] is None
    assert safe["text"] == "KIM \ufffd Minsu\x00"
    assert safe["ok"] == [1, 2.5, True, None] and safe["7"] == [1, 2]
    assert json.loads(strict_json(safe))["text"].endswith("\x00")
    assert safe_text("plain") == "plain"
    assert json_safe(2**63 - 1) == 2**63 - 1


def test_message_to_dict_always_encodes() -> None:
    msg = Message("avt", "video_time", None, {"value": 10**5000, "name": ODD_TEXT},
                  raw="avt;\ud800")
    for row in (message_to_dict(msg), message_to_dict(Unknown("z\ud800", "z\ud800", "r\ud800")),
                message_to_dict(Invalid(None, "\ud800", "bad \udfff"))):
        strict_json(row)


def test_state_to_json_always_encodes() -> None:
    odd = Athlete(ODD_TEXT, ODD_TEXT, "\udc80")
    challenge = Challenge(1, "requested", None, math.nan, math.inf, 10**5000, 10**5000)
    state = MatchState(athletes=(odd, odd), clock=Clock(10**5000, True, None),
                       injury=Injury(1, 10**5000, True, None), challenge=challenge,
                       challenges=(challenge,), video_time=10**5000,
                       setup=(("inlb", 10**5000), ("x\ud800", "\udfff")),
                       last_point=(1, 3, math.nan))
    body = json.loads(strict_json(state_to_json(state)))
    assert body["clock"]["time"] is None and body["clock"]["seconds"] == "integer of 16610 bits"
    assert body["challenges"][0]["requested_at"] is None
    assert body["athletes"][0]["long_name"] == "KIM \ufffd Minsu\x00"


def test_the_store_encodings_always_encode(tmp_path: Path) -> None:
    from restrike.store import Committed, Received, Store
    from restrike.store._batch import _args_json

    msg = Message("avt", "video_time", None, {"value": 10**5000, "name": ODD_TEXT},
                  raw="avt;\ud800", truncated=True)
    odd: list[Parsed] = [msg, Unknown("z\ud800", "z\ud800", "r\ud800"),
                         Invalid(None, "\ud800", "bad \udfff")]
    json.loads(_args_json(msg)[0])
    store = Store(tmp_path / "odd.sqlite3")
    got: list[Committed] = []
    store.subscribe_commits(got.append)
    store.start()
    store.submit(Received(1, 1.0, "127.0.0.1:1", b"odd", odd))  # rows as a commit makes them
    store.close()
    rows = [row for commit in got for row in commit.rows]
    assert len(rows) == len(odd)
    strict_json(rows)
    with closing(sqlite3.connect(":memory:")) as conn:  # SQLite refuses lone surrogates
        conn.execute("CREATE TABLE t (code, raw, error, args)")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)",
                         [(r["code"], r["raw"], r["error"], json.dumps(r["args"])) for r in rows])
