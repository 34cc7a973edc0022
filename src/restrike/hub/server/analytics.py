"""The hub's analytics: tournament, day and athlete figures over every court.

Figures come from the analytics core (`restrike.analytics`: ``fold_match``,
``group_partial``/``group_body``, ``athlete_report``), the same code as a station's,
over the matches every court sent, in the station's shapes. What is one thing across
courts is named as the station names it: a tournament by its name, an athlete by long
name and country — their hub ids are made of those (`restrike.hub.server.ids`), so the
same athlete on several courts is one athlete, with the same id on every hub. Matches
and days have the hub's ids (unique at the hub: ``sid × 2^40 + id``).

Two caches in the database keep requests quick over millions of events: ``folds``
(each match's folded summary and the headline its search needs) and ``partials``
(each station-day's figures, what a tournament or a day combines). An upload deletes
the entries of the matches and days it touched (`restrike.hub.server.ingest`); a
request folds what is missing and stores it only if the station uploaded nothing
meanwhile (checked under a share lock of the station's row, which each upload holds
for its whole transaction), so no entry is ever older than the rows it was made of.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from restrike.analytics import (
    AthleteRef,
    Event,
    MatchRef,
    athlete_report,
    fold_match,
    group_body,
    group_partial,
    match_report,
)
from restrike.analytics.aggregate import headline as headline_row
from restrike.hub.server import people
from restrike.hub.server.ids import hub_id, split, tournament_id
from restrike.hub.server.people import athlete_id

__all__ = ["athlete", "athlete_id", "day_report", "match", "search_athletes",
           "tournament_name", "tournament_report"]

Key = tuple[int, int]  # (sid, id)
#: Matches folded at once when the cache misses them (their events held in memory).
_CHUNK = 200

#: Each match's row with its day, tournament, athletes (``[short, long, country]`` or
#: null) and court. The athletes and the court are subqueries, not joins: a join of all
#: seven tables cost ~8 ms of planning per request, more than running it.
_REF_COLUMNS = (
    "SELECT m.sid, m.id, m.number, m.match_id, m.phase, m.category, m.division, d.date, "
    "d.id, t.name, (SELECT ARRAY[a.short_name, a.long_name, a.country] FROM athletes a "
    "WHERE a.sid = m.sid AND a.id = m.blue_athlete_id), (SELECT ARRAY[a.short_name, "
    "a.long_name, a.country] FROM athletes a WHERE a.sid = m.sid AND a.id = "
    "m.red_athlete_id), (SELECT s.court FROM stations s WHERE s.sid = m.sid) ")
_REF_FROM = ("FROM matches m JOIN days d ON d.sid = m.sid AND d.id = m.day_id "
             "JOIN tournaments t ON t.sid = d.sid AND t.id = d.tournament_id ")
_REFS = _REF_COLUMNS + _REF_FROM
#: `_REFS` with each match's cached summary last (null when not folded yet).
_REFS_FOLDED = (_REF_COLUMNS + ", (SELECT f.summary FROM folds f WHERE f.sid = m.sid "
                "AND f.match_id = m.id) " + _REF_FROM)
#: Where `_REFS` puts the court.
_COURT = 12


def _person(names: list[str] | None) -> AthleteRef | None:
    """An athlete of `_REFS` (``[short, long, country]``), named by its hub id."""
    if names is None or names[1] is None:
        return None
    short, long, country = names
    return AthleteRef(athlete_id(long, country or ""), short or "", long, country or "")


def _ref(r: tuple[Any, ...]) -> MatchRef:
    return MatchRef(id=hub_id(r[0], r[1]), number=r[2], match_id=r[3], phase=r[4],
                    category=r[5], division=r[6], tournament=r[9],
                    tournament_id=tournament_id(r[9]), day=r[7], day_id=hub_id(r[0], r[8]),
                    blue=_person(r[10]), red=_person(r[11]))


async def _versions(conn: psycopg.AsyncConnection, sids: Iterable[int]) -> dict[int, float]:
    """Each station's last upload time: what a cached entry is checked against."""
    rows = await (await conn.execute("SELECT sid, last_seen FROM stations WHERE sid = ANY(%s)",
                                     (sorted(set(sids)),))).fetchall()
    return {sid: seen for sid, seen in rows}


