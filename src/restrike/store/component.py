"""The store as a station component: opened first, flushed and closed in the FLUSH stage.

It wraps `restrike.store.Store` for the station: commit callbacks become
`EventsCommitted` on the bus, health follows the writer's error, and `rebuild`
replays the current match for the ingest at start. It is the ingest's `StoreSink`.

A database that cannot be opened does not stop the station (degraded, not dead): the
store holds datagrams and keeps trying (``retry_open``), health is red with the reason,
and ``store`` stays None for readers (API, review archive) until the database opens.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from restrike.bus import EventsCommitted
from restrike.errors import StoreError
from restrike.kernel import Context, Health, Stage
from restrike.protocol import MatchState, Parsed, Schema, parse, reduce
from restrike.store.owned import apply_owned_steps
from restrike.store.reader import Reader
from restrike.store.types import Committed, Received, StoreStats
from restrike.store.writer import Store

__all__ = ["DB_FILE", "StoreComponent"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The database's file name in the data folder.
DB_FILE = "restrike.sqlite3"


class StoreComponent:
    """The SQLite store: opened first, flushed and closed in the FLUSH stage.

    It is also the station's `restrike.kernel.StoreAccess` (``ctx.store``): readers,
    writer jobs and owned tables for other parts and plugins, refused with StoreError
    while the database is not open.
    """

    name = "store"

    def __init__(self, path: Path, *, batch_rows: int, batch_ms: float,
                 tournament: str | None = None) -> None:
        self.path = path
        self.batch_rows = batch_rows
        self.batch_ms = batch_ms
        self.tournament = tournament
        self._store: Store | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._publish: Callable[[Committed], None] | None = None
        self.last_commit: float | None = None
        self.closed = False
        # Written by the receiver process (`restrike.ingest.child_store`).
        self._elsewhere = [0, 0]  # datagrams, events
        self._elsewhere_error: str | None = None

    @property
    def store(self) -> Store | None:
        """The open store; None before start, or while its database cannot be opened."""
        store = self._store
        return store if store is not None and store.is_open else None

    @store.setter
    def store(self, store: Store | None) -> None:
        self._store = store

    # -- StoreAccess (ctx.store) --

    @property
    def is_open(self) -> bool:
        return self.store is not None

    def _open(self) -> Store:
        store = self.store
        if store is None:
            reason = self._store.stats().error if self._store is not None else "not started"
            raise StoreError(f"the database {self.path} is not open: {reason}")
        return store

    def reader(self) -> Reader:
        """A new read-only connection (close it when done)."""
        return self._open().reader()

    def call(self, fn: Callable[[sqlite3.Connection], T]) -> concurrent.futures.Future[T]:
        """``fn(connection)`` on the writer thread (it sees the feed as committed so far:
        the receiver process may store it, docs/store.md "Two writers")."""
        return self._open().call(fn)

    def migrate(self, owner: str, steps: Sequence[str]) -> concurrent.futures.Future[int]:
        """Apply the owned-table steps of ``owner`` not applied yet (`restrike.store.owned`)."""
        return self.call(lambda conn: apply_owned_steps(conn, owner, steps))

    async def start(self, ctx: Context) -> None:
        store = Store(self.path, batch_rows=self.batch_rows, batch_ms=self.batch_ms,
                      retry_open=True)
        await asyncio.to_thread(store.start)
        self._store = store
        if not store.is_open:
            log.error("store: the station runs without its database until it can be opened "
                      "(%s): the live scoreboard, console and feed work; datagrams are held "
                      "and written once it opens; stored history, exports and the review "
                      "archive wait for it", store.stats().error)
        if self.tournament:
            await asyncio.to_thread(store.set_tournament, self.tournament)
        bus = ctx.bus

        def committed(batch: Committed) -> None:
            self.last_commit = batch.committed_at
            bus.publish_threadsafe(EventsCommitted(batch.last_seq, batch.count,
                                                   batch.committed_at, batch))

        self._publish = committed
        self._unsubscribe = store.subscribe_commits(committed)

    def report_commit(self, batch: Committed) -> None:
        """A commit of the receiver process, which stores the feed (its drainer thread):
        counted and published like one of the writer's own."""
        self._elsewhere[0] += batch.count
        self._elsewhere[1] += len(batch.event_ids)
        if self._publish is not None:
            self._publish(batch)

    def report_failure(self, error: str | None) -> None:
        """The receiver process cannot write the database (None: it can again)."""
        self._elsewhere_error = error

    def submit(self, seq: int, received_at: float, source: str, data: bytes,
               messages: Sequence[Parsed]) -> None:
        """Queue one datagram with its messages (never blocks, never drops)."""
        if self._store is None:
            raise RuntimeError("the store component has not started")
        self._store.submit(Received(seq, received_at, source, data, list(messages)))

    def backlog(self) -> int:
        """Datagrams waiting for a working database (`Store.writing_backlog`)."""
        store = self._store
        return store.writing_backlog if store is not None else 0

    def rebuild(self, schema: Schema) -> tuple[MatchState, int]:
        """The live state of the current match, replayed from stored datagrams (an empty
        scoreboard while the database cannot be opened)."""
        state = MatchState()
        count = 0
        store = self.store
        if store is None:
            return state, count
        with store.reader() as reader:
            for t, data in reader.current_match_datagrams():
                count += 1
                for msg in parse(data, schema):
                    try:
                        state = reduce(state, msg, t)
                    except Exception:
                        log.exception("reducer failed while rebuilding on %r", data[:80])
        return state, count

    def stats(self) -> StoreStats | None:
        """The writer's counters, with the receiver process's commits (None before the
        start)."""
        if self._store is None:
            return None
        stats = self._store.stats()
        datagrams, events = self._elsewhere
        error = stats.error or self._elsewhere_error
        if not (datagrams or error != stats.error):
            return stats
        return replace(stats, stored_datagrams=stats.stored_datagrams + datagrams,
                       stored_events=stats.stored_events + events, error=error)

    async def stop(self, stage: Stage) -> None:
        if stage is not Stage.FLUSH or self._store is None or self.closed:
            return
        if self._unsubscribe is not None:
            self._unsubscribe()
        await asyncio.to_thread(self._store.close)
        self.closed = True

    def health(self) -> Health:
        if self._store is None:
            return {"ok": False, "state": "not started"}
        if self.closed:
            return {"ok": True, "state": "closed"}
        stats = self.stats()
        assert stats is not None
        # errors counts every failed commit ever (one transient "busy" too); error is
        # set only while the database cannot be written, so it is what health follows.
        return {"ok": stats.error is None, "state": "running" if stats.error is None
                else "failing", "path": str(self.path),
                "queue_depth": stats.queue_depth, "errors": stats.errors,
                "error": stats.error, "spilled": stats.spilled,
                "spill_path": stats.spill_path, "last_commit": self.last_commit}
