"""The store's single writer: one thread, fed by a queue that never drops.

`submit` only appends to an unbounded deque (the receiver must never block); the
writer thread takes what is there, up to `batch_rows` datagrams or `batch_ms` of
work, and commits it in one `BEGIN IMMEDIATE` transaction with `executemany`. A quiet
feed is committed at once (no waiting to fill a batch); a flood is committed in
batches. The backlog is reported in `stats()` and logged when it grows.

Other parts write through the same thread: `call(fn)` queues `fn(connection)` in
order with the datagrams and runs it inside the writer's transaction, so the file
has one writer (no lock contention, no second BEGIN IMMEDIATE waiting on the feed).

Durability: WAL with `synchronous=NORMAL`. A commit is in the WAL file (the OS's page
cache) when COMMIT returns, so killing the process (even `kill -9`) loses nothing
committed; only a power cut or OS crash can lose the last commits before the next
checkpoint. That trade buys commits without an fsync each (see docs/store.md).
"""

from __future__ import annotations

import concurrent.futures
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from restrike.callbacks import Subscribers
from restrike.errors import RestrikeError, StoreError
from restrike.store import _current as cur
from restrike.store._batch import (
    Batch,
    Job,
    JobOutcome,
    SetDay,
    SetTournament,
    WriteItem,
    event_rows,
)
from restrike.store._connect import connect
from restrike.store._migrate import apply_migrations
from restrike.store._rows import parse_day
from restrike.store.reader import Reader
from restrike.store.types import Committed, Received, StoreStats

__all__ = ["Store"]

log = logging.getLogger(__name__)

CommitCallback = Callable[[Committed], None]
T = TypeVar("T")

_BACKLOG_STEPS = (1_000, 10_000, 100_000, 1_000_000)


