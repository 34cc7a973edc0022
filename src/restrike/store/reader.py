"""Read-only queries on their own connection; WAL lets them run while the writer writes.

Every result is plain JSON-ready data in the API's shape. A bad filter value raises
ValueError with a message fit for the user (the API answers 422); SQLite failures
become StoreError.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from restrike.errors import StoreError
from restrike.protocol.capture import format_capture_line
from restrike.store._connect import connect
from restrike.store._rows import day_bounds, event_dict, iso, parse_day, parse_since

__all__ = ["MAX_LIMIT", "Reader"]

MAX_LIMIT = 10_000
MAX_INTEGER = 2**63 - 1  # SQLite's largest INTEGER
T = TypeVar("T")
_KIND = re.compile(r"^[A-Za-z0-9_]{1,40}$")

_EVENT_COLUMNS = ("e.id, e.received_at, d.source, e.code, e.kind, e.athlete, e.args, e.raw, "
                  "e.error, e.match_id, e.truncated")
_MATCH_COLUMNS = (
    "m.id, m.number, m.match_id, m.phase, m.category, m.division, m.loaded_at, m.started_at, "
    "m.ended_at, m.winner, m.decision, m.result, d.date, d.name, t.name, "
    "b.id, b.short_name, b.long_name, b.country, r.id, r.short_name, r.long_name, r.country")
_MATCH_FROM = (
    "FROM matches m JOIN days d ON d.id = m.day_id JOIN tournaments t ON t.id = d.tournament_id "
    "LEFT JOIN athletes b ON b.id = m.blue_athlete_id "
    "LEFT JOIN athletes r ON r.id = m.red_athlete_id")


def _int_filter(name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, not {value!r}")
    if value > MAX_INTEGER:  # SQLite cannot bind it (OverflowError, not a sqlite3.Error)
        raise ValueError(f"{name} must be at most {MAX_INTEGER}, not {value}")
    return value


def _limit(value: object) -> int:
    limit = _int_filter("limit", value)
    if limit > MAX_LIMIT:
        raise ValueError(f"limit must be at most {MAX_LIMIT}, not {limit}")
    return limit


def _athlete(row: tuple[Any, ...], start: int) -> dict[str, Any] | None:
    if row[start] is None:
        return None
    return {"id": row[start], "short_name": row[start + 1], "long_name": row[start + 2],
            "country": row[start + 3]}


def _match_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "id": row[0], "number": row[1], "match_id": row[2], "phase": row[3],
        "category": row[4], "division": row[5], "loaded_at": iso(row[6]),
        "started_at": iso(row[7]), "ended_at": iso(row[8]), "winner": row[9],
        "decision": row[10], "result": json.loads(row[11] or "{}"), "day": row[12],
        "day_name": row[13], "tournament": row[14],
        "blue": _athlete(row, 15), "red": _athlete(row, 19),
    }


class Reader:
    """One read-only connection. Thread-safe (calls are serialised); close when done."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn = connect(self.path, read_only=True)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """`fn(connection)` on this read-only connection (serialised with the other calls).

        For queries of other parts' tables (the review archive); SQLite errors become
        StoreError. Writing is refused by SQLite: writes go through `Store.call`.
        """
        with self._lock:
            try:
                return fn(self._conn)
            except sqlite3.Error as err:
                raise StoreError(f"{self.path}: query failed: {err}") from err

    def query(self, sql: str, params: tuple[Any, ...] | list[Any] = ()
              ) -> list[tuple[Any, ...]]:
        """The rows of one query."""
        return self.call(lambda conn: conn.execute(sql, params).fetchall())

    # -- events ---------------------------------------------------------------------------

    def events(self, *, match: int | None = None, kind: str | None = None,
               since: str | None = None, limit: int = 100,
               before_id: int | None = None) -> list[dict[str, Any]]:
        """Events newest first. `since`: ISO 8601 (inclusive); `before_id`: page backwards."""
        where: list[str] = []
        params: list[Any] = []
        if match is not None:
            where.append("e.match_id = ?")
            params.append(_int_filter("match", match))
        if kind is not None:
            if not isinstance(kind, str) or not _KIND.match(kind):
                raise ValueError(f"kind must be a message kind such as 'point' or 'invalid', "
                                 f"not {kind!r}")
            where.append("e.kind = ?")
            params.append(kind)
        if since is not None:
            # Datagram ids grow with arrival time: the index on datagrams.received_at finds
            # the first one, and events are then walked by id (no index on events' times).
            t = parse_since(since)
            where.append("e.datagram_id >= (SELECT coalesce(min(id), 1 << 62) FROM datagrams "
                         "WHERE received_at >= ?) AND e.received_at >= ?")
            params += [t, t]
        if before_id is not None:
            where.append("e.id < ?")
            params.append(_int_filter("before_id", before_id))
        sql = f"SELECT {_EVENT_COLUMNS} FROM events e JOIN datagrams d ON d.id = e.datagram_id"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY e.id DESC LIMIT ?"
        params.append(_limit(limit))
        return [event_dict(row) for row in self.query(sql, params)]

    def events_between(self, first_id: int, last_id: int) -> list[dict[str, Any]]:
        """Events ``first_id``..``last_id`` oldest first: the rows of a commit made by
        another process (the receiver process stores the feed)."""
        rows = self.query(f"SELECT {_EVENT_COLUMNS} FROM events e JOIN datagrams d "
                          "ON d.id = e.datagram_id WHERE e.id BETWEEN ? AND ? ORDER BY e.id",
                          (first_id, last_id))
        return [event_dict(row) for row in rows]

    def datagrams_after(self, after_id: int, limit: int) -> list[tuple[int, int, float, str,
                                                                         bytes]]:
        """``(id, seq, received_at, source, data)`` of up to ``limit`` datagrams after
        ``after_id``, oldest first: what the station follows while the receiver process
        stores the feed."""
        return self.query("SELECT id, seq, received_at, source, data FROM datagrams "
                          "WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit))

    def last_datagram(self) -> tuple[int, int]:
        """``(id, seq)`` of the last stored datagram (0, 0 when there is none)."""
        row = self.query("SELECT id, seq FROM datagrams ORDER BY id DESC LIMIT 1")
        return (int(row[0][0]), int(row[0][1] or 0)) if row else (0, 0)

    # -- matches, days, tournaments --------------------------------------------------------

    def matches(self, *, day: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Matches newest first, optionally of one date (YYYY-MM-DD, any tournament)."""
        sql = f"SELECT {_MATCH_COLUMNS} {_MATCH_FROM}"
        params: list[Any] = []
        if day is not None:
            parse_day(day)
            sql += " WHERE d.date = ?"
            params.append(day)
        sql += " ORDER BY m.id DESC LIMIT ?"
        params.append(_limit(limit))
        return [_match_dict(row) for row in self.query(sql, params)]

    def match(self, id: int) -> dict[str, Any] | None:
        """One match with its events (oldest first), or None."""
        rows = self.query(f"SELECT {_MATCH_COLUMNS} {_MATCH_FROM} WHERE m.id = ?",
                         (_int_filter("id", id),))
        if not rows:
            return None
        out = _match_dict(rows[0])
        events = self.query(f"SELECT {_EVENT_COLUMNS} FROM events e JOIN datagrams d "
                           "ON d.id = e.datagram_id WHERE e.match_id = ? ORDER BY e.id", (id,))
        out["events"] = [event_dict(row) for row in events]
        return out

    def days(self) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT d.id, d.date, d.name, t.id, t.name, "
            "(SELECT count(*) FROM matches m WHERE m.day_id = d.id) "
            "FROM days d JOIN tournaments t ON t.id = d.tournament_id "
            "ORDER BY d.date DESC, d.id DESC")
        return [{"id": r[0], "date": r[1], "name": r[2], "tournament_id": r[3],
                 "tournament": r[4], "matches": r[5]} for r in rows]

    def tournaments(self) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT t.id, t.name, t.created_at, "
            "(SELECT count(*) FROM days d WHERE d.tournament_id = t.id) "
            "FROM tournaments t ORDER BY t.id DESC")
        return [{"id": r[0], "name": r[1], "created_at": iso(r[2]), "days": r[3]} for r in rows]

    def current(self) -> dict[str, Any]:
        """The writer's current tournament, day and match ids (None where none yet)."""
        values = dict(self.query("SELECT key, value FROM settings WHERE key LIKE 'current.%'"))

        def num(key: str) -> int | None:
            value = values.get(key)
            return int(value) if value else None

        return {"tournament": num("current.tournament"), "day": num("current.day"),
                "match": num("current.match")}

    def current_names(self) -> dict[str, Any]:
        """The current tournament (`{"id", "name"}`) and day (`{"id", "date", "name"}`),
        None where none is set yet (the first match opens them)."""
        ids = self.current()
        tournament = day = None
        if ids["tournament"] is not None:
            rows = self.query("SELECT id, name FROM tournaments WHERE id = ?",
                              (ids["tournament"],))
            tournament = {"id": rows[0][0], "name": rows[0][1]} if rows else None
        if ids["day"] is not None:
            rows = self.query("SELECT id, date, name FROM days WHERE id = ?", (ids["day"],))
            day = {"id": rows[0][0], "date": rows[0][1], "name": rows[0][2]} if rows else None
        return {"tournament": tournament, "day": day}

    # -- capture and live-state rebuild ------------------------------------------------------

    def export_capture(self, day: str) -> Iterator[str]:
        """Capture JSON Lines (no newline) of every datagram received on a local date."""
        start, end = day_bounds(parse_day(day))
        last = 0
        while True:  # pages, so a long day is not held in memory at once
            rows = self.query("SELECT id, received_at, data FROM datagrams WHERE received_at >= ? "
                             "AND received_at < ? AND id > ? ORDER BY id LIMIT 1000",
                             (start, end, last))
            if not rows:
                return
            for row in rows:
                yield format_capture_line(row[1], bytes(row[2]))
            last = rows[-1][0]

    def current_match_datagrams(self) -> Iterator[tuple[float, bytes]]:
        """(received_at, bytes) of every datagram from the last `pre` on, oldest first.

        Re-parsing them rebuilds the live state after a restart. Without any `pre`
        yet, the datagrams of the latest match, or else all of them.
        """
        first = self.query("SELECT datagram_id FROM events WHERE kind = 'match_loaded' "
                          "ORDER BY id DESC LIMIT 1")
        if not first:
            first = self.query("SELECT min(d.id) FROM datagrams d WHERE d.match_id = "
                              "(SELECT max(id) FROM matches)")
        last = (first[0][0] - 1) if first and first[0][0] is not None else 0
        while True:
            rows = self.query("SELECT id, received_at, data FROM datagrams WHERE id > ? "
                             "ORDER BY id LIMIT 1000", (last,))
            if not rows:
                return
            for row in rows:
                yield row[1], bytes(row[2])
            last = rows[-1][0]

    def counts(self) -> dict[str, int]:
        """Totals in the database (ids are never reused, so max(id) is the count)."""
        row = self.query(
            "SELECT (SELECT coalesce(max(id), 0) FROM datagrams), "
            "(SELECT coalesce(max(id), 0) FROM events), "
            "(SELECT count(*) FROM events WHERE kind = 'invalid'), "
            "(SELECT count(*) FROM events WHERE kind = 'unknown'), "
            "(SELECT count(*) FROM matches), (SELECT count(*) FROM athletes), "
            "(SELECT count(*) FROM days), (SELECT count(*) FROM tournaments)")[0]
        names = ("datagrams", "events", "invalid", "unknown", "matches", "athletes", "days",
                 "tournaments")
        return dict(zip(names, (int(v) for v in row), strict=True))
