"""What the writer stores: exact bytes, every message, match rows, commit reports."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from restrike.protocol import Message
from restrike.store import Committed, Reader, Received, Store
from tests.store.conftest import MATCH_1, MATCH_2, SOURCE, datagrams, feed, received


def _stored(path: Path) -> list[tuple[int, float, str, bytes, int]]:
    with closing(sqlite3.connect(path)) as conn:
        return [(r[0], r[1], r[2], bytes(r[3]), r[4]) for r in conn.execute(
            "SELECT id, received_at, source, data, seq FROM datagrams ORDER BY id")]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(min_size=0, max_size=80), min_size=1, max_size=40))
def test_every_datagram_is_stored_with_its_exact_bytes(payloads: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.db"
        store = Store(path, batch_rows=7)
        store.start()
        items = [received(i, p, 1_780_000_000 + i) for i, p in enumerate(payloads)]
        for item in items:
            store.submit(item)
        store.close()
        rows = _stored(path)
        assert [r[3] for r in rows] == payloads
        assert [r[4] for r in rows] == list(range(len(payloads)))
        assert all(r[2] == SOURCE for r in rows)
        with Reader(path) as reader:
            assert reader.counts()["events"] == sum(len(i.messages) for i in items)
        stats = store.stats()
        assert stats.stored_datagrams == stats.submitted == len(payloads)
        assert stats.queue_depth == 0 and stats.errors == 0


def test_malformed_datagrams_are_stored_as_invalid_events_with_reasons(
        store: Store, db: Path) -> None:
    bad = [b"pt1;abc\r\n", b"", b"xyz;1;2\r\n", b"wg1;1;wg2\r\n", b"\xff\xfe\x00;;"]
    feed(store, [b"clk;1:00\r\n", *bad, b"clk;0:59\r\n"])
    store.close()
    assert [r[3] for r in _stored(db)] == [b"clk;1:00\r\n", *bad, b"clk;0:59\r\n"]
    with Reader(db) as reader:
        events = reader.events(limit=100)
    broken = [e for e in events if e["kind"] in ("invalid", "unknown")]
    assert len(broken) >= len(bad)
    assert all(e["error"] for e in broken)
    assert any("technique" in e["error"] for e in broken)
    assert any(e["kind"] == "unknown" and e["code"] == "xyz" for e in broken)
    good = [e for e in events if e["kind"] == "clock"]
    assert [e["args"]["time"] for e in good] == [59, 60]


def test_full_match_derives_match_and_athlete_rows(store: Store, db: Path) -> None:
    grams = datagrams(*MATCH_1)
    times = feed(store, grams)
    store.close()
    with Reader(db) as reader:
        matches = reader.matches()
        assert len(matches) == 1
        m = matches[0]
        assert m["number"] == "101"
        assert m["match_id"] == "M-0101"
        assert m["phase"] == "Round of 16"
        assert m["category"] == "MEN -58kg"
        assert m["division"] == "Senior"
        assert m["blue"]["long_name"] == "KIM Taejoon" and m["blue"]["country"] == "KOR"
        assert m["red"]["short_name"] == "DESMOND N."
        assert m["winner"] == "BLUE"
        assert m["decision"] == "PTF"
        assert m["result"]["blue_points"] == 12 and m["result"]["red_points"] == 5
        assert m["result"]["rounds"] == [1, 1, 0]
        assert m["result"]["winner_name"] == "KIM Taejoon"
        start_index = next(i for i, g in enumerate(grams) if g.startswith(b"clk;2:00;start"))
        win_index = next(i for i, g in enumerate(grams) if g.startswith(b"win;"))
        from restrike.store._rows import iso

        assert m["loaded_at"] == iso(times[0])
        assert m["started_at"] == iso(times[start_index])
        assert m["ended_at"] == iso(times[win_index])
        full = reader.match(m["id"])
        assert full is not None
        assert len(full["events"]) == sum(len(received(0, g).messages) for g in grams)
        assert full["events"][0]["code"] == "pre"
        assert all(e["match"] == m["id"] for e in full["events"])
        assert reader.match(999) is None
        assert reader.days()[0]["matches"] == 1
        assert reader.tournaments()[0]["name"].startswith("Tournament ")


def test_two_matches_share_an_athlete_row_and_restart_continues(db: Path) -> None:
    store = Store(db)
    store.start()
    feed(store, datagrams(*MATCH_1))
    store.close()
    again = Store(db)  # a restart mid-day: the current match and day are remembered
    again.start()
    feed(again, datagrams(*MATCH_2), start=1_780_000_600.0, first_seq=100)
    again.close()
    with Reader(db) as reader:
        second, first = reader.matches()
        assert first["blue"]["id"] == second["blue"]["id"]  # same KIM Taejoon
        assert second["red"]["long_name"] == "Ana LÓPEZ"
        assert second["started_at"] is not None and second["ended_at"] is None
        assert reader.counts()["athletes"] == 3
        assert reader.current()["match"] == second["id"]
        assert len(reader.days()) == 1


def test_messages_before_any_match_have_no_match(store: Store, db: Path) -> None:
    feed(store, [b"clk;1:00\r\n", b"hel\r\n"])
    store.close()
    with Reader(db) as reader:
        assert {e["match"] for e in reader.events()} == {None}
        assert reader.matches() == []


def test_set_tournament_and_day(store: Store, db: Path) -> None:
    store.set_tournament("Paris Open 2026")
    store.set_day("2026-05-02", name="Day 2")
    feed(store, datagrams(*MATCH_2))
    store.close()
    with Reader(db) as reader:
        (m,) = reader.matches()
        assert m["tournament"] == "Paris Open 2026"
        assert m["day"] == "2026-05-02" and m["day_name"] == "Day 2"
        assert reader.matches(day="2026-05-02") == [m]
        assert reader.matches(day="2026-05-03") == []
        names = [t["name"] for t in reader.tournaments()]
        assert names == ["Paris Open 2026"]


def test_set_day_rejects_a_bad_date(store: Store) -> None:
    import pytest

    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        store.set_day("02/05/2026")
    with pytest.raises(ValueError):
        store.set_tournament("  ")


def test_commit_reports_rows_in_the_api_shape(db: Path) -> None:
    store = Store(db, batch_rows=3)
    got: list[Committed] = []
    unsubscribe = store.subscribe_commits(got.append)
    store.start()
    feed(store, datagrams(*MATCH_1))
    store.close()
    unsubscribe()
    assert got and all(c.count <= 3 for c in got)
    assert sum(c.count for c in got) == len(datagrams(*MATCH_1))
    assert got[-1].last_seq == len(datagrams(*MATCH_1)) - 1
    rows = [row for c in got for row in c.rows]
    assert [r["id"] for r in rows] == [i for c in got for i in c.event_ids]
    with Reader(db) as reader:
        assert rows == list(reversed(reader.events(limit=1000)))


def test_committed_rows_of_hostile_datagrams_are_strict_json(db: Path) -> None:
    """The rows a commit reports are made encodable by construction (no JSON pass per
    row): a 4,300-digit clock, lone surrogates and bytes that are not UTF-8 still give
    strict JSON, equal to what a reader returns."""
    store = Store(db, batch_rows=4)
    got: list[Committed] = []
    unsubscribe = store.subscribe_commits(got.append)
    store.start()
    hostile = [b"clk;" + b"9" * 4300 + b"\r\n", b"at1;\xed\xa0\x80;A\xff;KOR\r\n",
               b"pt1;99999999999999999999999999\r\n", b"hl1;nan\r\n", b"\xff\xfe;;;\r\n",
               b"mch;1;Final;M -80kg;;#00f;#fff;#f00;#fff;9001;Senior;3;120;cntDown;1;1\r\n"]
    feed(store, hostile * 3)
    # Fields no parser of the shipped definition makes, but a hand-made message may
    # carry: the store's JSON-safe fallback must reach the rows too.
    fields: dict[str, Any] = {"name": "\udcff", "n": 10**400, "x": float("nan")}
    odd = Message("zz1", "note", 1, fields, raw="zz1;odd")
    store.submit(Received(100, 1_780_000_100.0, SOURCE, b"zz1;odd", [odd]))
    store.close()
    unsubscribe()
    rows = [row for c in got for row in c.rows]
    assert len(rows) >= len(hostile) * 3
    json.dumps(rows, allow_nan=False).encode("utf-8")  # raises if any is not strict JSON
    with Reader(db) as reader:
        assert rows == list(reversed(reader.events(limit=1000)))


def test_a_failing_subscriber_does_not_stop_the_writer(db: Path) -> None:
    store = Store(db)

    def boom(_: Committed) -> None:
        raise RuntimeError("subscriber bug")

    store.subscribe_commits(boom)
    store.start()
    feed(store, [b"clk;1:00\r\n"] * 5)
    store.close()
    assert store.stats().stored_datagrams == 5


def test_readers_work_while_the_writer_writes(db: Path) -> None:
    store = Store(db, batch_rows=50)
    store.start()
    stop = threading.Event()
    seen: list[int] = []

    def read() -> None:
        with store.reader() as reader:
            while not stop.is_set():
                seen.append(reader.counts()["datagrams"])

    thread = threading.Thread(target=read)
    thread.start()
    feed(store, [b"clk;1:00\r\n"] * 3000, step=0.001)
    store.close()
    stop.set()
    thread.join()
    assert seen == sorted(seen)
    with Reader(db) as reader:
        assert reader.counts()["datagrams"] == 3000


def test_backlog_is_reported_and_nothing_dropped(db: Path) -> None:
    store = Store(db, batch_rows=100)
    feed(store, [b"pt1;3\r\n"] * 20_000, step=0.0001)  # queued before the writer runs
    assert store.stats().queue_depth == 20_000
    store.start()
    store.close(timeout=60)
    stats = store.stats()
    assert stats.max_queue_depth == 20_000
    assert stats.stored_datagrams == 20_000 and stats.batches >= 200


def test_a_commit_waits_out_another_writers_lock(db: Path) -> None:
    store = Store(db)
    store.start()
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process writing
        feed(store, [b"clk;1:00\r\n"] * 20)
        time.sleep(0.3)
        assert store.stats().stored_datagrams == 0
        other.execute("COMMIT")
    finally:
        other.close()
    store.close()
    assert store.stats().stored_datagrams == 20