class Store:
    """The event store: open (and migrate) at construction, `start()` the writer."""

    def __init__(self, path: Path, *, batch_rows: int = 500, batch_ms: float = 2.0) -> None:
        if batch_rows < 1:
            raise StoreError(f"batch_rows must be >= 1, not {batch_rows}")
        if not batch_ms > 0:
            raise StoreError(f"batch_ms must be > 0, not {batch_ms}")
        self.path = Path(path)
        self.batch_rows = batch_rows
        self.batch_ms = batch_ms
        self._conn = connect(self.path)
        try:
            apply_migrations(self._conn, str(self.path))
            self._current = cur.load_current(self._conn)
            # Checkpoints (the only fsyncs) run on their own thread, never in a commit.
            self._conn.execute("PRAGMA wal_autocheckpoint = 0")
        except sqlite3.Error as err:
            self._conn.close()
            raise StoreError(f"cannot read the database {self.path}: {err}") from err
        except BaseException:
            self._conn.close()
            raise
        self._queue: deque[WriteItem] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._subscribers: Subscribers[Committed] = Subscribers(log, "store: commit subscriber")
        self._checkpointer: threading.Thread | None = None
        self._checkpoint_stop = threading.Event()
        self.checkpoint_interval = 1.0
        self._submitted = 0
        self._datagrams = 0
        self._events = 0
        self._max_depth = 0
        self._batches = 0
        self._last_commit_ms = 0.0
        self._errors = 0
        self._backlog_step = 0

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        if self._closed:
            raise StoreError("the store is closed")
        self._spawn()

    def close(self, timeout: float = 5.0) -> None:
        """Stop taking items, write everything queued, close. StoreError if it cannot drain."""
        if self._closed:
            return
        self._stopping = True
        self._wake.set()
        if self._thread is None and self._queue:
            self._spawn()  # items submitted before start() are still written
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise StoreError(f"the store writer did not finish within {timeout} s "
                                 f"({len(self._queue)} items still queued)")
        while self._queue:  # submitted while the writer was finishing: write them here
            self._write_some()
        self._closed = True
        self._checkpoint_stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join(timeout)
        self._conn.close()  # the last connection to close checkpoints the rest of the WAL

    def _spawn(self) -> None:
        self._thread = threading.Thread(target=self._run, name="restrike-store-writer",
                                        daemon=True)
        self._thread.start()
        if self._checkpointer is None:
            self._checkpointer = threading.Thread(target=self._checkpoint_loop,
                                                  name="restrike-store-checkpoint",
                                                  daemon=True)
            self._checkpointer.start()

    def _checkpoint_loop(self) -> None:
        """PASSIVE checkpoints every `checkpoint_interval` s: never blocks the writer."""
        try:
            conn = connect(self.path)
        except StoreError:
            log.exception("store: no checkpoint connection; the WAL will grow until close")
            return
        try:
            while not self._checkpoint_stop.wait(self.checkpoint_interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as err:
                    log.warning("store: checkpoint failed: %s", err)
        finally:
            conn.close()

    # -- feeding ------------------------------------------------------------------------

    def submit(self, item: Received) -> None:
        """Queue a datagram; never blocks, never drops (thread-safe)."""
        if self._stopping:
            raise StoreError("the store is closing; datagram not accepted")
        self._queue.append(item)
        self._submitted += 1
        if not self._wake.is_set():
            self._wake.set()

    def set_tournament(self, name: str) -> None:
        """Make `name` the current tournament (created if new) with today as its day."""
        name = name.strip()
        if not name:
            raise ValueError("tournament name must not be empty")
        self._command(SetTournament(name, time.time()))

    def set_day(self, day: str, name: str = "") -> None:
        """Make `day` (YYYY-MM-DD) the current day of the current tournament."""
        parse_day(day)
        self._command(SetDay(day, name.strip(), time.time()))

    def _command(self, item: SetTournament | SetDay | Job) -> None:
        if self._stopping:
            raise StoreError("the store is closing")
        self._queue.append(item)
        self._wake.set()

    def call(self, fn: Callable[[sqlite3.Connection], T]) -> concurrent.futures.Future[T]:
        """Run `fn(connection)` on the writer thread, inside its transaction; thread-safe.

        Queued in order with the datagrams (it sees every item submitted before it) and
        never dropped. `fn` must not BEGIN, COMMIT or ROLLBACK (refused) and should be
        short: the feed waits while it runs. The future gets `fn`'s result once the
        transaction is committed, or a StoreError (`from` the original error; a
        RestrikeError is passed on as it is) and `fn`'s changes are undone. A batch
        retried after a transient failure runs `fn` again. StoreError at once if the
        store is closing.
        """
        job = Job(fn)
        self._command(job)
        future: concurrent.futures.Future[T] = job.future
        return future

    def subscribe_commits(self, cb: CommitCallback) -> Callable[[], None]:
        """Call `cb(Committed)` on the writer thread after each commit; returns unsubscribe."""
        return self._subscribers.add(cb)

    # -- reading ------------------------------------------------------------------------

    def stats(self) -> StoreStats:
        return StoreStats(
            submitted=self._submitted,
            stored_datagrams=self._datagrams,
            stored_events=self._events,
            queue_depth=len(self._queue),
            max_queue_depth=self._max_depth,
            batches=self._batches,
            last_commit_ms=self._last_commit_ms,
            errors=self._errors,
        )

    def reader(self) -> Reader:
        """A new read-only connection (one per thread or request handler)."""
        return Reader(self.path)

    # -- the writer thread -------------------------------------------------------------

    def _run(self) -> None:
        queue = self._queue
        while True:
            if not queue:
                if self._stopping:
                    return
                self._wake.clear()
                if not queue and not self._stopping:
                    self._wake.wait()
                continue
            depth = len(queue)
            if depth > self._max_depth:
                self._max_depth = depth
            self._report_backlog(depth)
            self._write_some()

    def _report_backlog(self, depth: int) -> None:
        steps = _BACKLOG_STEPS
        if self._backlog_step < len(steps) and depth >= steps[self._backlog_step]:
            log.warning("store backlog: %s datagrams waiting to be written", depth)
            self._backlog_step += 1
        elif self._backlog_step and depth < steps[self._backlog_step - 1] // 10:
            log.info("store backlog back to %s", depth)
            self._backlog_step = 0

    def _write_some(self) -> None:
        """Take a batch off the queue and commit it, retrying until it is written."""
        batch: list[WriteItem] = []
        fill = True
        delay = 0.01
        while True:
            try:
                self._commit(batch, fill=fill)
                return
            except sqlite3.OperationalError as err:  # busy, locked, disk full, I/O
                fill = False  # retry exactly what was taken
                self._errors += 1
                log.error("store: commit of %s items failed, retrying: %s", len(batch), err)
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            except Exception as err:  # a bad row or a bug: isolate the culprit
                self._errors += 1
                log.error("store: batch of %s items failed (%s); writing one by one",
                          len(batch), err)
                self._commit_singly(batch)
                return

    def _commit_singly(self, batch: list[WriteItem]) -> None:
        for item in batch:
            try:
                self._commit([item])
            except Exception as err:
                self._errors += 1
                log.exception("store: could not write %r", item)
                if isinstance(item, Job):
                    _resolve([JobOutcome(item, error=err)])

    def _commit(self, batch: list[WriteItem], *, fill: bool = False) -> None:
        """Write `batch` in one transaction; with `fill`, first take items off the queue
        into it while there are some, up to `batch_rows` items or `batch_ms` of work."""
        conn = self._conn
        want_rows = bool(self._subscribers)
        started = time.perf_counter()
        before = self._current
        conn.execute("BEGIN IMMEDIATE")
        try:
            builder = Batch(conn, self._current, want_rows)
            for item in batch:
                builder.add(item)
            if fill:
                queue = self._queue
                limit = self.batch_rows
                deadline = started + self.batch_ms / 1000.0
                perf = time.perf_counter
                while queue and len(batch) < limit:
                    item = queue.popleft()
                    batch.append(item)
                    builder.add(item)
                    if len(batch) % 32 == 0 and perf() >= deadline:
                        break
            builder.flush()
            conn.execute("COMMIT")
        except BaseException:
            self._current = before
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._current = builder.current
        elapsed = (time.perf_counter() - started) * 1000.0
        self._last_commit_ms = elapsed
        self._batches += 1
        self._datagrams += len(builder.datagrams)
        self._events += len(builder.events)
        if builder.datagrams:
            self._notify(builder, elapsed)
        if builder.jobs:
            _resolve(builder.jobs)

    def _notify(self, builder: Batch, elapsed: float) -> None:
        if not self._subscribers:
            return
        events = builder.events
        ids = range(events[0][0], events[-1][0] + 1) if events else range(0)
        pending = builder.pending
        committed = Committed(builder.seqs[0], builder.seqs[-1], len(builder.datagrams),
                              time.time(), ids, duration_ms=elapsed,
                              build=lambda: event_rows(pending))
        self._subscribers.publish(committed)


def _resolve(outcomes: list[JobOutcome]) -> None:
    """Hand committed jobs their results (their callbacks run on this thread)."""
    for outcome in outcomes:
        future: concurrent.futures.Future[Any] = outcome.job.future
        if future.done():
            continue
        err = outcome.error
        if err is None:
            future.set_result(outcome.result)
        elif isinstance(err, RestrikeError):
            future.set_exception(err)
        else:
            wrapped = StoreError(f"store job failed: {err}")
            wrapped.__cause__ = err
            future.set_exception(wrapped)
