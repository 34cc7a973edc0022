"""A database that cannot be written: reported at once, retried, bounded, spilled.

The failure is real SQLite: ``PRAGMA max_page_count`` caps the writer's connection at
the file's current size, so every commit fails with SQLITE_FULL ("database or disk is
full"), exactly as on a full disk; raising the cap again is the disk freed.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import pytest

from restrike.errors import StoreError
from restrike.protocol.capture import Datagram, read_capture
from restrike.store import Store
from restrike.store._connect import connect
from tests.helpers import wait_until_sync
from tests.store.conftest import datagrams, received

UNLIMITED = 1_073_741_823


class Disk:
    """The writer's real connection, with a switch that makes the disk full."""

    def __init__(self) -> None:
        self.conn: sqlite3.Connection | None = None

    def open(self, path: Path) -> sqlite3.Connection:
        self.conn = connect(path)
        return self.conn

    def fill(self) -> None:
        assert self.conn is not None
        self.conn.execute("PRAGMA max_page_count = 1")  # clamps to the current size

    def free(self) -> None:
        assert self.conn is not None
        self.conn.execute(f"PRAGMA max_page_count = {UNLIMITED}")


def stored(path: Path) -> list[bytes]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT data FROM datagrams ORDER BY id")]
    finally:
        conn.close()


def payload(n: int) -> bytes:
    (data,) = datagrams(f"clk;1:{n % 60:02d};")
    return data + b"#" + str(n).encode()  # unique bytes per datagram


def test_disk_full_is_reported_at_once_bounded_spilled_and_recovered(
        db: Path, caplog: pytest.LogCaptureFixture) -> None:
    disk = Disk()
    store = Store(db, max_backlog=50, open_connection=disk.open)
    store.start()
    try:
        store.submit(received(1, payload(1), t=1_000.0))
        wait_until_sync(lambda: store.stats().stored_datagrams == 1)
        assert store.stats().error is None
        disk.fill()
        with caplog.at_level(logging.ERROR, logger="restrike.store"):
            for n in range(2, 202):
                store.submit(received(n, payload(n), t=1_000.0 + n))
            # The writer sets its error, then logs it: wait for both.
            wait_until_sync(lambda: store.stats().error is not None and any(
                "database or disk is full" in r.getMessage() for r in caplog.records))
        stats = store.stats()
        assert stats.error is not None
        assert stats.error.startswith("database write failing: database or disk is full — "
                                      "datagrams held in memory: ")
        held = int(stats.error.split("held in memory: ")[1].split(";")[0])
        assert held <= 50 + 500  # the queue's cap plus one batch taken before the failure
        fitted = stats.stored_datagrams - 1  # a first small batch may fit the free pages
        assert stats.spilled == 200 - held - fitted and stats.spilled > 0
        spill = db.parent / f"spill-{time.strftime('%Y-%m-%d', time.localtime(1_000.0))}.jsonl"
        assert stats.spill_path == str(spill)
        assert f"spilled to {spill}" in stats.error
        assert any("spill" in r.getMessage() for r in caplog.records)
        assert any("database or disk is full" in r.getMessage() for r in caplog.records)
        errors_then = stats.errors
        time.sleep(0.3)
        assert store.stats().errors - errors_then < 10  # backing off, not spinning

        disk.free()
        wait_until_sync(lambda: store.stats().error is None)
        wait_until_sync(lambda: store.stats().queue_depth == 0)
    finally:
        store.close()
    # Nothing lost: the database has the rest, the spill file round-trips as a capture.
    with spill.open("rb") as f:
        entries = list(read_capture(f))
    assert all(isinstance(e, Datagram) for e in entries)
    spilled = [(e.t, e.data) for e in entries if isinstance(e, Datagram)]
    in_db = stored(db)
    everything = {payload(n) for n in range(1, 202)}
    assert set(in_db) | {data for _, data in spilled} == everything
    assert len(in_db) + len(spilled) == 201
    assert all(t == 1_000.0 + int(data.split(b"#")[1]) for t, data in spilled)


def test_closing_while_the_disk_is_full_spills_what_is_held(db: Path) -> None:
    disk = Disk()
    store = Store(db, open_connection=disk.open)
    store.start()
    disk.fill()
    for n in range(1, 301):  # more than the free space left in the tables' pages
        store.submit(received(n, payload(n), t=2_000.0 + n))
    job = store.call(lambda conn: 1)
    wait_until_sync(lambda: store.stats().error is not None)
    store.close(timeout=5)
    with pytest.raises(StoreError, match="database write failing at close"):
        job.result(0)
    (spill,) = db.parent.glob("spill-*.jsonl")
    with spill.open("rb") as f:
        data = [e.data for e in read_capture(f) if isinstance(e, Datagram)]
    in_db = stored(db)  # a first small batch may have fitted before the disk filled
    assert in_db + data == [payload(n) for n in range(1, 301)]  # in order, none lost
    assert data


def test_a_bad_batch_is_logged_with_its_traceback(
        db: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = Store(db)
    store.start()
    store.call(lambda conn: conn.execute("SELECT 1"))
    bad = received(1, payload(1))
    object.__setattr__(bad, "data", object())  # not bytes: the insert raises
    with caplog.at_level(logging.ERROR, logger="restrike.store"):
        store.submit(bad)
        store.submit(received(2, payload(2)))
        wait_until_sync(lambda: store.stats().stored_datagrams == 1)
    store.close()
    (record,) = [r for r in caplog.records if "writing one by one" in r.getMessage()]
    assert record.exc_info is not None
