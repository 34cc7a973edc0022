"""The station's side of a receiver process that stores the feed itself.

The child (`restrike.ingest._storing`) sends a ``committed`` note per commit; here a
note becomes what the station's own writer would have reported — the store's counts
and `EventsCommitted` on the bus (its rows read back from the file only if a
subscriber asks for them) — and wakes the pipeline's `StoreFollower`. The child's
database errors reach the store's health the same way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from restrike.ingest.follow import StoreFollower
from restrike.store.reader import Reader
from restrike.store.types import Committed

__all__ = ["ChildStore", "CommitReports", "committed_from"]

log = logging.getLogger(__name__)


class CommitReports(Protocol):
    """What the store component takes from a writer in another process."""

    path: Path

    def reader(self) -> Reader: ...

    def report_commit(self, batch: Committed) -> None: ...

    def report_failure(self, error: str | None) -> None: ...


def committed_from(note: dict[str, Any],
                   rows: Callable[[int, int], list[dict[str, Any]]]) -> Committed:
    """The `Committed` of a note; ``rows(first_id, last_id)`` reads its events."""
    ids = range(*note["events"]) if note.get("events") else range(0)

    def build() -> list[dict[str, Any]]:
        return rows(ids.start, ids.stop - 1) if ids else []

    return Committed(int(note["first_seq"]), int(note["last_seq"]), int(note["count"]),
                     float(note["at"]), ids, duration_ms=float(note.get("ms", 0.0)),
                     build=build, match_ids=frozenset(note.get("matches", ())))


class ChildStore:
    """`restrike.ingest.process.FeedStoring` for the station's store component."""

    def __init__(self, store: CommitReports, follower: StoreFollower,
                 schema_text: Callable[[], str]) -> None:
        self.store = store
        self.path = store.path
        self.follower = follower
        self._schema_text = schema_text
        self._reader: Reader | None = None
        self._lock = threading.Lock()  # one connection, read by whichever thread asks
        self._error: str | None = None

    def schema_text(self) -> str:
        return self._schema_text()

    def committed(self, note: dict[str, Any]) -> None:
        self.store.report_commit(committed_from(note, self._rows))
        self.follower.committed(int(note["last_seq"]))

    def failing(self, error: str | None) -> None:
        if error != self._error:
            self._error = error
            if error:
                log.error("UDP receiver process cannot store the feed (it holds it in its "
                          "spool file meanwhile): %s", error)
            else:
                log.warning("UDP receiver process stores the feed again")
            self.store.report_failure(error)

    def _rows(self, first_id: int, last_id: int) -> list[dict[str, Any]]:
        with self._lock:
            if self._reader is None:
                self._reader = self.store.reader()
            return self._reader.events_between(first_id, last_id)

    def close(self) -> None:
        with self._lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
