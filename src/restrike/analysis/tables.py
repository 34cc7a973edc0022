"""The plugin's tables in the station's database, and the queries over them.

Owned tables (`StoreAccess.migrate("analysis", STEPS)`): append steps, never edit one.
Every function takes a `sqlite3.Connection`, so the same code runs as a writer job of
the station (`ctx.store.call`), on a read-only reader, and in `restrike highlights`
against a database file. A tag's moment in the match recording is found at read time:
the recording session (the review's `recording_sessions`, output `recording`) running
at the tag's time, and the offset from its start — the same link the review gives
its events (`event_links.offset_in_recording`).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from restrike.analysis.rules import Drop, Tag
from restrike.protocol.state import side_name

__all__ = ["OWNER", "STEPS", "TAG_COLUMNS", "add_manual", "delete_manual", "iso", "list_tags",
           "write_changes"]

OWNER = "analysis"
STEPS = (
    "CREATE TABLE IF NOT EXISTS analysis_tags ("
    " id INTEGER PRIMARY KEY,"
    " event_id INTEGER,"          # events.id (NULL: a manual tag placed by time)
    " match_id INTEGER,"          # matches.id
    " kind TEXT NOT NULL,"
    " source TEXT NOT NULL,"      # auto | manual | analyzer
    " athlete INTEGER,"           # 1 blue, 2 red
    " round INTEGER,"
    " clock INTEGER,"             # seconds left on the round clock
    " score_before TEXT,"         # JSON [blue, red]
    " score_after TEXT,"
    " weight REAL NOT NULL,"
    " at REAL NOT NULL,"          # epoch seconds of the moment (the event's arrival)
    " note TEXT,"
    " created_at REAL NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS analysis_tags_auto ON analysis_tags (event_id, kind)"
    " WHERE source = 'auto'",
    "CREATE INDEX IF NOT EXISTS analysis_tags_match ON analysis_tags (match_id, at)",
    "CREATE INDEX IF NOT EXISTS analysis_tags_at ON analysis_tags (at)",
    "CREATE TABLE IF NOT EXISTS analysis_findings ("
    " id INTEGER PRIMARY KEY,"
    " path TEXT NOT NULL,"        # the analysed clip
    " analyzer TEXT NOT NULL,"
    " at_seconds REAL NOT NULL,"  # the finding's time inside the clip
    " score REAL NOT NULL,"
    " label TEXT NOT NULL,"
    " created_at REAL NOT NULL)",
)

TAG_COLUMNS = ("id", "event_id", "match", "kind", "source", "athlete", "round", "clock",
               "score_before", "score_after", "weight", "at", "note", "match_number", "day",
               "recording_path", "recording_started")

_SELECT = (
    "SELECT t.id, t.event_id, t.match_id, t.kind, t.source, t.athlete, t.round, t.clock,"
    " t.score_before, t.score_after, t.weight, t.at, t.note, m.number, d.date,"
    " r.path, r.started_at FROM analysis_tags t"
    " LEFT JOIN matches m ON m.id = t.match_id LEFT JOIN days d ON d.id = m.day_id"
    " LEFT JOIN recording_sessions r ON r.id = (SELECT s.id FROM recording_sessions s"
    "  WHERE s.output = 'recording' AND s.started_at <= t.at"
    "  AND (s.ended_at IS NULL OR s.ended_at >= t.at) ORDER BY s.started_at DESC LIMIT 1)")


def iso(at: float) -> str:
    """UTC with milliseconds, as the store shows times (``2026-05-02T10:14:03.207Z``)."""
    moment = datetime.fromtimestamp(at, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _pair(text: str | None) -> list[int] | None:
    return json.loads(text) if text else None


def _clock(seconds: int | None) -> str | None:
    return None if seconds is None else f"{seconds // 60}:{seconds % 60:02d}"


def tag_json(row: Sequence[Any]) -> dict[str, Any]:
    """A tag as the API, /ws/live and the console show it."""
    item = dict(zip(TAG_COLUMNS, row, strict=True))
    path, started = item.pop("recording_path"), item.pop("recording_started")
    item["recording"] = None if path is None or started is None else {
        "path": path, "offset": round(item["at"] - started, 3)}
    item["side"] = side_name(item["athlete"])
    item["clock"] = _clock(item["clock"])
    item["score_before"] = _pair(item["score_before"])
    item["score_after"] = _pair(item["score_after"])
    item["received_at"] = iso(item["at"])
    return item


def _by_ids(conn: sqlite3.Connection, ids: Iterable[int]) -> list[dict[str, Any]]:
    wanted = list(ids)
    if not wanted:
        return []
    marks = ",".join("?" * len(wanted))
    rows = conn.execute(f"{_SELECT} WHERE t.id IN ({marks}) ORDER BY t.at, t.event_id, t.id",
                        wanted).fetchall()
    return [tag_json(row) for row in rows]


def write_changes(conn: sqlite3.Connection, changes: Sequence[Tag | Drop]
                  ) -> tuple[list[dict[str, Any]], list[int]]:
    """Store the tagger's changes in order (a writer job); the new tags and dropped ids.

    An automatic tag already stored (a rebuild after a restart) is left as it is.
    """
    added: list[int] = []
    dropped: list[int] = []
    now = time.time()
    for change in changes:
        if isinstance(change, Drop):
            dropped += [row[0] for row in conn.execute(
                "DELETE FROM analysis_tags WHERE event_id = ? AND source = 'auto' "
                "RETURNING id", (change.event_id,))]
            continue
        row = conn.execute(
            "INSERT OR IGNORE INTO analysis_tags (event_id, match_id, kind, source, athlete,"
            " round, clock, score_before, score_after, weight, at, created_at)"
            " VALUES (?, ?, ?, 'auto', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (change.event_id, change.match, change.kind, change.athlete, change.round,
             change.clock, json.dumps(change.before) if change.before else None,
             json.dumps(change.after) if change.after else None, change.weight, change.at,
             now)).fetchone()
        if row is not None:
            added.append(row[0])
    dropped_set = set(dropped)
    return _by_ids(conn, [i for i in added if i not in dropped_set]), dropped


def list_tags(conn: sqlite3.Connection, *, match: int | None = None, day: str | None = None,
              kinds: Sequence[str] = (), source: str | None = None,
              match_number: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Tags oldest first, filtered by match id, match number, day (the match's), kinds."""
    where: list[str] = []
    params: list[Any] = []
    if match is not None:
        where.append("t.match_id = ?")
        params.append(match)
    if match_number is not None:
        where.append("m.number = ?")
        params.append(match_number)
    if day is not None:
        where.append("d.date = ?")
        params.append(day)
    if kinds:
        where.append(f"t.kind IN ({','.join('?' * len(kinds))})")
        params += list(kinds)
    if source is not None:
        where.append("t.source = ?")
        params.append(source)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(f"{_SELECT}{clause} ORDER BY t.at, t.event_id, t.id LIMIT ?",
                        (*params, limit)).fetchall()
    return [tag_json(row) for row in rows]


