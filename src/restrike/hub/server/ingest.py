"""Storing one upload: one transaction, idempotent on (station, id).

The feed's rows go in with ``INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO
NOTHING`` (one statement a table, whatever the batch size), the rows that change
(matches, athletes, days, tournaments, clips) with ``ON CONFLICT DO UPDATE``. A
court name is one station's at a time: an advisory lock per court makes the check
and the claim one step, so two stations starting together cannot both pass.
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
from restrike.hub.wire import FORMAT, Reply, Upload

__all__ = ["CLAIM_SECONDS", "store_upload"]

#: A court's station is its own while it uploaded within this many seconds.
CLAIM_SECONDS = 15.0

_STATION = (
    "INSERT INTO stations (station, court, host, first_seen, last_seen) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (station) DO UPDATE SET court = excluded.court, "
    "host = excluded.host RETURNING sid, last_id")
_CLAIMED = ("SELECT station, host, last_seen FROM stations WHERE court = %s AND station <> %s "
            "AND last_seen > %s ORDER BY last_seen DESC LIMIT 1")
_DATAGRAMS = (
    "INSERT INTO datagrams (sid, id, received_at, source, data, match_id, seq, held_at) "
    "SELECT %s, u.*, %s FROM unnest(%s::bigint[], %s::float8[], %s::text[], %s::bytea[], "
    "%s::bigint[], %s::bigint[]) AS u ON CONFLICT DO NOTHING")
_EVENTS = (
    "INSERT INTO events (sid, id, datagram_id, match_id, seq, received_at, code, kind, "
    "athlete, args, raw, error, truncated) SELECT %s, u.i, u.d, u.m, u.s, u.r, u.c, u.k, u.a, "
    "u.g::jsonb, u.w, u.e, u.t FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], "
    "%s::int[], %s::float8[], %s::text[], %s::text[], %s::int[], %s::text[], %s::text[], "
    "%s::text[], %s::bool[]) AS u(i, d, m, s, r, c, k, a, g, w, e, t) ON CONFLICT DO NOTHING")
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
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
    return (f"INSERT INTO {table} ({names}) VALUES ({marks}) "
            f"ON CONFLICT (sid, id) DO UPDATE SET {updates}")


_UPSERT_SQL = {key: _upsert_sql(*spec) for key, spec in _UPSERTS.items()}


def _columns(rows: list[Any], count: int) -> list[list[Any]]:
    return [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(count)]


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
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (upload.court,))
        other = await (await conn.execute(
            _CLAIMED, (upload.court, upload.station, now - CLAIM_SECONDS))).fetchone()
        if other is not None:
            raise HubError(
                f"court {upload.court!r} is already sent by station {other[0][:8]} on "
                f"{other[1] or '?'} (last upload {now - other[2]:.1f} s ago); refused station "
                f"{upload.station[:8]} on {upload.host or '?'} — give each station its own "
                "station.court", status=409)
        sid, _last = await (await conn.execute(_STATION, (
            upload.station, upload.court, upload.host, now, now))).fetchone() or (0, 0)
        async with conn.cursor() as cur:
            for key, sql in _UPSERT_SQL.items():
                rows = getattr(upload, key)
                if key == "matches":
                    rows = [(*m[:14], Jsonb(_json(m[14]))) for m in rows]
                if rows:
                    await cur.executemany(sql, [(sid, *row) for row in rows])
        stored = 0
        if upload.datagrams:
            cols = _columns(upload.datagrams, 6)
            cols[3] = data
            done = await conn.execute(_DATAGRAMS, (sid, now, *cols))
            stored = max(done.rowcount, 0)
        if upload.events:
            await conn.execute(_EVENTS, (sid, *_columns(upload.events, 12)))
        last = upload.datagrams[-1][0] if upload.datagrams else 0
        live = upload.live.model_dump() if upload.live is not None else None
        row = await (await conn.execute(
            "UPDATE stations SET last_id = GREATEST(last_id, %s), held = held + %s, "
            "last_seen = %s, live = COALESCE(%s, live) WHERE sid = %s RETURNING last_id",
            (last, stored, now, Jsonb(live) if live is not None else None, sid))).fetchone()
        event = await (await conn.execute(  # the primary key's last entry: at once
            "SELECT max(id) FROM events WHERE sid = %s", (sid,))).fetchone()
    return Reply(format=FORMAT, court=upload.court, last_id=int(row[0]) if row else last,
                 last_event=int(event[0] or 0) if event else 0, stored=stored)


def _json(text: str) -> Any:
    """A JSON column's text as sent; a value that is no JSON is kept as a string."""
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return text
