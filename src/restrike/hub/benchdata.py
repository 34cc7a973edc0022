"""The hub analytics benchmark's data: the station benchmark's data set, spread over
courts, copied into a hub database with ``COPY``.

The events are those of ``restrike bench analytics`` (`restrike.analytics.benchdata`:
real championship matches written by the store, copied onto a tournament calendar,
built once and cached), so the hub's figures compare with a station's over the same
rows. Match *n* goes to court *n mod courts*, with its events; every court holds the
tournaments, days and athletes (the same athlete fights on several courts: the hub
must count it once). Datagrams are not copied: no analytics reads them. The events'
indexes are made after the copy (faster than keeping them up row by row).
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from restrike.hub.server.people import people_writes
from restrike.hub.server.schema import SIDES, migrate

__all__ = ["load"]

_EVENT_INDEXES = ("events_pkey", "events_match", "events_received")
_TABLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # hub table: (the station's SELECT, the hub's columns after sid, their types)
    "tournaments": ("SELECT id, name, created_at FROM tournaments",
                    ("id", "name", "created_at"), ("int8", "text", "float8")),
    "days": ("SELECT id, tournament_id, date, name FROM days",
             ("id", "tournament_id", "date", "name"), ("int8", "int8", "text", "text")),
    "athletes": ("SELECT id, short_name, long_name, country FROM athletes",
                 ("id", "short_name", "long_name", "country"),
                 ("int8", "text", "text", "text")),
}


def _copy(conn: psycopg.Connection, table: str, columns: tuple[str, ...],
          types: tuple[str, ...], rows: Iterator[tuple[Any, ...]]) -> int:
    count = 0
    with conn.cursor() as cur, cur.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _as_is(text: str) -> str:
    return text


def load(dsn: str, path: Path, courts: int, say: Callable[[str], None]) -> dict[str, int]:
    """Copy the station data set at ``path`` into the (empty) hub database ``dsn`` over
    ``courts`` courts; the rows copied by table."""
    copied: dict[str, int] = {}
    with psycopg.connect(dsn) as conn, closing(
            sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source:
        migrate(conn)
        conn.execute("SET synchronous_commit = off")
        now = time.time()
        _copy(conn, "stations", ("sid", "station", "court", "host", "first_seen",
                                 "last_seen"), ("int4", "text", "text", "text", "float8",
                                                "float8"),
              iter((n, uuid.uuid4().hex, f"Court {n}", "bench", now, now)
                   for n in range(1, courts + 1)))
        for table, (select, columns, types) in _TABLES.items():
            rows = source.execute(select).fetchall()
            copied[table] = _copy(conn, table, ("sid", *columns), ("int4", *types),
                                  ((sid, *row) for sid in range(1, courts + 1)
                                   for row in rows))
        with conn.cursor() as cur:
            for sql, rows in people_writes(source.execute(_TABLES["athletes"][0])):
                cur.executemany(sql, rows)
        copied["matches"] = _copy(
            conn, "matches", ("sid", "id", "day_id", "number", "match_id", "phase", "category",
                              "division", "blue_athlete_id", "red_athlete_id", "loaded_at",
                              "started_at", "ended_at", "winner", "decision", "result"),
            ("int4", "int8", "int8", "text", "text", "text", "text", "text", "int8", "int8",
             "float8", "float8", "float8", "text", "text", "jsonb"),
            ((_court(m[0], courts), *m[:14], Jsonb(m[14] or "{}", dumps=_as_is))
             for m in source.execute(
                "SELECT id, day_id, number, match_id, phase, category, division, "
                "blue_athlete_id, red_athlete_id, loaded_at, started_at, ended_at, winner, "
                "decision, result FROM matches")))
        conn.execute(SIDES)
        conn.commit()
        say(f"  {copied['matches']:,} matches on {courts} courts copied; the events ...")
        started = time.perf_counter()
        conn.execute("ALTER TABLE events DROP CONSTRAINT events_pkey")
        conn.execute("DROP INDEX events_match, events_received")
        copied["events"] = _copy(
            conn, "events", ("sid", "id", "datagram_id", "match_id", "seq", "received_at",
                             "code", "kind", "athlete", "args", "raw", "error", "truncated"),
            ("int4", "int8", "int8", "int8", "int4", "float8", "text", "text", "int4", "jsonb",
             "text", "text", "bool"),
            ((_court(e[2] or 1, courts), *e[:8], Jsonb(e[8], dumps=_as_is), e[9], e[10],
              bool(e[11]))
             for e in source.execute(
                "SELECT id, datagram_id, match_id, seq, received_at, code, kind, athlete, "
                "args, raw, error, truncated FROM events")))
        say(f"  {copied['events']:,} events copied in {time.perf_counter() - started:.0f} s; "
            "indexing ...")
        conn.execute("ALTER TABLE events ADD PRIMARY KEY (sid, id)")
        conn.execute("CREATE INDEX events_match ON events (sid, match_id, id)")
        conn.execute("CREATE INDEX events_received ON events (received_at)")
        conn.execute("UPDATE stations SET last_event = (SELECT coalesce(max(id), 0) FROM "
                     "events e WHERE e.sid = stations.sid)")
        conn.commit()
        conn.execute("ANALYZE")
    return copied


def _court(match_id: int, courts: int) -> int:
    return (match_id - 1) % courts + 1