async def _keep(conn: psycopg.AsyncConnection, versions: dict[int, float],
                *writes: tuple[str, list[tuple[Any, ...]]]) -> None:
    """Run each ``(sql, rows)`` for the rows (their first value the sid) of the stations
    that uploaded nothing since ``versions`` was read, in one transaction."""
    sids = sorted({r[0] for _sql, rows in writes for r in rows})
    if not sids:
        return
    async with conn.transaction():
        now = await (await conn.execute(
            "SELECT sid, last_seen FROM stations WHERE sid = ANY(%s) ORDER BY sid FOR SHARE",
            (sids,))).fetchall()
        same = {sid for sid, seen in now if versions.get(sid) == seen}
        async with conn.cursor() as cur:
            for sql, rows in writes:
                kept = [r for r in rows if r[0] in same]
                if kept:
                    await cur.executemany(sql, kept)


async def summaries(conn: psycopg.AsyncConnection, keys: list[Key], *, read: bool = True
                    ) -> dict[Key, dict[str, Any]]:
    """Each match's folded summary, from the cache or folded now (and kept). ``read``
    False: only fold what the cache misses (the answer then holds just those)."""
    if not keys:
        return {}
    sids, ids = zip(*keys, strict=True)
    found = {(sid, match): summary for sid, match, summary in await (await conn.execute(
        f"SELECT f.sid, f.match_id, {'f.summary' if read else 'NULL'} FROM folds f JOIN "
        "unnest(%s::int[], %s::bigint[]) AS k(sid, id) ON f.sid = k.sid AND "
        "f.match_id = k.id", (list(sids), list(ids)))).fetchall()}
    missing = [k for k in keys if k not in found]
    for start in range(0, len(missing), _CHUNK):
        found.update(await _fold(conn, missing[start:start + _CHUNK]))
    return found


async def _fold(conn: psycopg.AsyncConnection, keys: list[Key]) -> dict[Key, dict[str, Any]]:
    """Fold these matches from their events and keep the summaries."""
    versions = await _versions(conn, (sid for sid, _ in keys))
    events = await _events(conn, keys)
    found = {key: fold_match(folded).summary() for key, folded in events.items()}
    heads = {key: _headline(summary) for key, summary in found.items()}
    await _keep(conn, versions, (_FOLDS, [(sid, match, Jsonb(found[sid, match]), Jsonb(head))
                                          for (sid, match), head in heads.items()]),
                (_SIDES, [(sid, match, *(head or (None, None, None)))
                          for (sid, match), head in heads.items()]))
    return found


_FOLDS = ("INSERT INTO folds (sid, match_id, summary, headline) VALUES (%s, %s, %s, %s) "
          "ON CONFLICT (sid, match_id) DO UPDATE SET summary = excluded.summary, "
          "headline = excluded.headline")
#: A folded match's headline on its two sides (won, points for and against; null while
#: unfinished): what an athletes search sums, read from the sides alone.
_SIDES = ("UPDATE sides SET folded = true, won = v.winner = side, "
          "pf = CASE side WHEN 1 THEN v.blue ELSE v.red END, "
          "pa = CASE side WHEN 1 THEN v.red ELSE v.blue END FROM (SELECT %s::int AS sid, "
          "%s::bigint AS match_id, %s::int AS winner, %s::int AS blue, %s::int AS red) v "
          "WHERE sides.sid = v.sid AND sides.match_id = v.match_id")


def _headline(summary: dict[str, Any]) -> list[Any] | None:
    """What an athletes search needs of a match: None unfinished, else [winner side,
    blue score, red score]."""
    if summary["winner"] is None:
        return None
    return [summary["winner"], summary["sides"][1]["score"], summary["sides"][2]["score"]]


async def _rows(conn: psycopg.AsyncConnection, refs: list[tuple[Any, ...]]
                ) -> list[tuple[MatchRef, dict[str, Any]]]:
    folded = await summaries(conn, [(r[0], r[1]) for r in refs])
    return [(_ref(r), folded[(r[0], r[1])]) for r in refs]


async def _events(conn: psycopg.AsyncConnection, keys: list[Key]
                  ) -> dict[Key, list[Event]]:
    """The events of these matches, each match's oldest first."""
    events: dict[Key, list[Event]] = {k: [] for k in keys}
    sids, ids = zip(*keys, strict=True)
    async with conn.cursor() as cur:
        await cur.execute(
            "SELECT e.sid, e.match_id, e.id, e.received_at, e.kind, e.athlete, e.args "
            "FROM unnest(%s::int[], %s::bigint[]) AS k(sid, id) JOIN events e "
            "ON e.sid = k.sid AND e.match_id = k.id ORDER BY e.sid, e.match_id, e.id",
            (list(sids), list(ids)))
        async for sid, match_id, *event in cur:
            events[(sid, match_id)].append(Event(event[0], event[1], event[2], event[3],
                                                 _args(event[4])))
    return events


