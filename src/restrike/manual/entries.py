"""The manual entries' table and the writer jobs over it (docs/manual-scoring.md).

Owned table (`StoreAccess.migrate("manual", STEPS)`): append steps, never edit one.
Every job takes the writer's `sqlite3.Connection` (`ctx.store.call`), so it runs in
order with the court feed and sees every datagram submitted before it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from restrike.errors import NothingToUndoError
from restrike.manual.translate import Entry
from restrike.protocol import MatchState, Schema, parse, reduce

__all__ = ["HOST", "OWNER", "STEPS", "current_match", "has_undone", "list_entries", "record",
           "set_seq", "source_of", "state_without_undone", "undo_last", "undone_sources"]

log = logging.getLogger(__name__)

OWNER = "manual"
#: The source host of a manual datagram: its source is ``manual:<entry id>``.
HOST = "manual"
STEPS = (
    "CREATE TABLE IF NOT EXISTS manual_entries ("
    " id INTEGER PRIMARY KEY,"
    " at REAL NOT NULL,"           # when the operator entered it (epoch s)
    " match_id INTEGER,"           # matches.id current then (NULL: no match yet)
    " action TEXT NOT NULL,"
    " entry TEXT NOT NULL,"        # JSON: the entry as asked
    " raw TEXT NOT NULL,"          # the datagram's text
    " forced INTEGER NOT NULL,"    # entered while the feed was live
    " row_before TEXT,"            # JSON: the match row's result columns before it
    " seq INTEGER,"                # the station's receive counter of its datagram
    " undone_at REAL)",
    "CREATE INDEX IF NOT EXISTS manual_entries_match ON manual_entries (match_id, id)",
)
#: The match row's columns an entry may change (win, wmh, the first clock start).
_ROW = ("started_at", "ended_at", "winner", "decision", "result")
LIST_LIMIT = 100


def source_of(entry_id: int) -> str:
    return f"{HOST}:{entry_id}"


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def current_match(conn: sqlite3.Connection) -> int | None:
    row = conn.execute("SELECT value FROM settings WHERE key = 'current.match'").fetchone()
    return int(row[0]) if row and row[0] else None


def record(conn: sqlite3.Connection, entry: Entry, raw: str, at: float, forced: bool
           ) -> int:
    """Keep the entry (before its datagram: the job runs first), with the match row's
    result columns as they are, for an undo."""
    match = current_match(conn)
    before = None
    if match is not None:
        row = conn.execute(f"SELECT {', '.join(_ROW)} FROM matches WHERE id = ?",
                           (match,)).fetchone()
        before = json.dumps(dict(zip(_ROW, row, strict=True))) if row else None
    found = conn.execute(
        "INSERT INTO manual_entries (at, match_id, action, entry, raw, forced, row_before)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (at, match, entry.action, json.dumps(asdict(entry)), raw, int(forced), before),
    ).fetchone()
    return int(found[0])


def set_seq(conn: sqlite3.Connection, entry_id: int, seq: int) -> None:
    conn.execute("UPDATE manual_entries SET seq = ? WHERE id = ?", (seq, entry_id))


def _as_json(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    entry_id, at, match, raw, forced, seq, undone_at, entry = row
    return {"id": entry_id, "at": _iso(at), **json.loads(entry), "raw": raw, "seq": seq,
            "match": match, "forced": bool(forced), "undone_at": _iso(undone_at)}


_COLUMNS = "id, at, match_id, raw, forced, seq, undone_at, entry"


def list_entries(conn: sqlite3.Connection, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """The current match's entries, newest first."""
    match = current_match(conn)
    rows = conn.execute(f"SELECT {_COLUMNS} FROM manual_entries WHERE match_id IS ? "
                        "ORDER BY id DESC LIMIT ?", (match, limit)).fetchall()
    return [_as_json(r) for r in rows]


def undo_last(conn: sqlite3.Connection, at: float) -> dict[str, Any]:
    """Mark the current match's latest entry not yet undone as undone and put the
    match row's result columns it changed back; `ManualError` when there is none."""
    match = current_match(conn)
    row = conn.execute(f"SELECT {_COLUMNS}, row_before FROM manual_entries "
                       "WHERE match_id IS ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
                       (match,)).fetchone()
    if row is None:
        raise NothingToUndoError("no manual entry of this match to undo")
    conn.execute("UPDATE manual_entries SET undone_at = ? WHERE id = ?", (at, row[0]))
    before = json.loads(row[-1]) if row[-1] else None
    if before is not None and match is not None:
        now = conn.execute(f"SELECT {', '.join(_ROW)} FROM matches WHERE id = ?",
                           (match,)).fetchone()
        changed = [c for c, v in zip(_ROW, now or (), strict=False) if before.get(c) != v]
        if changed:
            conn.execute(f"UPDATE matches SET {', '.join(f'{c} = ?' for c in changed)} "
                         "WHERE id = ?", (*[before[c] for c in changed], match))
    return _as_json(row[:-1]) | {"undone_at": _iso(at)}


def undone_sources(conn: sqlite3.Connection) -> set[str]:
    return {source_of(r[0]) for r in conn.execute(
        "SELECT id FROM manual_entries WHERE undone_at IS NOT NULL")}


def _current_match_datagrams(conn: sqlite3.Connection
                             ) -> Iterator[tuple[float, str, bytes]]:
    """From the last `pre` on, as the ingest rebuilds at start (`Reader.
    current_match_datagrams`), with each datagram's source."""
    first = conn.execute("SELECT datagram_id FROM events WHERE kind = 'match_loaded' "
                         "ORDER BY id DESC LIMIT 1").fetchone()
    if first is None:
        first = conn.execute("SELECT min(d.id) FROM datagrams d WHERE d.match_id = "
                             "(SELECT max(id) FROM matches)").fetchone()
    last = (first[0] - 1) if first is not None and first[0] is not None else 0
    while True:
        rows = conn.execute("SELECT id, received_at, source, data FROM datagrams "
                            "WHERE id > ? ORDER BY id LIMIT 1000", (last,)).fetchall()
        if not rows:
            return
        for _, received_at, source, data in rows:
            yield received_at, source, bytes(data)
        last = rows[-1][0]


def state_without_undone(conn: sqlite3.Connection, schema: Schema) -> MatchState:
    """The current match folded from its stored datagrams, the undone entries left out:
    the state as if they had never been made."""
    skip = undone_sources(conn)
    state = MatchState()
    for received_at, source, data in _current_match_datagrams(conn):
        if source in skip:
            continue
        for msg in parse(data, schema):
            try:
                state = reduce(state, msg, received_at)
            except Exception:  # the reducer is total; a guard against a bug
                log.exception("reducer failed while folding %r", data[:80])
    return state


def has_undone(conn: sqlite3.Connection) -> bool:
    """Whether the current match has undone entries (the state at start needs them
    left out)."""
    match = current_match(conn)
    return conn.execute("SELECT 1 FROM manual_entries WHERE match_id IS ? AND "
                        "undone_at IS NOT NULL LIMIT 1", (match,)).fetchone() is not None
