"""The writer's notion of "now": current tournament, day and match, kept in `settings`.

Only the writer thread calls these, inside its open transaction, so a batch and the
state it moved to commit (or roll back) together.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field, replace
from datetime import datetime

from restrike.store.derive import MatchView

__all__ = ["Current", "ensure_day", "load_current", "save_current", "set_day", "set_tournament"]

_KEYS = ("current.tournament", "current.day", "current.day_auto", "current.match")


@dataclass(frozen=True, slots=True)
class Current:
    tournament_id: int | None = None
    day_id: int | None = None
    day_auto: bool = True  # opened automatically: rolls over to a new day at midnight
    match_id: int | None = None
    view: MatchView = field(default_factory=MatchView)


def local_date(t: float) -> str:
    return datetime.fromtimestamp(t).date().isoformat()


def load_current(conn: sqlite3.Connection) -> Current:
    rows = dict(conn.execute(
        "SELECT key, value FROM settings WHERE key IN (?, ?, ?, ?)", _KEYS).fetchall())

    def num(key: str) -> int | None:
        value = rows.get(key)
        return int(value) if value not in (None, "") else None

    current = Current(num("current.tournament"), num("current.day"),
                      rows.get("current.day_auto", "1") == "1", num("current.match"))
    if current.match_id is not None:
        row = conn.execute("SELECT started_at, result FROM matches WHERE id = ?",
                           (current.match_id,)).fetchone()
        if row is None:
            return replace(current, match_id=None)
        result = json.loads(row[1] or "{}")
        view = MatchView(open=True, started=row[0] is not None,
                         result=tuple(result.items()) if isinstance(result, dict) else ())
        current = replace(current, view=view)
    return current


def save_current(conn: sqlite3.Connection, current: Current) -> None:
    values = (current.tournament_id, current.day_id, int(current.day_auto), current.match_id)
    conn.executemany(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [(key, "" if value is None else str(value)) for key, value in zip(_KEYS, values,
                                                                           strict=True)],
    )


def _tournament(conn: sqlite3.Connection, name: str, now: float) -> int:
    row = conn.execute("SELECT id FROM tournaments WHERE name = ?", (name,)).fetchone()
    if row is not None:
        return int(row[0])
    cursor = conn.execute("INSERT INTO tournaments (name, created_at) VALUES (?, ?)", (name, now))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _day(conn: sqlite3.Connection, tournament_id: int, day: str, name: str, now: float) -> int:
    row = conn.execute("SELECT id FROM days WHERE tournament_id = ? AND date = ?",
                       (tournament_id, day)).fetchone()
    if row is not None:
        if name:
            conn.execute("UPDATE days SET name = ? WHERE id = ?", (name, row[0]))
        return int(row[0])
    cursor = conn.execute(
        "INSERT INTO days (tournament_id, date, name, created_at) VALUES (?, ?, ?, ?)",
        (tournament_id, day, name, now))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def ensure_day(conn: sqlite3.Connection, current: Current, now: float) -> Current:
    """A day to put a new match in: opened automatically if none, rolled at midnight."""
    today = local_date(now)
    if current.day_id is not None:
        if not current.day_auto:
            return current
        row = conn.execute("SELECT date FROM days WHERE id = ?", (current.day_id,)).fetchone()
        if row is not None and row[0] == today:
            return current
    tournament_id = current.tournament_id
    if tournament_id is None:
        tournament_id = _tournament(conn, f"Tournament {today}", now)
    day_id = _day(conn, tournament_id, today, "", now)
    return replace(current, tournament_id=tournament_id, day_id=day_id, day_auto=True)


def set_tournament(conn: sqlite3.Connection, current: Current, name: str,
                   now: float | None = None) -> Current:
    now = time.time() if now is None else now
    tournament_id = _tournament(conn, name, now)
    day_id = _day(conn, tournament_id, local_date(now), "", now)
    return replace(current, tournament_id=tournament_id, day_id=day_id, day_auto=True)


def set_day(conn: sqlite3.Connection, current: Current, day: str, name: str = "",
            now: float | None = None) -> Current:
    now = time.time() if now is None else now
    tournament_id = current.tournament_id
    if tournament_id is None:
        tournament_id = _tournament(conn, f"Tournament {day}", now)
    day_id = _day(conn, tournament_id, day, name, now)
    return replace(current, tournament_id=tournament_id, day_id=day_id, day_auto=False)