async def match(conn: psycopg.AsyncConnection, ident: int) -> dict[str, Any] | None:
    """A match's figures by its hub id (the station's match body, plus ``court``); None
    when no court has it. Folded from its events on each request: one match is quick,
    and its timeline is not cached."""
    sid, row = split(ident)
    ref = await (await conn.execute(_REFS + "WHERE m.sid = %s AND m.id = %s",
                                    (sid, row))).fetchone()
    if ref is None:
        return None
    folded = fold_match((await _events(conn, [(sid, row)]))[(sid, row)])
    report = match_report(_ref(ref), folded.summary(), folded.timeline())
    return {**report, "match": {**report["match"], "court": ref[_COURT]}}


async def _partials(conn: psycopg.AsyncConnection, days: list[Key]) -> list[dict[str, Any]]:
    """Each station-day's partial figures, from the cache or made now (and kept)."""
    if not days:
        return []
    sids, ids = zip(*days, strict=True)
    found = {(sid, day): partial for sid, day, partial in await (await conn.execute(
        "SELECT p.sid, p.day_id, p.partial FROM partials p JOIN unnest(%s::int[], "
        "%s::bigint[]) AS k(sid, id) ON p.sid = k.sid AND p.day_id = k.id",
        (list(sids), list(ids)))).fetchall()}
    missing = [d for d in days if d not in found]
    if missing:
        versions = await _versions(conn, (sid for sid, _ in missing))
        sids, ids = zip(*missing, strict=True)
        refs = await (await conn.execute(
            _REFS + "JOIN unnest(%s::int[], %s::bigint[]) AS k(sid, id) "
            "ON m.sid = k.sid AND m.day_id = k.id", (list(sids), list(ids)))).fetchall()
        by_day: dict[Key, list[tuple[MatchRef, dict[str, Any]]]] = {d: [] for d in missing}
        for ref, row in zip(refs, await _rows(conn, refs), strict=True):
            by_day[(ref[0], ref[8])].append(row)
        made = [(*day, group_partial(rows)) for day, rows in by_day.items()]
        found.update({(sid, day): partial for sid, day, partial in made})
        await _keep(conn, versions, ("INSERT INTO partials (sid, day_id, partial) VALUES "
                                     "(%s, %s, %s) ON CONFLICT (sid, day_id) DO UPDATE SET "
                                     "partial = excluded.partial",
                                     [(s, d, Jsonb(p)) for s, d, p in made]))
    return [found[d] for d in days]


async def tournament_name(conn: psycopg.AsyncConnection, key: str) -> str | None:
    """The name of the tournament ``key`` names: its hub id (as in /api/v1/tournaments)
    or its name; None when no court has it."""
    names = [str(n) for (n,) in await (await conn.execute(
        "SELECT DISTINCT name FROM tournaments")).fetchall()]
    if key.isdigit():
        ident = int(key)
        found = next((n for n in names if tournament_id(n) == ident), None)
        if found is not None:
            return found
    return key if key in names else None


async def tournament_report(conn: psycopg.AsyncConnection, key: str
                            ) -> dict[str, Any] | None:
    """A tournament's figures over every court (the station's tournament body, its days
    each with its court, plus ``courts``); None when no court has it."""
    name = await tournament_name(conn, key)
    if name is None:
        return None
    days = await (await conn.execute(
        "SELECT d.sid, d.id, d.date, d.name, s.court FROM tournaments t "
        "JOIN stations s ON s.sid = t.sid "
        "JOIN days d ON d.sid = t.sid AND d.tournament_id = t.id WHERE t.name = %s "
        "ORDER BY d.date, s.court, d.sid, d.id", (name,))).fetchall()
    held = [(sid, day) for sid, day, *_ in days]
    courts = await (await conn.execute(
        "SELECT DISTINCT s.court FROM matches m JOIN stations s ON s.sid = m.sid "
        "JOIN unnest(%s::int[], %s::bigint[]) AS k(sid, id) ON m.sid = k.sid AND "
        "m.day_id = k.id ORDER BY s.court", ([s for s, _ in held], [d for _, d in held])
    )).fetchall()
    return {"tournament": {"id": tournament_id(name), "name": name},
            "days": [{"id": hub_id(sid, day), "date": date, "name": label, "court": court}
                     for sid, day, date, label, court in days],
            **group_body(await _partials(conn, held)), "courts": [c for (c,) in courts]}


