"""The analytics' own tables in the station's SQLite file, and how they are read/written.

``analytics_match`` keeps each match's summary (`MatchFold.summary()`) and scoring
timeline as JSON with the last event folded; ``analytics_side`` one row per match and
side (athlete, finished, won, points) so an athlete's matches are found by index.
They are created by ``ctx.store.migrate("analytics", STEPS)`` and written only by
jobs on the store's writer thread (`save_job`); everything else here reads.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import tzinfo
from typing import Any

from restrike.analytics.fold import SUMMARY_VERSION, MatchFold
from restrike.analytics.model import AthleteRef, Event, MatchRef, unaccent
from restrike.protocol.stored_args import ArgsDecoder

__all__ = ["NAME_TEXT", "STEPS", "Folded", "fold_from", "match_events", "match_refs",
           "save_job", "stale_matches", "summaries"]

#: The owned tables, one statement a step; append steps, never edit one.
STEPS = (
    "CREATE TABLE analytics_match (match_id INTEGER PRIMARY KEY, version INTEGER NOT NULL, "
    "last_id INTEGER NOT NULL, finished INTEGER NOT NULL, summary TEXT NOT NULL, "
    "timeline TEXT NOT NULL, updated_at REAL NOT NULL)",
    "CREATE TABLE analytics_side (match_id INTEGER NOT NULL, side INTEGER NOT NULL, "
    "athlete_id INTEGER, finished INTEGER NOT NULL, won INTEGER NOT NULL, "
    "points_for INTEGER NOT NULL, points_against INTEGER NOT NULL, "
    "PRIMARY KEY (match_id, side))",
    "CREATE INDEX analytics_side_athlete ON analytics_side (athlete_id, match_id)",
    "CREATE TABLE analytics_day (day_id INTEGER PRIMARY KEY, signature TEXT NOT NULL, "
    "partial TEXT NOT NULL, updated_at REAL NOT NULL)",
    "CREATE TABLE analytics_name (athlete_id INTEGER PRIMARY KEY, folded TEXT NOT NULL)",
)

#: A match folded: its id, summary and timeline.
Folded = tuple[int, Mapping[str, Any], Sequence[Mapping[str, Any]]]

#: ``athletes`` columns the search looks in (``analytics_name.folded`` keeps them unaccented).
NAME_TEXT = "short_name || ' ' || long_name || ' ' || country"
REF_COLUMNS = (
    "m.id, m.number, m.match_id, m.phase, m.category, m.division, t.name, t.id, d.date, "
    "d.id, b.id, b.short_name, b.long_name, b.country, r.id, r.short_name, r.long_name, "
    "r.country")
REF_FROM = (
    "FROM matches m JOIN days d ON d.id = m.day_id JOIN tournaments t ON t.id = d.tournament_id "
    "LEFT JOIN athletes b ON b.id = m.blue_athlete_id "
    "LEFT JOIN athletes r ON r.id = m.red_athlete_id")
_UPSERT = (
    "INSERT INTO analytics_match (match_id, version, last_id, finished, summary, timeline, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (match_id) DO UPDATE SET "
    "version = excluded.version, last_id = excluded.last_id, finished = excluded.finished, "
    "summary = excluded.summary, timeline = excluded.timeline, "
    "updated_at = excluded.updated_at WHERE excluded.last_id >= analytics_match.last_id "
    "OR excluded.version != analytics_match.version")
_SIDES = (
    "INSERT OR REPLACE INTO analytics_side (match_id, side, athlete_id, finished, won, "
    "points_for, points_against) SELECT id, ?, CASE ? WHEN 1 THEN blue_athlete_id "
    "ELSE red_athlete_id END, ?, ?, ?, ? FROM matches WHERE id = ? AND (SELECT last_id "
    "FROM analytics_match WHERE match_id = ?) = ?")  # the summary just stored won


def _athlete(row: Sequence[Any], start: int) -> AthleteRef | None:
    if row[start] is None:
        return None
    return AthleteRef(row[start], row[start + 1], row[start + 2], row[start + 3])


def ref_of(row: Sequence[Any]) -> MatchRef:
    """A `MatchRef` from the first 18 columns of a ``REF_COLUMNS`` row."""
    return MatchRef(id=row[0], number=row[1], match_id=row[2], phase=row[3], category=row[4],
                    division=row[5], tournament=row[6], tournament_id=row[7], day=row[8],
                    day_id=row[9], blue=_athlete(row, 10), red=_athlete(row, 14))


def match_refs(conn: sqlite3.Connection, where: str, params: Sequence[Any]
               ) -> list[tuple[MatchRef, Mapping[str, Any] | None, bool]]:
    """Matches (``where`` on ``m``/``d``) with their stored summary and whether it is
    current (same version, every event of the match folded)."""
    rows = conn.execute(
        f"SELECT {REF_COLUMNS}, a.version, a.last_id, a.summary, "
        "(SELECT max(e.id) FROM events e WHERE e.match_id = m.id) "
        f"{REF_FROM} LEFT JOIN analytics_match a ON a.match_id = m.id WHERE {where} "
        "ORDER BY m.id", params).fetchall()
    out: list[tuple[MatchRef, Mapping[str, Any] | None, bool]] = []
    for row in rows:
        version, last_id, summary, newest = row[18:22]
        current = version == SUMMARY_VERSION and last_id == (newest or 0)
        out.append((ref_of(row), json.loads(summary) if current else None, current))
    return out


def summaries(conn: sqlite3.Connection,
              refs: Sequence[tuple[MatchRef, Mapping[str, Any] | None, bool]],
              tz: tzinfo | None = None) -> list[tuple[MatchRef, Mapping[str, Any]]]:
    """`match_refs` rows with a summary each: the stored one when current, else folded now."""
    return [(ref, summary if current and summary is not None
             else fold_from(conn, ref.id, tz).summary()) for ref, summary, current in refs]


#: Decoded ``args`` by their JSON text (shared, read-only mappings).
_args = ArgsDecoder()


def match_events(conn: sqlite3.Connection, match_id: int, after: int = 0) -> Iterator[Event]:
    """The match's stored events with ids above ``after``, oldest first."""
    cursor = conn.execute("SELECT id, received_at, kind, athlete, args, truncated FROM events "
                          "WHERE match_id = ? AND id > ? ORDER BY id", (match_id, after))
    for event_id, t, kind, athlete, args, truncated in cursor:
        yield Event(event_id, t, kind, athlete, _args(args), bool(truncated))


