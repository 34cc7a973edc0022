"""What the hub's pages read: courts, tournaments, matches and events (the analytics
are `restrike.hub.server.analytics`).

The shapes are the station's (docs/api.md, docs/store.md) plus ``court``; what is
one thing across courts is named as the station names it — a tournament by its name,
an athlete by long name and country — so the same tournament or athlete seen on
several courts is one. Ids are the hub's (`restrike.hub.server.ids`): a match, event
or day is unique at the hub (its id on its station is ``station_id``), a tournament's
and an athlete's are made of their names.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg

from restrike.hub.server.ids import hub_id, split, tournament_id
from restrike.hub.server.ingest import CLAIM_SECONDS
from restrike.hub.server.people import athlete_id

__all__ = ["CONNECTED_SECONDS", "courts", "events", "match", "matches", "tournaments"]

#: A court is shown connected while its station uploaded within this many seconds.
CONNECTED_SECONDS = 6.0


def iso(t: float | None) -> str | None:
    """Epoch seconds → ISO 8601 UTC with milliseconds, like the station's."""
    if t is None:
        return None
    whole = int(t // 1)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + \
        f".{min(int((t - whole) * 1000), 999):03d}Z"


async def courts(conn: psycopg.AsyncConnection, now: float) -> list[dict[str, Any]]:
    """Every court, from its newest station, with the rows all its stations sent."""
    rows = await (await conn.execute(
        "SELECT DISTINCT ON (court) court, station, host, last_seen, live, "
        "sum(held) OVER (PARTITION BY court), last_id FROM stations "
        "ORDER BY court, last_seen DESC")).fetchall()
    out = []
    for court, station, host, last_seen, live, held, last_id in rows:
        live = live or {}
        connected = now - last_seen <= CONNECTED_SECONDS
        lag = float(live.get("lag_seconds") or 0.0)
        out.append({
            "court": court, "connected": connected, "last_seen": iso(last_seen),
            "lag_seconds": round(lag if connected else max(lag, now - last_seen), 3),
            "lag_rows": int(live.get("lag_rows") or 0), "datagrams": int(held),
            "cursor": last_id, "station": station, "host": host,
            "state": live.get("state") or {}, "review": live.get("review"),
            "obs": live.get("obs") or [], "feed": live.get("feed") or {},
            "claimed": now - last_seen <= CLAIM_SECONDS})
    return out


async def tournaments(conn: psycopg.AsyncConnection) -> list[dict[str, Any]]:
    """Tournaments by name over every court, newest first."""
    rows = await (await conn.execute(
        "SELECT t.name, min(t.created_at), array_agg(DISTINCT s.court ORDER BY s.court), "
        "count(DISTINCT d.date), count(m.id) FROM tournaments t "
        "JOIN stations s ON s.sid = t.sid "
        "LEFT JOIN days d ON d.sid = t.sid AND d.tournament_id = t.id "
        "LEFT JOIN matches m ON m.sid = d.sid AND m.day_id = d.id "
        "GROUP BY t.name ORDER BY min(t.created_at) DESC")).fetchall()
    return [{"id": tournament_id(r[0]), "name": r[0], "created_at": iso(r[1]),
             "courts": list(r[2]), "days": r[3], "matches": r[4]} for r in rows]


_MATCHES = (
    "SELECT s.court, m.sid, m.id, m.number, m.match_id, m.phase, m.category, m.division, d.date, "
    "d.name, t.name, b.short_name, b.long_name, b.country, r.short_name, r.long_name, "
    "r.country, m.loaded_at, m.started_at, m.ended_at, m.winner, m.decision, m.result, "
    "m.day_id "
    "FROM matches m JOIN stations s ON s.sid = m.sid "
    "JOIN days d ON d.sid = m.sid AND d.id = m.day_id "
    "JOIN tournaments t ON t.sid = d.sid AND t.id = d.tournament_id "
    "LEFT JOIN athletes b ON b.sid = m.sid AND b.id = m.blue_athlete_id "
    "LEFT JOIN athletes r ON r.sid = m.sid AND r.id = m.red_athlete_id ")


def _athlete(short: str | None, long: str | None, country: str | None) -> dict[str, Any] | None:
    if long is None:
        return None
    return {"id": athlete_id(long, country or ""), "short_name": short, "long_name": long,
            "country": country}


def _match(r: tuple[Any, ...]) -> dict[str, Any]:
    """A match row (`_MATCHES`) in the station's shape, its ids the hub's."""
    return {"court": r[0], "id": hub_id(r[1], r[2]), "station_id": r[2], "number": r[3],
            "match_id": r[4], "phase": r[5], "category": r[6], "division": r[7],
            "day": r[8], "day_id": hub_id(r[1], r[23]), "day_name": r[9],
            "tournament": r[10], "tournament_id": tournament_id(r[10]),
            "blue": _athlete(r[11], r[12], r[13]), "red": _athlete(r[14], r[15], r[16]),
            "loaded_at": iso(r[17]), "started_at": iso(r[18]), "ended_at": iso(r[19]),
            "winner": r[20], "decision": r[21], "result": r[22] or {}}


async def matches(conn: psycopg.AsyncConnection, *, tournament: str | None = None,
                  court: str | None = None, day: str | None = None,
                  finished: bool | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Matches newest first (by load time), filtered."""
    where, params = _filters(tournament=tournament, court=court, day=day, finished=finished)
    rows = await (await conn.execute(
        _MATCHES + where + " ORDER BY m.loaded_at DESC, m.sid, m.id DESC LIMIT %s",
        (*params, limit))).fetchall()
    return [_match(r) for r in rows]


async def match(conn: psycopg.AsyncConnection, ident: int) -> dict[str, Any] | None:
    """One match (by its hub id) with its events oldest first, or None."""
    sid, row = split(ident)
    found = await (await conn.execute(_MATCHES + "WHERE m.sid = %s AND m.id = %s",
                                      (sid, row))).fetchone()
    if found is None:
        return None
    return {**_match(found), "events": await events(conn, match=ident, limit=None) or []}


def _filters(**values: Any) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for key, column in (("tournament", "t.name"), ("court", "s.court"), ("day", "d.date")):
        if values.get(key) is not None:
            clauses.append(f"{column} = %s")
            params.append(values[key])
    if values.get("finished") is not None:
        clauses.append("m.ended_at IS NOT NULL" if values["finished"]
                       else "m.ended_at IS NULL")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


async def events(conn: psycopg.AsyncConnection, *, court: str | None = None,
                 match: int | None = None, kind: str | None = None, limit: int | None = 100,
                 since: float | None = None, before: int | None = None,
                 ) -> list[dict[str, Any]] | None:
    """Events newest first (``match``: a hub id; ``since``: epoch seconds, inclusive;
    ``before``: the hub id of the last event of the page before — the page goes on
    after it in this order; ``limit`` None: all of them, oldest first, as a station's
    match body lists them). None when ``before`` names no event."""
    clauses: list[str] = []
    params: list[Any] = []
    if before is not None:
        sid, row = split(before)
        found = await (await conn.execute(
            "SELECT received_at FROM events WHERE sid = %s AND id = %s", (sid, row))
        ).fetchone()
        if found is None:
            return None
        clauses.append("(e.received_at, e.sid, e.id) < (%s, %s, %s)")
        params.extend((found[0], sid, row))
    if since is not None:
        clauses.append("e.received_at >= %s")
        params.append(since)
    if court is not None:
        clauses.append("s.court = %s")
        params.append(court)
    if match is not None:
        clauses.append("e.sid = %s AND e.match_id = %s")
        params.extend(split(match))
    if kind is not None:
        clauses.append("e.kind = %s")
        params.append(kind)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    order = (" ORDER BY e.sid, e.id" if limit is None else
             " ORDER BY e.received_at DESC, e.sid DESC, e.id DESC LIMIT %s")
    rows = await (await conn.execute(
        "SELECT s.court, e.sid, e.id, e.received_at, d.source, e.code, e.kind, e.athlete, "
        "e.args, e.raw, e.error, e.match_id, e.truncated FROM events e "
        "JOIN stations s ON s.sid = e.sid "
        "JOIN datagrams d ON d.sid = e.sid AND d.id = e.datagram_id" + where + order,
        (*params, limit) if limit is not None else params)).fetchall()
    out = []
    for court, sid, *r in rows:
        event = {"court": court, "id": hub_id(sid, r[0]), "station_id": r[0],
                 "received_at": iso(r[1]), "source": r[2], "code": r[3], "kind": r[4],
                 "athlete": r[5], "args": r[6] or {}, "raw": r[7], "error": r[8],
                 "match": None if r[9] is None else hub_id(sid, r[9])}
        if r[10]:
            event["truncated"] = True
        out.append(event)
    return out
