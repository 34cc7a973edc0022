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
`spill-<day>.jsonl` in the data folder, a capture file (`restrike.protocol.capture`)
the operator can re-import. Closing while it still fails spills what is held in memory.

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
from restrike.protocol.capture import format_capture_line
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

#: Datagrams held in memory at most; later ones go to the spill file until it drains.
MAX_BACKLOG = 2_000_000
#: Retries of a failing commit wait this long at first, doubling up to _RETRY_MAX.
_RETRY_FIRST = 0.05
_RETRY_MAX = 5.0
#: While the database keeps failing, say so again this often (seconds).
_FAILING_LOG_EVERY = 60.0

ConnectionFactory = Callable[[Path], sqlite3.Connection]


class Store:
    """The event store: open (and migrate) at construction, `start()` the writer."""

    def __init__(self, path: Path, *, batch_rows: int = 500, batch_ms: float = 2.0,
                 max_backlog: int = MAX_BACKLOG, spill_dir: Path | None = None,
                 open_connection: ConnectionFactory = connect) -> None:
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
        self.spill_dir = Path(spill_dir) if spill_dir is not None else self.path.parent
        self._conn = open_connection(self.path)
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
        self._stop_requested = threading.Event()  # wakes a retry backoff at close
        self._failure: str | None = None  # the database error while commits fail
        self._failing_since = 0.0
        self._failing_logged = 0.0
        self._in_flight = 0  # items of the batch being retried
        self._spill_lock = threading.Lock()
        self._spill: Any = None  # the open spill file (text, append)
        self._spill_path: Path | None = None
        self._spilled = 0

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
        while self._queue:  # submitted while the writer was finishing: write them here
            self._write_some()
        self._close_spill()
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
        """Queue a datagram; never blocks, never drops (thread-safe). Beyond
        `max_backlog` queued items it is appended to the spill file instead."""
        if self._stopping:
            raise StoreError("the store is closing; datagram not accepted")
        self._submitted += 1
        if len(self._queue) >= self.max_backlog and self._spill_items([item]):
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
            spilled=self._spilled,
            spill_path=str(self._spill_path) if self._spill_path is not None else None,
        )

    def _error_text(self) -> str | None:
        """What health shows while the database cannot be written (None when fine)."""
        failure = self._failure
        if failure is None:
            return None
        held = len(self._queue) + self._in_flight
        text = f"database write failing: {failure} — datagrams held in memory: {held}"
        if self._spilled:
            text += f"; {self._spilled} spilled to {self._spill_path}"
        return text

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
                self._failing(err, len(batch))
                if self._stopping:
                    if tried_while_stopping:
                        self._give_up(batch, err)
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

    def _failing(self, err: sqlite3.OperationalError, count: int) -> None:
        """Report a failed commit: at once the first time, then once a minute."""
        now = time.monotonic()
        if self._failure is None:
            self._failing_since = now
        elif now - self._failing_logged < _FAILING_LOG_EVERY:
            self._failure = str(err)
            return
        self._failure = str(err)
        self._failing_logged = now
        log.error("store: commit of %s items failed, retrying (backoff up to %s s): %s",
                  count, _RETRY_MAX, self._error_text())

    def _give_up(self, batch: list[WriteItem], err: sqlite3.OperationalError) -> None:
        """Closing and the database still fails: spill every datagram held in memory,
        fail the jobs, name what could not be kept."""
        items = [*batch, *self._queue]
        self._queue.clear()
        self._in_flight = 0
        datagrams = [item for item in items if isinstance(item, Received)]
        jobs = [item for item in items if isinstance(item, Job)]
        others = len(items) - len(datagrams) - len(jobs)
        if datagrams and not self._spill_items(datagrams):
            log.error("store: %s datagrams could not be written nor spilled and are lost",
                      len(datagrams))
        error = StoreError(f"database write failing at close: {err}")
        _resolve([JobOutcome(job, error=error) for job in jobs])
        if others:
            log.error("store: %s tournament/day changes were not written: %s", others, err)

    def _spill_items(self, items: list[Received]) -> bool:
        """Append datagrams to today's spill file (a capture file); False if impossible."""
        with self._spill_lock:
            try:
                for item in items:
                    day = time.strftime("%Y-%m-%d", time.localtime(item.received_at))
                    path = self.spill_dir / f"spill-{day}.jsonl"
                    if self._spill is None or self._spill_path != path:
                        self._open_spill(path)
                    self._spill.write(format_capture_line(item.received_at, item.data) + "\n")
                    self._spilled += 1
                self._spill.flush()
            except OSError:
                log.exception("store: cannot spill datagrams to %s; keeping them in memory",
                              self._spill_path)
                return False
        return True

    def _open_spill(self, path: Path) -> None:
        if self._spill is not None:
            self._spill.close()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._spill = path.open("a", encoding="utf-8", newline="\n")
        self._spill_path = path
        log.error("store: more than %s datagrams wait to be written: new ones are appended "
                  "to %s (a capture file to re-import)", self.max_backlog, path)

    def _close_spill(self) -> None:
        with self._spill_lock:
            if self._spill is not None:
                self._spill.close()
                self._spill = None

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
