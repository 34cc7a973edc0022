"""Two writers on one file: the station's store and the receiver process's.

The receiver process stores the feed with a `Store` it drives on its own thread
(`write_queued`, no rows in its reports); the station's store writes tournament and
day changes and its parts' jobs. Each must see what the other committed — the current
tournament, day and match live in the file — and neither may write a stale one back.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from restrike.store import Store
from restrike.store.reader import Reader
from restrike.store.types import Committed
from tests.store.conftest import MATCH_1, MATCH_2, datagrams, feed


def _current(db: Path) -> dict[str, int | None]:
    with Reader(db) as reader:
        return reader.current()


def _tournament_of_match(db: Path, match_id: int) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute(
            "SELECT t.name FROM matches m JOIN days d ON d.id = m.day_id "
            "JOIN tournaments t ON t.id = d.tournament_id WHERE m.id = ?",
            (match_id,)).fetchone()[0])
    finally:
        conn.close()


def test_each_writer_sees_the_others_tournament_and_match(db: Path) -> None:
    station = Store(db)
    station.start()
    feed_writer = Store(db, rows=False)  # the receiver process's, driven by its thread
    try:
        feed(feed_writer, datagrams(*MATCH_1))
        feed_writer.write_queued()
        first_match = _current(db)["match"]
        assert first_match is not None

        # The operator picks a tournament at the station: the feed's writer, which
        # opened the match, must not write its older "current" back over it.
        station.set_tournament("Paris Open 2026")
        station.call(lambda _conn: None).result(5)  # the change is committed
        assert _current(db)["match"] == first_match

        feed(feed_writer, datagrams(*MATCH_2), start=1_780_001_000.0, first_seq=100)
        feed_writer.write_queued()
        second_match = _current(db)["match"]
        assert second_match not in (None, first_match)
        assert _tournament_of_match(db, second_match) == "Paris Open 2026"

        # And the station's next change keeps the match the feed opened.
        station.set_day("2026-05-03", "Day 2 – Finals")
        station.call(lambda _conn: None).result(5)
        now = _current(db)
        assert now["match"] == second_match and now["day"] is not None
    finally:
        station.close()
        feed_writer.close()


def test_a_report_without_rows_still_names_its_events_and_matches(db: Path) -> None:
    feed_writer = Store(db, rows=False)
    reports: list[Committed] = []
    feed_writer.subscribe_commits(reports.append)
    try:
        feed(feed_writer, datagrams(*MATCH_1))
        feed_writer.write_queued()
    finally:
        feed_writer.close()
    assert reports and sum(r.count for r in reports) == len(datagrams(*MATCH_1))
    assert all(r.rows == [] for r in reports)
    ids = [i for r in reports for i in r.event_ids]
    assert ids == list(range(ids[0], ids[0] + len(ids)))
    assert set().union(*(r.match_ids for r in reports)) == {_current(db)["match"]}
    with Reader(db) as reader:
        rows = reader.events_between(ids[0], ids[-1])
    assert [row["id"] for row in rows] == ids
