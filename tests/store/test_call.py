"""`Store.call`: other parts' writes as jobs on the single writer, in order with the feed."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from restrike.errors import ReviewError, StoreError
from restrike.store import Reader, Store
from restrike.store._migrate import migrations
from tests.store.conftest import received

NOTES = "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"


def _note(text: str) -> Callable[[sqlite3.Connection], int]:
    def job(conn: sqlite3.Connection) -> int:
        conn.execute(NOTES)
        return int(conn.execute("INSERT INTO notes (text) VALUES (?)", (text,)).lastrowid or 0)

    return job


def _notes(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return [r[0] for r in conn.execute("SELECT text FROM notes ORDER BY id")]


def test_a_job_returns_its_result_after_the_commit(store: Store, db: Path) -> None:
    assert store.call(_note("first")).result(5) == 1
    assert _notes(db) == ["first"]  # committed: another connection sees it


def test_a_job_sees_every_datagram_queued_before_it(store: Store) -> None:
    gate = threading.Event()
    store.call(lambda conn: gate.wait(5))  # hold the writer so the rest queue up
    for seq in range(50):
        store.submit(received(seq, b"pt1;3\r\n"))
    counted = store.call(lambda conn: conn.execute("SELECT count(*) FROM datagrams")
                         .fetchone()[0])
    for seq in range(50, 60):
        store.submit(received(seq, b"pt1;3\r\n"))
    gate.set()
    assert counted.result(5) == 50
    store.close()
    assert store.stats().stored_datagrams == 60


def test_a_failing_job_gets_store_error_and_undoes_only_itself(store: Store, db: Path) -> None:
    store.call(_note("kept")).result(5)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO notes (text) VALUES ('undone')")
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    store.submit(received(1, b"pt1;3\r\n"))
    future = store.call(broken)
    store.submit(received(2, b"pt2;1\r\n"))
    with pytest.raises(StoreError, match="no_such_table") as info:
        future.result(5)
    assert isinstance(info.value.__cause__, sqlite3.OperationalError)
    store.close()
    assert _notes(db) == ["kept"]
    stats = store.stats()
    assert stats.stored_datagrams == 2 and stats.errors == 0


def test_our_own_errors_pass_through(store: Store) -> None:
    def refuse(conn: sqlite3.Connection) -> None:
        raise ReviewError("not now")

    with pytest.raises(ReviewError, match="not now"):
        store.call(refuse).result(5)


@pytest.mark.parametrize("sql", ["COMMIT", "ROLLBACK", "BEGIN",
                                 "RELEASE restrike_job", "ROLLBACK TO restrike_job"])
def test_a_job_cannot_end_the_writers_transaction(store: Store, db: Path, sql: str) -> None:
    store.call(_note("before")).result(5)

    def escape(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO notes (text) VALUES ('inside')")
        conn.execute(sql)

    with pytest.raises(StoreError, match="not authorized"):
        store.call(escape).result(5)
    store.submit(received(1, b"pt1;3\r\n"))
    store.call(_note("after")).result(5)
    store.close()
    assert _notes(db) == ["before", "after"]
    assert store.stats().stored_datagrams == 1


def test_a_job_may_use_its_own_savepoints(store: Store, db: Path) -> None:
    def nested(conn: sqlite3.Connection) -> None:
        conn.execute(NOTES)
        conn.execute("SAVEPOINT mine")
        conn.execute("INSERT INTO notes (text) VALUES ('dropped')")
        conn.execute("ROLLBACK TO mine")
        conn.execute("RELEASE mine")
        conn.execute("INSERT INTO notes (text) VALUES ('kept')")

    store.call(nested).result(5)
    assert _notes(db) == ["kept"]


def test_a_cancelled_job_does_not_run(store: Store, db: Path) -> None:
    gate = threading.Event()
    store.call(lambda conn: gate.wait(5))
    cancelled = store.call(_note("never"))
    assert cancelled.cancel()
    ran = store.call(_note("ran"))
    gate.set()
    store.close()
    assert ran.result(0) == 1 and _notes(db) == ["ran"]


def test_jobs_queued_before_start_or_close_are_run(db: Path) -> None:
    store = Store(db)
    future = store.call(_note("early"))
    store.close()
    assert future.result(0) == 1
    with pytest.raises(StoreError, match="closing"):
        store.call(_note("late"))


async def test_call_awaited_from_the_loop(store: Store) -> None:
    value = await asyncio.wrap_future(
        store.call(lambda conn: conn.execute("SELECT 6 * 7").fetchone()[0]))
    assert value == 42
    with pytest.raises(StoreError):
        await asyncio.wrap_future(store.call(lambda conn: conn.execute("SELEC nonsense")))
    assert not isinstance(store.call(lambda conn: None), asyncio.Future)
    assert isinstance(store.call(lambda conn: None), concurrent.futures.Future)


def test_reader_call_is_read_only(store: Store, db: Path) -> None:
    store.call(_note("x")).result(5)
    with Reader(db) as reader:
        assert reader.call(lambda conn: conn.execute("SELECT text FROM notes").fetchall()) \
            == [("x",)]
        assert reader.query("SELECT count(*) FROM notes") == [(1,)]
        with pytest.raises(StoreError, match="readonly"):
            reader.call(lambda conn: conn.execute("INSERT INTO notes (text) VALUES ('y')"))


def test_review_tables_made_before_their_migration_are_kept(db: Path) -> None:
    """Databases from before migration 002 may already have the review's tables."""
    first = migrations()[0]
    db.parent.mkdir(parents=True)
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.executescript(first.sql)
        review = next(m for m in migrations() if m.name == "002_review.sql")
        conn.executescript(review.sql)
        conn.execute("INSERT INTO clips (review, run, day, requested_by, source, requested_at)"
                     " VALUES (1, 'old', '2026-05-02', 'blue', 'udp', 1.0)")
        conn.execute("PRAGMA user_version = 1")
    Store(db).close()
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations())
        assert conn.execute("SELECT run FROM clips").fetchall() == [("old",)]
