"""The analytics' read side on a read-only SQLite connection: each function is one
endpoint's body (or None for an unknown id), run with ``reader.call(fn)``.

Stored summaries are used when current; a match whose summary is missing or behind
its events (the live match between two updates, a database not folded yet) is folded
from its events on the spot, so an answer is never behind the store.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, tzinfo
from typing import Any

from restrike.analytics.aggregate import athlete_report, headline
from restrike.analytics.days import day_partials
from restrike.analytics.fold import SUMMARY_VERSION
from restrike.analytics.groups import group_body
from restrike.analytics.model import AthleteRef, unaccent
from restrike.analytics.report import match_report
from restrike.analytics.tables import (
    NAME_TEXT,
    REF_COLUMNS,
    REF_FROM,
    fold_from,
    match_refs,
    ref_of,
    summaries,
)

__all__ = ["athlete_body", "day_body", "match_body", "search_athletes", "tournament_body"]


def match_body(conn: sqlite3.Connection, match_id: int, tz: tzinfo | None = None
               ) -> dict[str, Any] | None:
    row = conn.execute(
        f"SELECT {REF_COLUMNS}, a.version, a.last_id, a.summary, a.timeline, "
        "(SELECT max(e.id) FROM events e WHERE e.match_id = m.id) "
        f"{REF_FROM} LEFT JOIN analytics_match a ON a.match_id = m.id WHERE m.id = ?",
        (match_id,)).fetchone()
    if row is None:
        return None
    ref = ref_of(row)
    version, last_id, summary, timeline, newest = row[18:23]
    if version == SUMMARY_VERSION and last_id == (newest or 0):
        return match_report(ref, json.loads(summary), json.loads(timeline))
    fold = fold_from(conn, match_id, tz)
    return match_report(ref, fold.summary(), fold.timeline())


def search_athletes(conn: sqlite3.Connection, search: str, limit: int, *,
                    indexed: bool = False) -> list[dict[str, Any]]:
    """Athletes whose names or country contain ``search`` (case and accents ignored),
    by long name, each with the headline figures of its finished matches. ``indexed``:
    every match is folded, so the analytics' table of unaccented names has them all."""
    needle = unaccent(search).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if indexed:
        found = conn.execute(
            "SELECT a.id, a.short_name, a.long_name, a.country FROM analytics_name n JOIN "
            "athletes a ON a.id = n.athlete_id WHERE n.folded LIKE ? ESCAPE '\\' "
            "ORDER BY a.long_name, a.country, a.id LIMIT ?", (f"%{needle}%", limit)).fetchall()
    else:
        conn.create_function("restrike_unaccent", 1, unaccent, deterministic=True)
        found = conn.execute(
            f"SELECT id, short_name, long_name, country FROM athletes WHERE restrike_unaccent("
            f"{NAME_TEXT}) LIKE ? ESCAPE '\\' ORDER BY long_name, country, id LIMIT ?",
            (f"%{needle}%", limit)).fetchall()
    athletes = [AthleteRef(*row) for row in found]
    if not athletes:
        return []
    marks = ",".join("?" * len(athletes))
    kept: dict[tuple[Any, ...], tuple[int, int, int, int]] = {}
    for athlete_id, match_id, day_id, number, scoring_id, won, pf, pa in conn.execute(
            "SELECT s.athlete_id, m.id, m.day_id, m.number, m.match_id, s.won, s.points_for, "
            "s.points_against FROM analytics_side s JOIN matches m ON m.id = s.match_id "
            f"WHERE s.athlete_id IN ({marks}) AND s.finished = 1",
            [a.id for a in athletes]):
        # a match loaded twice counts once, its last finished load (as `effective`)
        key = ((athlete_id, match_id) if number is None and scoring_id is None
               else (athlete_id, day_id, number or "", scoring_id or ""))
        if key not in kept or kept[key][0] < match_id:
            kept[key] = (match_id, won, pf, pa)
    totals: dict[int, list[int]] = {}
    for key, (_match, won, pf, pa) in kept.items():
        row = totals.setdefault(key[0], [0, 0, 0, 0])
        row[0] += 1
        row[1] += won
        row[2] += pf
        row[3] += pa
    return [headline(a, *totals.get(a.id or 0, [0, 0, 0, 0])) for a in athletes]


def athlete_body(conn: sqlite3.Connection, athlete_id: int, tz: tzinfo | None = None, *,
                 indexed: bool = False) -> dict[str, Any] | None:
    """``indexed``: every stored match is folded, so the analytics' side rows find the
    athlete's matches (else the matches table is searched too: slower, never wrong)."""
    row = conn.execute("SELECT id, short_name, long_name, country FROM athletes WHERE id = ?",
                       (athlete_id,)).fetchone()
    if row is None:
        return None
    refs = match_refs(conn, "m.blue_athlete_id = ? OR m.red_athlete_id = ?",
                      (athlete_id, athlete_id)) if not indexed and _unindexed(
        conn, athlete_id) else match_refs(
        conn, "m.id IN (SELECT match_id FROM analytics_side WHERE athlete_id = ?)",
        (athlete_id,))
    return athlete_report(AthleteRef(*row), summaries(conn, refs, tz))


def _unindexed(conn: sqlite3.Connection, athlete_id: int) -> bool:
    """True while some match has no side rows yet (not folded): then the athletes' columns
    of the matches table are searched instead of the analytics' index."""
    return bool(conn.execute(
        "SELECT 1 FROM matches m WHERE NOT EXISTS (SELECT 1 FROM analytics_side s "
        "WHERE s.match_id = m.id) AND (m.blue_athlete_id = ? OR m.red_athlete_id = ?) "
        "LIMIT 1", (athlete_id, athlete_id)).fetchone())


def tournament_body(conn: sqlite3.Connection, tournament_id: int, tz: tzinfo | None = None
                    ) -> dict[str, Any] | None:
    row = conn.execute("SELECT id, name FROM tournaments WHERE id = ?",
                       (tournament_id,)).fetchone()
    if row is None:
        return None
    days = [{"id": d, "date": day, "name": name} for d, day, name in conn.execute(
        "SELECT id, date, name FROM days WHERE tournament_id = ? ORDER BY date", (row[0],))]
    partials = day_partials(conn, [d["id"] for d in days], tz)
    return {"tournament": {"id": row[0], "name": row[1]}, "days": days,
            **group_body(p for _d, _s, p, _m in partials)}


def day_body(conn: sqlite3.Connection, day: date, tz: tzinfo | None = None) -> dict[str, Any]:
    """Every tournament's matches of that local date (zeros when there are none)."""
    text = day.isoformat()
    days = [{"id": d, "tournament_id": t, "tournament": name, "name": label}
            for d, t, name, label in conn.execute(
                "SELECT d.id, t.id, t.name, d.name FROM days d JOIN tournaments t "
                "ON t.id = d.tournament_id WHERE d.date = ? ORDER BY d.id", (text,))]
    partials = day_partials(conn, [d["id"] for d in days], tz)
    return {"day": text, "days": days, **group_body(p for _d, _s, p, _m in partials)}