def fold_from(conn: sqlite3.Connection, match_id: int, tz: tzinfo | None = None,
              fold: MatchFold | None = None) -> MatchFold:
    """``fold`` (or a new one) fed the match's events it has not seen yet."""
    fold = fold or MatchFold(tz)
    return fold.feed_all(match_events(conn, match_id, fold.last_id))


def stale_matches(conn: sqlite3.Connection, limit: int) -> list[int]:
    """Ids of matches whose summary is missing, of another version or behind their events."""
    rows = conn.execute(
        "SELECT m.id FROM matches m LEFT JOIN analytics_match a ON a.match_id = m.id "
        "WHERE a.match_id IS NULL OR a.version != ? OR a.last_id < coalesce("
        "(SELECT max(e.id) FROM events e WHERE e.match_id = m.id), 0) ORDER BY m.id LIMIT ?",
        (SUMMARY_VERSION, limit)).fetchall()
    return [row[0] for row in rows]


def save_job(folded: Sequence[Folded]) -> Callable[[sqlite3.Connection], int]:
    """A writer job storing the summaries (a newer one already stored is kept)."""
    now = time.time()
    rows = []
    sides = []
    for match_id, summary, timeline in folded:
        winner = summary["winner"]
        rows.append((match_id, SUMMARY_VERSION, summary["last_id"], int(winner is not None),
                     json.dumps(summary, separators=(",", ":")),
                     json.dumps(timeline, separators=(",", ":")), now))
        for side in (1, 2):
            mine, theirs = summary["sides"][side]["score"], summary["sides"][3 - side]["score"]
            sides.append((side, side, int(winner is not None), int(winner == side), mine,
                          theirs, match_id, match_id, summary["last_id"]))

    def job(conn: sqlite3.Connection) -> int:
        conn.executemany(_UPSERT, rows)
        conn.executemany(_SIDES, sides)
        marks = ",".join("?" * len(rows))
        names = conn.execute(
            f"SELECT id, {NAME_TEXT} FROM athletes WHERE id IN (SELECT athlete_id FROM "
            f"analytics_side WHERE match_id IN ({marks}))",
            [r[0] for r in rows]).fetchall()
        conn.executemany("INSERT OR REPLACE INTO analytics_name (athlete_id, folded) "
                         "VALUES (?, ?)", [(i, unaccent(text)) for i, text in names])
        return len(rows)

    return job
