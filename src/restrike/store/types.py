"""Values that cross the store's boundary: what goes in, what a commit reports."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from restrike.protocol import MatchState, Parsed, Schema

if TYPE_CHECKING:
    from restrike.store.reader import Reader

__all__ = ["Committed", "Received", "StoreSink", "StoreStats"]


@dataclass(frozen=True, slots=True)
class Received:
    """One datagram as the receiver got it, with its parsed messages."""

    seq: int  # the station's receive counter
    received_at: float  # epoch seconds
    source: str  # "ip:port" of the sender
    data: bytes  # exactly as received
    messages: list[Parsed] = field(default_factory=list)


class Committed:
    """One committed batch, reported on the writer thread right after COMMIT.

    `rows` are the batch's events in the API shape (as `Reader.events` returns them,
    oldest first). They are built on first access (then kept), by whichever thread
    reads them, so a batch nobody looks at costs the writer nothing; a second thread
    asking meanwhile waits for that list (a lock) instead of building its own.
    """

    __slots__ = ("_build", "_lock", "_rows", "committed_at", "count", "duration_ms",
                 "event_ids", "first_seq", "last_seq", "match_ids")

    def __init__(self, first_seq: int, last_seq: int, count: int, committed_at: float,
                 event_ids: range, rows: list[dict[str, Any]] | None = None,
                 duration_ms: float = 0.0, *,
                 build: Callable[[], list[dict[str, Any]]] | None = None,
                 match_ids: frozenset[int] = frozenset()) -> None:
        self.first_seq = first_seq
        self.last_seq = last_seq
        self.count = count  # datagrams in the batch
        self.committed_at = committed_at  # epoch seconds
        self.event_ids = event_ids  # ids of the events written (empty range if none)
        self.duration_ms = duration_ms  # BEGIN to COMMIT of this batch
        self._rows = rows
        self._build = build
        # The matches of its events, known without building the rows (an analytics
        # update needs only these).
        self.match_ids = match_ids
        self._lock = threading.Lock()

    @property
    def rows(self) -> list[dict[str, Any]]:
        rows = self._rows
        if rows is None:
            with self._lock:
                if self._rows is None:
                    self._rows = self._build() if self._build is not None else []
                    self._build = None
                rows = self._rows
        return rows

    def __repr__(self) -> str:
        return (f"Committed(first_seq={self.first_seq}, last_seq={self.last_seq}, "
                f"count={self.count}, event_ids={self.event_ids!r}, "
                f"duration_ms={self.duration_ms:.3f})")


@dataclass(frozen=True, slots=True)
class StoreStats:
    submitted: int
    stored_datagrams: int
    stored_events: int
    queue_depth: int
    max_queue_depth: int
    batches: int
    last_commit_ms: float  # time the last batch took, BEGIN to COMMIT
    errors: int
    error: str | None = None  # set while the database cannot be written (unhealthy)
    spilled: int = 0  # datagrams appended to the spill file (over max_backlog)
    spill_path: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class StoreSink(Protocol):
    """What the ingest needs of the store (`restrike.store.component.StoreComponent`):
    every datagram handed over before anything that could fail, its backlog while the
    database is written normally (the ingest waits on it), and the current match
    replayed at start. When the receiver process stores the feed itself, its file,
    readers, and a place to report its commits and failures."""

    path: Path

    @property
    def is_open(self) -> bool: ...

    def reader(self) -> Reader: ...

    def report_commit(self, batch: Committed) -> None: ...

    def report_failure(self, error: str | None) -> None: ...

    def submit(self, seq: int, received_at: float, source: str, data: bytes,
               messages: Sequence[Parsed]) -> None: ...

    def backlog(self) -> int: ...

    def rebuild(self, schema: Schema) -> tuple[MatchState, int]: ...
