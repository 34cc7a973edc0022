"""Opening, migrating and re-opening the database; errors become StoreError."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from restrike.errors import StoreError
from restrike.store import Reader, Store
from restrike.store._migrate import migrations

TABLES = {"tournaments", "days", "matches", "athletes", "datagrams", "events", "settings"}


def _tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_migrates_an_empty_database(db: Path) -> None:
    store = Store(db)
    store.close()
    assert _tables(db) >= TABLES
    assert _version(db) == len(migrations()) >= 1
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_is_idempotent_and_keeps_data(db: Path) -> None:
    from tests.store.conftest import received

    store = Store(db)
    store.start()
    store.submit(received(1, b"pt1;3\r\n"))
    store.close()
    for _ in range(2):
        again = Store(db)
        again.close()
    assert _version(db) == len(migrations())
    with Reader(db) as reader:
        assert reader.counts()["datagrams"] == 1


def test_migrations_are_numbered_in_sequence() -> None:
    found = migrations()
    assert [m.version for m in found] == list(range(1, len(found) + 1))
    assert all(m.name.endswith(".sql") for m in found)


def test_a_newer_database_is_refused(db: Path) -> None:
    Store(db).close()
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(StoreError, match="newer"):
        Store(db)


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("this is not SQLite " * 100)
    with pytest.raises(StoreError, match=r"notes\.db"):
        Store(path)


def test_folder_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError):
        Store(blocker / "sub" / "restrike.db")


def test_reader_of_a_missing_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        Reader(tmp_path / "missing.db")


def test_bad_batch_settings(db: Path) -> None:
    with pytest.raises(StoreError, match="batch_rows"):
        Store(db, batch_rows=0)
    with pytest.raises(StoreError, match="batch_ms"):
        Store(db, batch_ms=0)


def test_submit_after_close_is_refused(db: Path) -> None:
    from tests.store.conftest import received

    store = Store(db)
    store.close()
    with pytest.raises(StoreError):
        store.submit(received(1, b"pt1;3"))


def test_items_submitted_before_start_are_written_by_close(db: Path) -> None:
    from tests.store.conftest import received

    store = Store(db)
    for i in range(10):
        store.submit(received(i, b"clk;1:00\r\n"))
    assert store.stats().queue_depth == 10
    store.close()
    with Reader(db) as reader:
        assert reader.counts()["datagrams"] == 10


def test_a_locked_database_is_a_store_error(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from restrike.store import _connect

    monkeypatch.setattr(_connect, "BUSY_TIMEOUT", 0.2)
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError, match="locked"):
            Store(path)  # waits out the busy timeout
    finally:
        holder.execute("ROLLBACK")
        holder.close()
