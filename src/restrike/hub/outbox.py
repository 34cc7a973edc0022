"""What the hub link sends next, read from the station's SQLite on a read-only connection.

The feed's rows (datagrams and their events) never change once committed and their
ids grow in commit order, so one number is the cursor: the newest datagram id the
hub holds. The rows a datagram's messages change (its match, the match's athletes,
day and tournament) are sent with it, as they are when read — so the last upload of
a match carries its final state. Clips change until they are decided: those from
the oldest undecided one on are sent again until they are.

The link's own state (this database's station id, the cursor, where clips resume)
lives in the owned table ``hub_link`` (``STEPS``, applied by ``ctx.store.migrate``).
"""

from __future__ import annotations

import base64
import sqlite3
import uuid
from dataclasses import dataclass, field
from typing import Any

__all__ = ["STEPS", "Batch", "lag", "load_state", "read_batch", "save_state"]

#: The owned table of the link (ctx.store.migrate("hub", STEPS)); append, never edit.
STEPS = (
    "CREATE TABLE hub_link (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)

_DATAGRAMS = ("SELECT id, received_at, source, data, match_id, seq FROM datagrams "
              "WHERE id > ? ORDER BY id LIMIT ?")
# Events follow their datagrams in id order: read on from the event cursor (the primary
# key) and stop at the first event of a later datagram (datagram_id has no index).
_EVENTS = ("SELECT id, datagram_id, match_id, seq, received_at, code, kind, athlete, args, "
           "raw, error, truncated FROM events WHERE id > ? ORDER BY id")
_MATCH_COLUMNS = ("id, day_id, number, match_id, phase, category, division, "
                  "blue_athlete_id, red_athlete_id, loaded_at, started_at, ended_at, winner, "
                  "decision, result")
_CLIPS = ("SELECT id, run, review, day, match, requested_by, source, athlete, requested_at, "
          "path, decision, decided_by, decided_at, error FROM clips WHERE id >= ? "
          "ORDER BY id LIMIT 1000")


@dataclass(slots=True)
class Batch:
    """One upload's rows (the wire's arrays) and where the cursors go once it is held."""

    last_id: int  # the newest datagram id in it (the cursor after it), or the old cursor
    last_event: int  # the newest event id in it, or the old event cursor
    clips_from: int  # where clips start next time
    datagrams: list[list[Any]] = field(default_factory=list)
    events: list[list[Any]] = field(default_factory=list)
    tournaments: list[list[Any]] = field(default_factory=list)
    days: list[list[Any]] = field(default_factory=list)
    athletes: list[list[Any]] = field(default_factory=list)
    matches: list[list[Any]] = field(default_factory=list)
    clips: list[list[Any]] = field(default_factory=list)
    oldest_at: float | None = None  # received_at of its first datagram
    full: bool = False  # as many datagrams as asked for: more may be waiting

    @property
    def rows(self) -> int:
        return len(self.datagrams) + len(self.events)

    def body(self) -> dict[str, Any]:
        """The tables as the upload's fields."""
        return {"datagrams": self.datagrams, "events": self.events,
                "tournaments": self.tournaments, "days": self.days,
                "athletes": self.athletes, "matches": self.matches, "clips": self.clips}


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (name,)).fetchone() is not None


def read_batch(conn: sqlite3.Connection, after: int, event_after: int, clips_from: int,
               limit: int) -> Batch:
    """The next ``limit`` datagrams after id ``after`` (and their events, after event id
    ``event_after``) with everything they refer to."""
    datagrams = conn.execute(_DATAGRAMS, (after, limit)).fetchall()
    last = datagrams[-1][0] if datagrams else after
    batch = Batch(last_id=last, last_event=event_after, clips_from=clips_from,
                  oldest_at=datagrams[0][1] if datagrams else None,
                  full=len(datagrams) >= limit)
    batch.datagrams = [[d[0], d[1], d[2], base64.b64encode(d[3]).decode("ascii"), d[4], d[5]]
                       for d in datagrams]
    if datagrams:
        for e in conn.execute(_EVENTS, (event_after,)):
            if e[1] > last:
                break
            batch.events.append([*e[:11], bool(e[11])])
        if batch.events:
            batch.last_event = batch.events[-1][0]
    match_ids = sorted({d[4] for d in datagrams if d[4] is not None})
    if match_ids:
        _add_matches(conn, batch, match_ids)
    if _has_table(conn, "clips"):
        clips = conn.execute(_CLIPS, (clips_from,)).fetchall()
        batch.clips = [list(c) for c in clips]
        open_ids = [c[0] for c in clips if c[10] is None]
        batch.clips_from = open_ids[0] if open_ids else (clips[-1][0] + 1 if clips
                                                         else clips_from)
    return batch


def _add_matches(conn: sqlite3.Connection, batch: Batch, match_ids: list[int]) -> None:
    marks = ",".join("?" * len(match_ids))
    matches = conn.execute(f"SELECT {_MATCH_COLUMNS} FROM matches WHERE id IN ({marks})",
                           match_ids).fetchall()
    batch.matches = [list(m) for m in matches]
    athletes = sorted({a for m in matches for a in (m[7], m[8]) if a is not None})
    if athletes:
        marks = ",".join("?" * len(athletes))
        batch.athletes = [list(a) for a in conn.execute(
            "SELECT id, short_name, long_name, country FROM athletes "
            f"WHERE id IN ({marks})", athletes)]
    day_ids = sorted({m[1] for m in matches})
    if day_ids:
        marks = ",".join("?" * len(day_ids))
        batch.days = [list(d) for d in conn.execute(
            f"SELECT id, tournament_id, date, name FROM days WHERE id IN ({marks})", day_ids)]
        tournaments = sorted({d[1] for d in batch.days})
        marks = ",".join("?" * len(tournaments))
        batch.tournaments = [list(t) for t in conn.execute(
            f"SELECT id, name, created_at FROM tournaments WHERE id IN ({marks})",
            tournaments)]


def lag(conn: sqlite3.Connection, after: int, now: float) -> tuple[int, float]:
    """(datagrams stored but not held by the hub, seconds the oldest of them has waited)."""
    count, oldest = conn.execute("SELECT count(*), min(received_at) FROM datagrams "
                                 "WHERE id > ?", (after,)).fetchone()
    return int(count), max(0.0, now - oldest) if oldest is not None else 0.0


def load_state(conn: sqlite3.Connection) -> dict[str, str]:
    """The link's state; makes this database's station id the first time (writer job)."""
    state = dict(conn.execute("SELECT key, value FROM hub_link").fetchall())
    if "station" not in state:
        state["station"] = uuid.uuid4().hex
        conn.execute("INSERT INTO hub_link (key, value) VALUES ('station', ?)",
                     (state["station"],))
    return state


def save_state(conn: sqlite3.Connection, cursor: int, clips_from: int) -> None:
    """Remember where the hub is (writer job): after a restart the link starts there."""
    conn.executemany("INSERT INTO hub_link (key, value) VALUES (?, ?) ON CONFLICT(key) "
                     "DO UPDATE SET value = excluded.value",
                     [("cursor", str(cursor)), ("clips_from", str(clips_from))])
