"""The tagger's input: committed events read back from the store by cursor.

The tagger used to be handed every commit's rows in the API's shape (ISO times it then
parsed back, a dict per event) through a queue that grew while it lagged behind a
flood. It now keeps only a cursor (the last event id it tagged): a commit just wakes
it, and it reads what is new straight from the ``events`` table in chunks — epoch
times, each distinct args text decoded once — so a lag costs an integer, not memory,
and the tagger's share of the GIL while a flood drains shrinks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from restrike.analysis.rules import Event
from restrike.kernel import StoreReader
from restrike.protocol.stored_args import ArgsDecoder

__all__ = ["CHUNK", "EventCursor", "events_of"]

#: Events read per query while catching up.
CHUNK = 2_000
#: Minutes whose local date is kept (cleared when full).
_DAYS_KEPT = 4_096

_COLUMNS = "SELECT id, match_id, received_at, kind, athlete, args FROM events"


def events_of(rows: list[tuple[Any, ...]], args: ArgsDecoder,
              days: dict[int, str]) -> list[Event]:
    """Stored event rows as the tagger's events (pure: the caches are the caller's).

    ``days`` maps a minute (epoch // 60) to its local date: every UTC offset is a whole
    number of minutes, so a minute never straddles midnight."""
    out: list[Event] = []
    for event_id, match, at, kind, athlete, text in rows:
        minute = int(at) // 60
        day = days.get(minute)
        if day is None:
            if len(days) >= _DAYS_KEPT:
                days.clear()
            day = days[minute] = time.strftime("%Y-%m-%d", time.localtime(at))
        out.append(Event(event_id, match, at, kind, athlete, args(text), day))
    return out


class EventCursor:
    """Reads the events after ``last_id`` in order, one chunk at a time."""

    def __init__(self, reader: StoreReader, last_id: int) -> None:
        self.reader = reader
        self.last_id = last_id
        self._args = ArgsDecoder()
        self._days: dict[int, str] = {}

    @classmethod
    def at_current_match(cls, reader: StoreReader) -> tuple[EventCursor, list[Event]]:
        """A cursor at the newest stored event, and the current match's events so far
        (what the tagger folds in at start), read in one transaction."""
        def read(conn: Any) -> tuple[int, list[tuple[Any, ...]]]:
            conn.execute("BEGIN")
            try:
                newest = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
                found = conn.execute(
                    "SELECT value FROM settings WHERE key = 'current.match'").fetchone()
                rows: list[tuple[Any, ...]] = []
                if found and found[0]:
                    rows = conn.execute(f"{_COLUMNS} WHERE match_id = ? AND id <= ? "
                                        "ORDER BY id", (int(found[0]), newest)).fetchall()
            finally:
                conn.execute("COMMIT")
            return int(newest), rows

        newest, rows = reader.call(read)
        cursor = cls(reader, newest)
        return cursor, events_of(rows, cursor._args, cursor._days)

    def chunks(self) -> Iterator[list[Event]]:
        """Every event stored after the cursor, a chunk at a time (the cursor moves as
        each chunk is handed out)."""
        while True:
            rows = self.reader.query(f"{_COLUMNS} WHERE id > ? ORDER BY id LIMIT ?",
                                     (self.last_id, CHUNK))
            if not rows:
                return
            self.last_id = int(rows[-1][0])
            yield events_of(rows, self._args, self._days)
            if len(rows) < CHUNK:
                return