async def day_report(conn: psycopg.AsyncConnection, day: str) -> dict[str, Any]:
    """Every court's matches of that date (``YYYY-MM-DD``) as one day's figures (the
    station's day body, its days each with its court), and the courts that played."""
    rows = await (await conn.execute(
        "SELECT d.sid, d.id, s.court, t.name, d.name, EXISTS (SELECT 1 FROM matches m "
        "WHERE m.sid = d.sid AND m.day_id = d.id) FROM days d "
        "JOIN stations s ON s.sid = d.sid "
        "JOIN tournaments t ON t.sid = d.sid AND t.id = d.tournament_id WHERE d.date = %s "
        "ORDER BY s.court, d.sid, d.id", (day,))).fetchall()
    played = [r for r in rows if r[5]]
    return {"day": day,
            "days": [{"id": hub_id(r[0], r[1]), "tournament_id": tournament_id(r[3]),
                      "tournament": r[3], "name": r[4], "court": r[2]} for r in rows],
            **group_body(await _partials(conn, [(r[0], r[1]) for r in played])),
            "courts": sorted({r[2] for r in played})}


#: The (sid, id) of the matches where one of the people (an array of hub ids) fought,
#: as ``k`` (the ``sides`` the ingest keeps: one index range per athlete).
_FOUGHT = ("WITH k AS (SELECT DISTINCT sid, match_id AS id FROM sides "
           "WHERE person = ANY(%(people)s)) ")
#: Each person's finished matches (each once: its last finished load, the sides' `key`),
#: won, points for and against, summed; then the (sid, match) of those not folded yet
#: (a row with person NULL each). One index range of ``sides`` (its headline columns are
#: written with each fold), no other table.
_TOTALS = (
    "WITH j AS MATERIALIZED (SELECT person, sid, match_id, key, folded, won, pf, pa "
    "FROM sides WHERE person = ANY(%(people)s)), "
    "kept AS (SELECT DISTINCT ON (person, sid, key) person, won, pf, pa FROM j "
    "WHERE won IS NOT NULL ORDER BY person, sid, key, match_id DESC) "
    "SELECT person, count(*), sum(won::int), sum(pf), sum(pa) FROM kept GROUP BY person "
    "UNION ALL SELECT DISTINCT NULL::bigint, sid, match_id, NULL::bigint, NULL::bigint "
    "FROM j WHERE NOT folded")


async def _athlete_refs(conn: psycopg.AsyncConnection, ident: int) -> list[tuple[Any, ...]]:
    """The match rows (`_REFS`) of every court where that athlete fought, each with its
    cached summary last (null when not folded yet): one query for both."""
    return list(await (await conn.execute(
        _FOUGHT + _REFS_FOLDED + "JOIN k ON m.sid = k.sid AND m.id = k.id "
        "ORDER BY m.sid, m.id",
        {"people": [ident]})).fetchall())


async def search_athletes(conn: psycopg.AsyncConnection, search: str, limit: int
                          ) -> list[dict[str, Any]]:
    """Athletes whose names or country contain ``search`` (case and accents ignored), by
    long name, each with the headline figures of its finished matches on every court
    (a match loaded twice counts once, its last finished load: as a station counts)."""
    found = await people.search(conn, search, limit)
    if not found:
        return []
    wanted = {"people": [row[0] for row in found]}
    rows = await (await conn.execute(_TOTALS, wanted)).fetchall()
    unfolded = [(int(r[1]), int(r[2])) for r in rows if r[0] is None]
    if unfolded:
        await summaries(conn, unfolded, read=False)
        rows = await (await conn.execute(_TOTALS, wanted)).fetchall()
    totals = {person: (int(n), int(won), int(pf), int(pa)) for person, n, won, pf, pa in rows
              if person is not None}
    return [headline_row(AthleteRef(ident, short, long, country),
                         *totals.get(ident, (0, 0, 0, 0)))
            for ident, short, long, country in found]


async def athlete(conn: psycopg.AsyncConnection, ident: int) -> dict[str, Any] | None:
    """An athlete's figures over every court (the station's athlete body); None when no
    court has an athlete of that id."""
    person = await people.find(conn, ident)
    if person is None:
        return None
    _id, short, long, country = person
    refs = await _athlete_refs(conn, ident)
    missing = await summaries(conn, [(r[0], r[1]) for r in refs if r[-1] is None])
    rows = [(_ref(r), r[-1] if r[-1] is not None else missing[(r[0], r[1])]) for r in refs]
    report = athlete_report(AthleteRef(ident, short, long, country), rows)
    return {**report, "courts": sorted({r[_COURT] for r in refs})}


def _args(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}
