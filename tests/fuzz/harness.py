"""The fuzz target: datagrams → parse → reduce → every encoder the station runs.

One case is a short sequence of datagrams, as a court (or an attacker on the LAN)
would send them. `check_case` runs them the way the station does: parse with the
shipped definition, reduce into the live state, read the Article 21 quota, encode each
message (`message_to_dict`), write the datagrams and events through the store's real
batch code into an SQLite database, build the commit rows, encode the state. Nothing
may raise, every JSON must be strict (no NaN, valid UTF-8), and the bounds of issue 11
must hold: no int beyond the definition's limit, no history beyond the cap, every
datagram stored.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hypothesis import strategies as st

from restrike.protocol import (
    MatchState,
    Message,
    default_schema,
    encode,
    message_to_dict,
    parse,
    reduce,
    state_to_json,
)
from restrike.protocol.schema import INT_LIMIT
from restrike.protocol.state import CHALLENGE_HISTORY, MAX_JUDGES, MAX_ROUNDS
from restrike.review.rules import quota_exhausted, remaining_quota
from restrike.store import Received
from restrike.store._batch import Batch, event_rows
from restrike.store._current import Current
from restrike.store._migrate import apply_migrations
from tests.protocol.strategies import messages

__all__ = ["cases", "check_case"]

SCHEMA = default_schema()
START = 1_767_000_000.0  # arrival time of the first datagram (epoch seconds)

_conn: sqlite3.Connection | None = None


def _store() -> sqlite3.Connection:
    """An in-memory database with the store's migrations, shared by all cases (each case
    runs in a transaction that is rolled back)."""
    global _conn
    if _conn is None:
        _conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        apply_migrations(_conn, ":memory:")
    return _conn


def strict_json(value: Any) -> bytes:
    """JSON as a browser takes it: no NaN or Infinity, valid UTF-8."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _bounded(value: Any, where: str) -> None:
    """Every int inside `value` is within the definition's limit."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        assert -INT_LIMIT <= value <= INT_LIMIT, f"{where}: {value} beyond the limit"
    elif isinstance(value, dict):
        for key, item in value.items():
            _bounded(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for item in value:
            _bounded(item, where)


def _check_state(state: MatchState) -> None:
    assert len(state.challenges) <= CHALLENGE_HISTORY
    counted = sum(c.number for c in state.challenge_counts)
    assert counted == len(state.challenges) + state.challenges_dropped
    assert len(state.judges) <= MAX_JUDGES
    assert all(len(row) <= MAX_ROUNDS for row in state.round_scores)
    left = remaining_quota(state, 1)
    assert all(0 <= n <= 1 for n in left)


def check_case(datagrams: list[bytes]) -> None:
    """Run one sequence of datagrams through everything the station does with it."""
    conn = _store()
    conn.execute("BEGIN")
    try:
        batch = Batch(conn, Current(), want_rows=True)
        state = MatchState()
        stored_messages = 0
        for seq, data in enumerate(datagrams, start=1):
            now = START + seq * 0.25
            parsed = parse(data, SCHEMA)
            assert parsed, "every datagram gives at least one message"
            for msg in parsed:
                assert msg.raw is not None
                if isinstance(msg, Message):
                    _bounded(msg.fields, msg.code)
                strict_json(message_to_dict(msg))
                quota_exhausted(state, msg.athlete, 1)
                state = reduce(state, msg, now)
            batch.add(Received(seq, now, "203.0.113.9:6000", data, list(parsed)))
            stored_messages += len(parsed)
        _check_state(state)
        batch.flush()
        strict_json(event_rows(batch.pending))
        body = state_to_json(state)
        _bounded(body, "state")
        strict_json(body)
        assert conn.execute("SELECT count(*) FROM datagrams").fetchone()[0] == len(datagrams)
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == stored_messages
        for (args,) in conn.execute("SELECT args FROM events"):
            json.loads(args)
    finally:
        conn.rollback()


# --- what the cases are made of ---------------------------------------------------------

_NASTY = [
    "", "-", "--1", "0", "-0", "1", "-1", "2", "5", "9", "101", "-999999", "1000000",
    "99:59", "100:00", "0:60", "1:5", ":", "::", "2:00", "59", "6000", "9" * 11,
    "9" * 4299, "9" * 4300 + ":00", "0" * 50 + "7", "²", "١٢", "1e3", "0x10", " 1", "1 ",
    "start", "stopEnd", "show", "reset", "BLUE", "RED", "FightLoaded", "FightReady", "rd1",
    "true:", "3:", ":", "12-5 PTF", "²-1 PTF", "9" * 80 + "-1 PTF", "KIM Minsu", "é" * 70,
    "A" * 300, "\x00", "\x00" * 3, "Udp Port 6000 connected", "Udp Port " + "9" * 5000 +
    " connected", "\t", " ",
]
_TOKENS = st.sampled_from([*SCHEMA.messages, *_NASTY])
_SEPARATORS = st.sampled_from([";", ";", ";", "\r\n", "\n", "\r", ";\r\n", ""])
_ENCODINGS = st.sampled_from(["utf-8", "utf-8", "cp1252", "latin-1"])


@st.composite
def _token_soup(draw: st.DrawFn) -> bytes:
    tokens = draw(st.lists(_TOKENS, max_size=24))
    text = draw(_SEPARATORS).join(tokens) + draw(st.sampled_from(["", ";", "\r\n"]))
    return text.encode(draw(_ENCODINGS), errors="replace")


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    """Valid datagrams with a few bytes changed, inserted, removed or repeated."""
    batch = draw(st.lists(messages(SCHEMA), min_size=1, max_size=4))
    data = bytearray(b"".join(encode(batch, draw(st.sampled_from(["real", "documented"])))))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["set", "insert", "delete", "repeat", "cut"]))
        piece = draw(st.binary(min_size=1, max_size=3))
        if op == "set" and at < len(data):
            data[at] = piece[0]
        elif op == "insert":
            data[at:at] = piece
        elif op == "delete":
            del data[at:at + len(piece)]
        elif op == "repeat":
            data[at:at] = data[at:at + 8] * draw(st.integers(1, 50))
        else:
            del data[at:]
    return bytes(data)


DATAGRAM = st.one_of(st.binary(max_size=400), _token_soup(), _mutated(),
                     st.sampled_from([b"ch1", b"ch2;0", b"ch1;1;1", b"ch0", b"ch2;-1"]))


def cases() -> st.SearchStrategy[list[bytes]]:
    """Sequences of datagrams; some repeat one datagram past the history's cap (a storm)."""
    storm = st.tuples(DATAGRAM, st.integers(2, 2 * CHALLENGE_HISTORY)).map(
        lambda pair: [pair[0]] * pair[1])
    return st.one_of(st.lists(DATAGRAM, min_size=1, max_size=12), storm,
                     st.lists(DATAGRAM, min_size=1, max_size=4).flatmap(
                         lambda head: storm.map(lambda tail: head + tail)))
