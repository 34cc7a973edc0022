"""The store's single writer: one thread, fed by a queue that never drops.

`submit` only appends to an unbounded deque (the receiver must never block); the
writer thread takes what is there, up to `batch_rows` datagrams or `batch_ms` of
work, and commits it in one `BEGIN IMMEDIATE` transaction with `executemany`. A quiet
feed is committed at once (no waiting to fill a batch); a flood is committed in
batches. The backlog is reported in `stats()` and logged when it grows.

Durability: WAL with `synchronous=NORMAL`. A commit is in the WAL file (the OS's page
cache) when COMMIT returns, so killing the process (even `kill -9`) loses nothing
committed; only a power cut or OS crash can lose the last commits before the next
checkpoint. That trade buys commits without an fsync each (see docs/store.md).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from restrike.errors import StoreError
from restrike.protocol import Message
from restrike.store import _current as cur
from restrike.store._connect import connect
from restrike.store._migrate import apply_migrations
from restrike.store._rows import iso, parse_day
from restrike.store.derive import (
    RELEVANT,
    Action,
    OpenMatch,
    SetAthlete,
    SetInfo,
    SetResult,
    Start,
    step,
)
from restrike.store.reader import Reader
from restrike.store.types import Committed, Received, StoreStats

__all__ = ["Store"]

log = logging.getLogger(__name__)

CommitCallback = Callable[[Committed], None]

_INSERT_DATAGRAM = ("INSERT INTO datagrams (id, received_at, source, data, match_id, seq) "
                    "VALUES (?, ?, ?, ?, ?, ?)")
_INSERT_EVENT = ("INSERT INTO events (id, datagram_id, match_id, seq, received_at, code, kind, "
                 "athlete, args, raw, error, truncated) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_BACKLOG_STEPS = (1_000, 10_000, 100_000, 1_000_000)


@dataclass(frozen=True, slots=True)
class _SetTournament:
    name: str
    at: float


@dataclass(frozen=True, slots=True)
class _SetDay:
    day: str
    name: str
    at: float


_Item = Received | _SetTournament | _SetDay


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
        self._queue: deque[_Item] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._subscribers: list[CommitCallback] = []
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
        self._command(_SetTournament(name, time.time()))

    def set_day(self, day: str, name: str = "") -> None:
        """Make `day` (YYYY-MM-DD) the current day of the current tournament."""
        parse_day(day)
        self._command(_SetDay(day, name.strip(), time.time()))

    def _command(self, item: _SetTournament | _SetDay) -> None:
        if self._stopping:
            raise StoreError("the store is closing")
        self._queue.append(item)
        self._wake.set()

    def subscribe_commits(self, cb: CommitCallback) -> Callable[[], None]:
        """Call `cb(Committed)` on the writer thread after each commit; returns unsubscribe."""
        self._subscribers = [*self._subscribers, cb]

        def unsubscribe() -> None:
            self._subscribers = [s for s in self._subscribers if s is not cb]

        return unsubscribe

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
        batch: list[_Item] = []
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

    def _commit_singly(self, batch: list[_Item]) -> None:
        for item in batch:
            try:
                self._commit([item])
            except Exception:
                self._errors += 1
                log.exception("store: could not write %r", item)

    def _commit(self, batch: list[_Item], *, fill: bool = False) -> None:
        """Write `batch` in one transaction; with `fill`, first take items off the queue
        into it while there are some, up to `batch_rows` items or `batch_ms` of work."""
        conn = self._conn
        want_rows = bool(self._subscribers)
        started = time.perf_counter()
        before = self._current
        conn.execute("BEGIN IMMEDIATE")
        try:
            builder = _Batch(conn, self._current, want_rows)
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
            self._notify(builder)

    def _notify(self, builder: _Batch) -> None:
        subscribers = self._subscribers
        if not subscribers:
            return
        events = builder.events
        ids = range(events[0][0], events[-1][0] + 1) if events else range(0)
        committed = Committed(first_seq=builder.seqs[0], last_seq=builder.seqs[-1],
                              count=len(builder.datagrams), committed_at=time.time(),
                              event_ids=ids, rows=builder.rows)
        for cb in subscribers:
            try:
                cb(committed)
            except Exception:
                log.exception("store: commit subscriber %r failed", cb)


class _Batch:
    """Rows of one transaction; match rows are written as the messages call for them."""

    def __init__(self, conn: sqlite3.Connection, current: cur.Current, want_rows: bool) -> None:
        self.conn = conn
        self.current = current
        self.want_rows = want_rows
        self.datagrams: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.rows: list[dict[str, Any]] = []
        self.seqs: list[int] = []
        self.changed = False
        self.next_datagram = _next_id(conn, "datagrams")
        self.next_event = _next_id(conn, "events")

    def add(self, item: _Item) -> None:
        if isinstance(item, Received):
            self._datagram(item)
        elif isinstance(item, _SetTournament):
            self.current = cur.set_tournament(self.conn, self.current, item.name, item.at)
            self.changed = True
        else:
            self.current = cur.set_day(self.conn, self.current, item.day, item.name, item.at)
            self.changed = True

    def _datagram(self, item: Received) -> None:
        datagram_id = self.next_datagram
        self.next_datagram += 1
        t = item.received_at
        events = self.events
        want_rows = self.want_rows
        stamp = iso(t) if want_rows else None
        for index, msg in enumerate(item.messages):
            if msg.code in RELEVANT:
                view, actions = step(self.current.view, msg, t)
                if actions:
                    self._apply(actions, t)
                if view is not self.current.view:
                    self.current = replace(self.current, view=view)
            match_id = self.current.match_id
            if isinstance(msg, Message):
                args = _args_json(msg)
                error = None
                truncated = 1 if msg.truncated else 0
            else:
                args = "{}"
                error = msg.reason
                truncated = 0
            event_id = self.next_event
            self.next_event += 1
            events.append((event_id, datagram_id, match_id, index, t, msg.code, msg.kind,
                           msg.athlete, args, msg.raw, error, truncated))
            if want_rows:
                row: dict[str, Any] = {
                    "id": event_id, "received_at": stamp, "source": item.source,
                    "code": msg.code, "kind": msg.kind, "athlete": msg.athlete,
                    "args": dict(msg.fields) if isinstance(msg, Message) else {},
                    "raw": msg.raw, "error": error, "match": match_id,
                }
                if truncated:
                    row["truncated"] = True
                self.rows.append(row)
        self.datagrams.append((datagram_id, t, item.source, item.data, self.current.match_id,
                               item.seq))
        self.seqs.append(item.seq)

    def _apply(self, actions: list[Action], t: float) -> None:
        conn = self.conn
        self.changed = True
        for action in actions:
            if isinstance(action, OpenMatch):
                self.current = cur.ensure_day(conn, self.current, t)
                cursor = conn.execute("INSERT INTO matches (day_id, loaded_at) VALUES (?, ?)",
                                      (self.current.day_id, action.at))
                self.current = replace(self.current, match_id=cursor.lastrowid)
                continue
            match_id = self.current.match_id
            if match_id is None:
                continue
            if isinstance(action, SetInfo):
                f = action.fields
                conn.execute(
                    "UPDATE matches SET number = coalesce(?, number), "
                    "match_id = coalesce(?, match_id), phase = coalesce(?, phase), "
                    "category = coalesce(?, category), division = coalesce(?, division) "
                    "WHERE id = ?",
                    (f["number"], f["match_id"], f["phase"], f["category"], f["division"],
                     match_id))
            elif isinstance(action, SetAthlete):
                if not (action.long_name or action.short_name):
                    continue
                athlete_id = conn.execute(
                    "INSERT INTO athletes (short_name, long_name, country) VALUES (?, ?, ?) "
                    "ON CONFLICT (long_name, country) DO UPDATE SET "
                    "short_name = excluded.short_name RETURNING id",
                    (action.short_name, action.long_name or action.short_name, action.country),
                ).fetchone()[0]
                column = "blue_athlete_id" if action.slot == 1 else "red_athlete_id"
                conn.execute(f"UPDATE matches SET {column} = ? WHERE id = ?",
                             (athlete_id, match_id))
            elif isinstance(action, Start):
                conn.execute("UPDATE matches SET started_at = ? WHERE id = ? "
                             "AND started_at IS NULL", (action.at, match_id))
            elif isinstance(action, SetResult):
                sets = ["result = ?"]
                values: list[Any] = [json.dumps(action.result, ensure_ascii=False)]
                for column in action.columns:
                    sets.append(f"{column} = ?")
                    values.append(getattr(action, column))
                conn.execute(f"UPDATE matches SET {', '.join(sets)} WHERE id = ?",
                             (*values, match_id))

    def flush(self) -> None:
        conn = self.conn
        if self.datagrams:
            conn.executemany(_INSERT_DATAGRAM, self.datagrams)
        if self.events:
            conn.executemany(_INSERT_EVENT, self.events)
        if self.changed:
            cur.save_current(conn, self.current)


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_ARGS_CACHE: dict[tuple[str, str], str] = {}


def _args_json(msg: Message) -> str:
    """The fields as JSON; the same text always parses to the same fields (clock ticks,
    score groups repeat all day), so the JSON is cached by (code, raw)."""
    if msg.truncated:
        return _encode(msg.fields)
    key = (msg.code, msg.raw)
    text = _ARGS_CACHE.get(key)
    if text is None:
        if len(_ARGS_CACHE) >= 4096:
            _ARGS_CACHE.clear()
        text = _ARGS_CACHE[key] = _encode(msg.fields)
    return text


def _next_id(conn: sqlite3.Connection, table: str) -> int:
    row = conn.execute(f"SELECT max(id) FROM {table}").fetchone()
    return (int(row[0]) if row[0] is not None else 0) + 1
