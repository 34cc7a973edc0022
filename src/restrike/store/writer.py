"""The store's single writer: one thread, fed by a queue that never drops.

`submit` only appends to a deque (the receiver must never block); the writer thread
takes what is there, up to `batch_rows` datagrams or `batch_ms` of
work, and commits it in one `BEGIN IMMEDIATE` transaction with `executemany`. A quiet
feed is committed at once (no waiting to fill a batch); a flood is committed in
batches. The backlog is reported in `stats()` and logged when it grows.

Other parts write through the same thread: `call(fn)` queues `fn(connection)` in
order with the datagrams and runs it inside the writer's transaction, so the file
has one writer (no lock contention, no second BEGIN IMMEDIATE waiting on the feed).

When the database cannot be written (disk full, read-only, I/O errors) nothing is
dropped either: `stats().error` says so at once ("database write failing: database or
disk is full — datagrams held in memory: N"), the batch is retried with a capped
backoff, and datagrams beyond `max_backlog` (2,000,000 by default) are appended to
`spill-<day>.jsonl` in the data folder (or the temporary folder if that fails too), a
capture file (`restrike.protocol.capture`) the operator can re-import. Closing while it
still fails spills what is held in memory.

With ``retry_open`` (the station's store) a database that cannot even be opened (a
read-only data folder, a file where the folder should be, no permission) is held the
same way: `stats().error` says why at once ("database cannot be opened: ..."), the
writer retries opening with the same capped backoff, and once it opens it writes
everything held, in order.

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
from restrike.store._checkpoint import Checkpointer
from restrike.store._connect import BUSY_TIMEOUT, connect
from restrike.store._migrate import apply_migrations
from restrike.store._rows import parse_day
from restrike.store._spill import Spill, fallback_spill_dir
from restrike.store.reader import Reader
from restrike.store.types import Committed, Received, StoreStats

__all__ = ["Store"]

log = logging.getLogger(__name__)

CommitCallback = Callable[[Committed], None]
T = TypeVar("T")

_BACKLOG_STEPS = (1_000, 10_000, 100_000, 1_000_000)

#: Datagrams held in memory at most; later ones go to the spill file until it drains.
MAX_BACKLOG = 2_000_000
#: Seconds the writer pauses between two transactions while another process writes
#: the file too (its lock waits poll every 1 ms at most: `_begin`).
SHARE_PAUSE = 0.02
#: Retries of a failing commit (or open) wait this long at first, doubling up to _RETRY_MAX.
_RETRY_FIRST = 0.05
_RETRY_MAX = 5.0
#: While the database keeps failing, say so again this often (seconds).
_FAILING_LOG_EVERY = 60.0

ConnectionFactory = Callable[[Path], sqlite3.Connection]


class Store:
    """The event store: open (and migrate) at construction, `start()` the writer.

    StoreError if the database cannot be opened, unless ``retry_open``: then the store
    takes datagrams at once and its writer keeps trying to open it (see above).
    """

    def __init__(self, path: Path, *, batch_rows: int = 500, batch_ms: float = 2.0,
                 max_backlog: int = MAX_BACKLOG, spill_dir: Path | None = None,
                 open_connection: ConnectionFactory = connect,
                 retry_open: bool = False, rows: bool = True) -> None:
        if batch_rows < 1:
            raise StoreError(f"batch_rows must be >= 1, not {batch_rows}")
        if not batch_ms > 0:
            raise StoreError(f"batch_ms must be > 0, not {batch_ms}")
        if max_backlog < 1:
            raise StoreError(f"max_backlog must be >= 1, not {max_backlog}")
        self.path = Path(path)
        self.batch_rows = batch_rows
        self.batch_ms = batch_ms
        self.max_backlog = max_backlog
        self.rows = rows  # False: commit reports carry no rows (`Committed.rows` empty)
        self.spill_dir = Path(spill_dir) if spill_dir is not None else self.path.parent
        self._spill = Spill([self.spill_dir, fallback_spill_dir()])
        self._open_connection = open_connection
        self._conn: sqlite3.Connection | None = None
        self._current = cur.Current()
        self._data_version = -1  # as of `_current` (`_reload_if_changed`); -1: read it
        self._shared = False  # another connection committed before our last commit
        self._queue: deque[WriteItem] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._subscribers: Subscribers[Committed] = Subscribers(log, "store: commit subscriber")
        self._checkpointer = Checkpointer(self.path)
        self._submitted = 0
        self._datagrams = 0
        self._events = 0
        self._max_depth = 0
        self._batches = 0
        self._last_commit_ms = 0.0
        self._errors = 0
        self._backlog_step = 0
        self._stop_requested = threading.Event()  # wakes a retry backoff at close
        self._failure: str | None = None  # why the database cannot be opened or written
        self._failing_since = 0.0
        self._failing_logged = 0.0
        self._in_flight = 0  # items of the batch being retried
        try:
            self._open()
        except StoreError as err:
            if not retry_open:
                raise
            self._failing(f"database cannot be opened: {err}", "cannot open the database")

    def _open(self) -> None:
        """Open and migrate the database; StoreError (the connection closed) if not."""
        conn = self._open_connection(self.path)
        try:
            apply_migrations(conn, str(self.path))
            current = cur.load_current(conn)
            # Checkpoints (the only fsyncs) run on their own thread, never in a commit.
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            # The write lock is waited for by `_begin`, not SQLite's busy handler.
            conn.execute("PRAGMA busy_timeout = 0")
        except sqlite3.Error as err:
            conn.close()
            raise StoreError(f"cannot read the database {self.path}: {err}") from err
        except BaseException:
            conn.close()
            raise
        self._current = current
        self._conn = conn

    @property
    def is_open(self) -> bool:
        """False while a ``retry_open`` store waits for its database."""
        return self._conn is not None

    @property
    def writing_backlog(self) -> int:
        """Items queued while the database is written normally (0 while it cannot be:
        then the store holds and spills them itself). The ingest waits on it, so a
        flood stays on disk in the receiver's spool instead of in this queue."""
        return len(self._queue) if self._conn is not None and self._failure is None else 0

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
        self._stop_requested.set()
        self._wake.set()
        if self._thread is None and self._queue:
            self._spawn()  # items submitted before start() are still written
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise StoreError(f"the store writer did not finish within {timeout} s "
                                 f"({len(self._queue)} items still queued)")
        if self._conn is None:  # never opened: keep what is held in the spill file
            self._give_up([], self._failure or "the database is not open")
        while self._queue:  # submitted while the writer was finishing: write them here
            self._write_some()
        self._spill.close()
        self._closed = True
        self._checkpointer.stop(timeout)
        if self._conn is not None:
            self._conn.close()  # the last connection to close checkpoints the WAL

    def write_queued(self) -> None:
        """Write everything queued, on the caller's thread, instead of `start`ing the
        writer thread: the receiver process stores the feed this way, one batch of the
        pipe at a time, and confirms it to its spool file only once it is committed."""
        if self._thread is not None:
            raise StoreError("the store's writer thread is running")
        while self._queue:
            self._write_some()

    def _spawn(self) -> None:
        self._thread = threading.Thread(target=self._run, name="restrike-store-writer",
                                        daemon=True)
        self._thread.start()

    def _open_or_retry(self) -> bool:
        """On the writer thread: open the database, retrying with a capped backoff until
        it opens (True) or the store closes first (False, after one last try)."""
        delay = _RETRY_FIRST
        while self._conn is None:
            try:
                self._open()
            except StoreError as err:
                self._failing(f"database cannot be opened: {err}", "cannot open the database")
                if self._stopping:
                    return False
                self._stop_requested.wait(delay)
                delay = min(delay * 2, _RETRY_MAX)
                continue
            log.warning("store: the database %s is open after %.0f s; writing %s held items",
                        self.path, time.monotonic() - self._failing_since, len(self._queue))
            self._failure = None
        return True

    # -- feeding ------------------------------------------------------------------------

    def submit(self, item: Received) -> None:
        """Queue a datagram; never blocks, never drops (thread-safe). Beyond
        `max_backlog` queued items it is appended to the spill file instead."""
        if self._stopping:
            raise StoreError("the store is closing; datagram not accepted")
        self._submitted += 1
        if len(self._queue) >= self.max_backlog and self._spill.append([item]):
            return
        self._queue.append(item)
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
            error=self._error_text(),
            spilled=self._spill.count,
            spill_path=str(self._spill.path) if self._spill.path is not None else None,
        )

    def _error_text(self) -> str | None:
        """What health shows while the database cannot be written (None when fine)."""
        failure = self._failure
        if failure is None:
            return None
        held = len(self._queue) + self._in_flight
        text = f"{failure} — datagrams held in memory: {held}"
        if self._spill.count:
            text += f"; {self._spill.count} spilled to {self._spill.path}"
        return text

    def reader(self) -> Reader:
        """A new read-only connection (one per thread or request handler)."""
        if self._conn is None:
            raise StoreError(f"the database {self.path} is not open: {self._failure}")
        return Reader(self.path)

    # -- the writer thread -------------------------------------------------------------

    def _run(self) -> None:
        if not self._open_or_retry():
            return  # closed before the database opened: close() spills what is held
        self._checkpointer.start()
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
            if queue and self._shared:
                # Another process writes this file too (the receiver process storing the
                # feed): leave it the lock for a moment before the next transaction, or
                # this thread, back at BEGIN at once, would keep it most of the time.
                time.sleep(SHARE_PAUSE)

    def _report_backlog(self, depth: int) -> None:
        steps = _BACKLOG_STEPS
        if self._backlog_step < len(steps) and depth >= steps[self._backlog_step]:
            log.warning("store backlog: %s datagrams waiting to be written", depth)
            self._backlog_step += 1
        elif self._backlog_step and depth < steps[self._backlog_step - 1] // 10:
            log.info("store backlog back to %s", depth)
            self._backlog_step = 0

    def _write_some(self) -> None:
        """Take a batch off the queue and commit it, retrying until it is written.

        While closing, a commit that still fails after one more try spills the batch
        and the queue (`_give_up`) instead of retrying forever."""
        batch: list[WriteItem] = []
        fill = True
        delay = _RETRY_FIRST
        tried_while_stopping = False
        while True:
            try:
                self._commit(batch, fill=fill)
            except sqlite3.OperationalError as err:  # busy, locked, disk full, I/O
                fill = False  # retry exactly what was taken
                self._errors += 1
                self._in_flight = len(batch)
                self._failing(f"database write failing: {err}",
                              f"commit of {len(batch)} items failed")
                if self._stopping:
                    if tried_while_stopping:
                        self._give_up(batch, f"database write failing at close: {err}")
                        return
                    tried_while_stopping = True
                    continue
                self._stop_requested.wait(delay)
                delay = min(delay * 2, _RETRY_MAX)
                continue
            except Exception:  # a bad row or a bug: isolate the culprit
                self._errors += 1
                log.exception("store: batch of %s items failed; writing one by one",
                              len(batch))
                self._commit_singly(batch)
                return
            self._in_flight = 0
            if self._failure is not None:
                log.warning("store: the database is written again after %.0f s of failures",
                            time.monotonic() - self._failing_since)
                self._failure = None
            return

    def _failing(self, failure: str, what: str) -> None:
        """Report a failed commit or open: at once the first time, then once a minute."""
        now = time.monotonic()
        if self._failure is None:
            self._failing_since = now
        elif now - self._failing_logged < _FAILING_LOG_EVERY:
            self._failure = failure
            return
        self._failure = failure
        self._failing_logged = now
        log.error("store: %s, retrying (backoff up to %s s): %s", what, _RETRY_MAX,
                  self._error_text())

    def _give_up(self, batch: list[WriteItem], reason: str) -> None:
        """Closing and the database still fails: spill every datagram held in memory,
        fail the jobs, name what could not be kept."""
        items = [*batch, *self._queue]
        self._queue.clear()
        self._in_flight = 0
        datagrams = [item for item in items if isinstance(item, Received)]
        jobs = [item for item in items if isinstance(item, Job)]
        others = len(items) - len(datagrams) - len(jobs)
        if datagrams and not self._spill.append(datagrams):
            log.error("store: %s datagrams could not be written nor spilled and are lost",
                      len(datagrams))
        error = StoreError(reason)
        _resolve([JobOutcome(job, error=error) for job in jobs])
        if others:
            log.error("store: %s tournament/day changes were not written: %s", others, reason)

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
        if conn is None:
            raise StoreError(f"the database {self.path} is not open")
        want_rows = self.rows and bool(self._subscribers)
        started = time.perf_counter()
        before = self._current
        _begin(conn)
        try:
            self._reload_if_changed(conn)
            builder = Batch(conn, self._current, want_rows)
            for item in batch:
                builder.add(item)
            if fill:
                queue = self._queue
                limit = self.batch_rows
                shared = self._shared
                deadline = started + self.batch_ms / 1000.0
                perf = time.perf_counter
                while queue and len(batch) < limit:
                    item = queue.popleft()
                    batch.append(item)
                    builder.add(item)
                    # The clock every 32 items; after each job while another process
                    # waits for the lock too (a job may wait for this process's GIL).
                    if ((len(batch) % 32 == 0 or (shared and type(item) is Job))
                            and perf() >= deadline):
                        break
            builder.flush()
            conn.execute("COMMIT")
        except BaseException:
            self._current = before
            self._data_version = -1
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

    def _reload_if_changed(self, conn: sqlite3.Connection) -> None:
        """Another connection committed since our last commit (the receiver process
        stores the feed while this store writes jobs and tournament changes, or the other
        way round): read the current tournament, day and match again, inside the write
        lock, so neither writes back a stale one."""
        version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        if version != self._data_version:
            self._shared = self._data_version != -1
            self._current = cur.load_current(conn)
            self._data_version = version
        else:
            self._shared = False

    def _notify(self, builder: Batch, elapsed: float) -> None:
        if not self._subscribers:
            return
        events = builder.events
        ids = range(events[0][0], events[-1][0] + 1) if events else range(0)
        pending = builder.pending
        committed = Committed(builder.seqs[0], builder.seqs[-1], len(builder.datagrams),
                              time.time(), ids, duration_ms=elapsed,
                              build=lambda: event_rows(pending),
                              match_ids=frozenset(builder.match_ids))
        self._subscribers.publish(committed)


def _begin(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting up to `BUSY_TIMEOUT` for another process's write
    lock (the receiver process stores the feed while this store writes jobs, or the
    other way round). SQLite's own busy handler sleeps 25–100 ms at a time once it has
    waited a little, long after the lock is free; measured, that halved the feed's
    rate under a flood. Here the wait is retried every 0.2–1 ms."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    delay = 0.0002
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as err:
            if err.sqlite_errorcode & 0xFF not in _BUSY or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.001)


_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


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