def add_manual(conn: sqlite3.Connection, *, kind: str, event_id: int | None, at: float | None,
               match: int | None, athlete: int | None, weight: float, note: str | None,
               source: str = "manual") -> dict[str, Any] | None:
    """A tag an operator (or an analyzer) places; None if ``event_id`` is no event."""
    if event_id is not None:
        found = conn.execute("SELECT received_at, match_id FROM events WHERE id = ?",
                             (event_id,)).fetchone()
        if found is None:
            return None
        at, match = found[0], found[1] if match is None else match
    elif match is None and at is not None:
        found = conn.execute("SELECT match_id FROM events WHERE received_at <= ? AND "
                             "match_id IS NOT NULL ORDER BY received_at DESC, id DESC LIMIT 1",
                             (at,)).fetchone()
        match = found[0] if found else None
    new = conn.execute(
        "INSERT INTO analysis_tags (event_id, match_id, kind, source, athlete, weight, at,"
        " note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (event_id, match, kind, source, athlete, weight, at, note, time.time())).fetchone()
    return _by_ids(conn, [new[0]])[0]


def delete_manual(conn: sqlite3.Connection, tag_id: int) -> str:
    """``deleted``, ``missing``, or ``auto`` (automatic tags follow the score: kept)."""
    row = conn.execute("SELECT source FROM analysis_tags WHERE id = ?", (tag_id,)).fetchone()
    if row is None:
        return "missing"
    if row[0] == "auto":
        return "auto"
    conn.execute("DELETE FROM analysis_tags WHERE id = ?", (tag_id,))
    return "deleted"
