"""The tagger's cursor over the stored events (restrike.analysis.feed)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from restrike.analysis import feed
from restrike.analysis.feed import EventCursor, events_of
from restrike.protocol.stored_args import ArgsDecoder
from restrike.store import Store

T0 = 1_800_000_000.0


def _events(conn: sqlite3.Connection, first: int, count: int, match: int) -> None:
    for n in range(first, first + count):
        conn.execute("INSERT INTO datagrams (id, received_at, source, data, match_id, seq) "
                     "VALUES (?, ?, 'x', x'00', ?, ?)", (n, T0 + n, match, n))
        conn.execute("INSERT INTO events (id, datagram_id, match_id, seq, received_at, kind, "
                     "athlete, args, raw) VALUES (?, ?, ?, 0, ?, 'point', 1, ?, 'pt1;3')",
                     (n, n, match, T0 + n, json.dumps({"points": n % 3})))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "restrike.sqlite")
    store.start()
    yield store
    store.close()


def test_the_cursor_starts_after_history_and_reads_what_follows_in_chunks(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def history(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO tournaments (id, name, created_at) VALUES (1, 'Open', 0)")
        conn.execute("INSERT INTO days (id, tournament_id, date, created_at) "
                     "VALUES (1, 1, '2027-01-15', 0)")
        conn.execute("INSERT INTO matches (id, day_id, number, loaded_at) VALUES "
                     "(1, 1, '101', 0), (2, 1, '102', 0)")
        _events(conn, 1, 5, 1)  # an earlier match: never tagged again
        _events(conn, 6, 3, 2)  # the current match: folded in at start
        conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES "
                     "('current.match', '2')")

    store.call(history).result(30)
    reader = store.reader()
    try:
        cursor, current = EventCursor.at_current_match(reader)
        assert [e.id for e in current] == [6, 7, 8]
        assert cursor.last_id == 8
        assert list(cursor.chunks()) == []
        monkeypatch.setattr(feed, "CHUNK", 4)
        store.call(lambda conn: _events(conn, 9, 10, 2)).result(30)
        chunks = [[e.id for e in chunk] for chunk in cursor.chunks()]
    finally:
        reader.close()
    assert chunks == [[9, 10, 11, 12], [13, 14, 15, 16], [17, 18]]
    assert cursor.last_id == 18


def test_events_keep_epoch_time_local_day_and_decoded_args() -> None:
    args = ArgsDecoder()
    days: dict[int, str] = {}
    rows = [(1, 2, T0 + 0.25, "point", 1, '{"points": 3}'),
            (2, 2, T0 + 0.25, "clock", None, ""),
            (3, None, T0 + 86_400.5, "point", 2, '{"points": 3}')]
    events = events_of(rows, args, days)
    assert [(e.id, e.match, e.at, e.kind, e.athlete) for e in events] == [
        (1, 2, T0 + 0.25, "point", 1), (2, 2, T0 + 0.25, "clock", None),
        (3, None, T0 + 86_400.5, "point", 2)]
    assert events[0].args == {"points": 3} and events[1].args == {}
    assert events[0].args is events[2].args  # one decode per distinct text
    assert [e.day for e in events] == [
        time.strftime("%Y-%m-%d", time.localtime(t)) for t in (T0, T0, T0 + 86_400.5)]
