"""Storing one upload: one transaction, exactly once on (station, id).

A station's held rows are always a prefix of its own: each upload is one
transaction, under the lock of the station's row, and stores only what follows the
newest datagram id held (``stations.last_id``). So the feed's rows above it are new
and go in with a binary ``COPY`` (no per-row conflict check, which made the catch-up
crawl); the rows at or below it were held by an upload whose answer the station did
not get, and are skipped. An upload that starts after more than the hub holds (a hub
restored from an older backup) stores no feed rows and answers where the hub is, so
the station sends the missing rows again. The rows that change (matches, athletes,
days, tournaments, clips) go in with ``ON CONFLICT DO UPDATE`` where they changed
(they are sent again with every batch that refers to them). A court name is one
station's at a time: an advisory lock per court makes the check and the claim one
step, so two stations starting together cannot both pass.

Round trips are what a live court's small uploads wait on when the server is busy:
the statements that need no answer in between go in one pipeline, so an upload is
BEGIN, the claim, the changing rows, the two COPYs, the cursor update and COMMIT.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from restrike.errors import HubError
from restrike.hub.server.people import people_writes
from restrike.hub.server.schema import SIDES
from restrike.hub.wire import FORMAT, Reply, Upload

__all__ = ["CLAIM_SECONDS", "store_upload"]

#: A court's station is its own while it uploaded within this many seconds.
CLAIM_SECONDS = 15.0

_STATION = (
    "INSERT INTO stations (station, court, host, first_seen, last_seen) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (station) DO UPDATE SET court = excluded.court, "
    "host = excluded.host RETURNING sid, last_id")  # locks the row until the commit
_CURSOR = ("UPDATE stations SET last_id = GREATEST(last_id, %s), last_event = GREATEST("
           "last_event, %s), held = held + %s, last_seen = %s, live = COALESCE(%s, live) "
           "WHERE sid = %s RETURNING last_id, last_event")
_CLAIMED = ("SELECT station, host, last_seen FROM stations WHERE court = %s AND station <> %s "
            "AND last_seen > %s ORDER BY last_seen DESC LIMIT 1")
_COPY_DATAGRAMS = ("COPY datagrams (sid, id, received_at, source, data, match_id, seq, "
                   "held_at) FROM STDIN (FORMAT BINARY)")
_DATAGRAM_TYPES = ("int4", "int8", "float8", "text", "bytea", "int8", "int8", "float8")
_COPY_EVENTS = ("COPY events (sid, id, datagram_id, match_id, seq, received_at, code, kind, "
                "athlete, args, raw, error, truncated) FROM STDIN (FORMAT BINARY)")
_EVENT_TYPES = ("int4", "int8", "int8", "int8", "int4", "float8", "text", "text", "int4",
                "jsonb", "text", "text", "bool")
_UPSERTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "tournaments": ("tournaments", ("id", "name", "created_at")),
    "days": ("days", ("id", "tournament_id", "date", "name")),
    "athletes": ("athletes", ("id", "short_name", "long_name", "country")),
    "matches": ("matches", ("id", "day_id", "number", "match_id", "phase", "category",
                            "division", "blue_athlete_id", "red_athlete_id", "loaded_at",
                            "started_at", "ended_at", "winner", "decision", "result")),
    "clips": ("clips", ("id", "run", "review", "day", "match", "requested_by", "source",
                        "athlete", "requested_at", "path", "decision", "decided_by",
                        "decided_at", "error")),
}


def _upsert_sql(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(("sid", *columns))
    marks = ", ".join(["%s"] * (len(columns) + 1))
    changing = [c for c in columns if c != "id"]
    updates = ", ".join(f"{c} = excluded.{c}" for c in changing)
    old = ", ".join(f"{table}.{c}" for c in changing)
    new = ", ".join(f"excluded.{c}" for c in changing)
    return (f"INSERT INTO {table} ({names}) VALUES ({marks}) "
            f"ON CONFLICT (sid, id) DO UPDATE SET {updates} "
            f"WHERE ({old}) IS DISTINCT FROM ({new})")


_UPSERT_SQL = {key: _upsert_sql(*spec) for key, spec in _UPSERTS.items()}
_FORGET_DAYS = ("DELETE FROM partials WHERE sid = %s AND day_id IN (SELECT day_id FROM "
                "matches WHERE sid = %s AND id = ANY(%s))")
_FORGET_FOLDS = "DELETE FROM folds WHERE sid = %s AND match_id = ANY(%s)"
_FORGET_SIDES = "DELETE FROM sides WHERE sid = %s AND match_id = ANY(%s)"
_SIDES = SIDES + " WHERE m.sid = %s AND m.id = ANY(%s)"


def _touched(upload: Upload) -> list[int]:
    """The matches an upload adds events to or changes (their folds and days' figures
    are made again when next asked)."""
    return sorted({d[4] for d in upload.datagrams if d[4] is not None}
                  | {e[2] for e in upload.events if e[2] is not None}
                  | {m[0] for m in upload.matches})


async def store_upload(conn: psycopg.AsyncConnection, upload: Upload) -> Reply:
    """Store ``upload`` in one transaction; the cursor the station goes on from.

    HubError 409 when another station holds the court name, naming both.
    """
    now = time.time()
    try:
        data = [base64.b64decode(d[3], validate=True) for d in upload.datagrams]
    except (binascii.Error, ValueError) as err:
        raise HubError(f"a datagram's data is not base64: {err}", status=422) from err
    async with conn.transaction():
        async with conn.pipeline():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (upload.court,))
            claimed = await conn.execute(_CLAIMED, (upload.court, upload.station,
                                                    now - CLAIM_SECONDS))
            station = await conn.execute(_STATION, (upload.station, upload.court,
                                                    upload.host, now, now))
            other = await claimed.fetchone()
            sid, held = await station.fetchone() or (0, 0)
        if other is not None:  # the transaction is rolled back: nothing of it stays
            raise HubError(
                f"court {upload.court!r} is already sent by station {other[0][:8]} on "
                f"{other[1] or '?'} (last upload {now - other[2]:.1f} s ago); refused station "
                f"{upload.station[:8]} on {upload.host or '?'} — give each station its own "
                "station.court", status=409)
        async with conn.cursor() as cur:
            async with conn.pipeline():
                for key, sql in _UPSERT_SQL.items():
                    rows = getattr(upload, key)
                    if key == "matches":
                        rows = [(*m[:14], Jsonb(_json(m[14]))) for m in rows]
                    if rows:
                        await cur.executemany(sql, [(sid, *row) for row in rows])
                if upload.athletes:  # each athlete once, over every court
                    for sql, rows in people_writes(upload.athletes):
                        await cur.executemany(sql, rows)
                touched = _touched(upload)
                if touched:  # the analytics' caches of what this upload changes
                    await cur.execute(_FORGET_DAYS, (sid, sid, touched))
                    await cur.execute(_FORGET_FOLDS, (sid, touched))
                    await cur.execute(_FORGET_SIDES, (sid, touched))
                    await cur.execute(_SIDES, (sid, touched))
            gap = upload.after is not None and upload.after > held
            stored, events = (0, 0) if gap else await _copy_feed(cur, sid, held, upload, data,
                                                                 now)
        last = upload.datagrams[-1][0] if upload.datagrams and not gap else 0
        live = upload.live.model_dump() if upload.live is not None else None
        row = await (await conn.execute(_CURSOR, (
            last, events, stored, now, Jsonb(live) if live is not None else None, sid)
            )).fetchone()
    return Reply(format=FORMAT, court=upload.court, last_id=int(row[0]) if row else held,
                 last_event=int(row[1]) if row else 0, stored=stored)


async def _copy_feed(cur: psycopg.AsyncCursor[Any], sid: int, held: int, upload: Upload,
                     data: list[bytes], now: float) -> tuple[int, int]:
    """COPY the datagrams after ``held`` and their events; (datagrams, newest event id)."""
    fresh = [i for i, d in enumerate(upload.datagrams) if d[0] > held]
    if fresh:
        async with cur.copy(_COPY_DATAGRAMS) as copy:
            copy.set_types(list(_DATAGRAM_TYPES))
            for i in fresh:
                d = upload.datagrams[i]
                await copy.write_row((sid, d[0], d[1], d[2], data[i], d[4], d[5], now))
    events = [e for e in upload.events if e[1] > held]
    if events:
        async with cur.copy(_COPY_EVENTS) as copy:
            copy.set_types(list(_EVENT_TYPES))
            for e in events:  # args go as sent: the server checks they are JSON
                await copy.write_row((sid, *e[:8], Jsonb(e[8], dumps=_as_is), *e[9:]))
    return len(fresh), events[-1][0] if events else 0


def _as_is(text: str) -> str:
    return text


def _json(text: str) -> Any:
    """A JSON column's text as sent; a value that is no JSON is kept as a string."""
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return text
