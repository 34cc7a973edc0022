"""The hub's athletes: each one once, as long name + country, whatever court it fought on.

Its hub id is made of those two (`athlete_id`: the same on every hub, and in the
database — the migration that made ``people`` computes it in SQL the same way). Each
upload's athlete rows are added (``people_writes``, by the ingest); ``folded`` keeps the
names without case and accents for the search, as a station's search folds them (the
rows a migration copied are folded when the hub starts: `fill_names`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg

from restrike.analytics.model import unaccent
from restrike.hub.server.ids import name_id

__all__ = ["athlete_id", "fill_names", "find", "people_writes", "search"]

#: Each athlete once: added when new (a row that is there is not locked), its newest
#: short name written only when it changed. (An upsert's ON CONFLICT DO UPDATE locks
#: the row even when nothing changes: courts uploading one athlete waited on each other.)
_ADD = ("INSERT INTO people (id, long_name, country, short_name, folded) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING")
_RENAME = ("UPDATE people SET short_name = %s, folded = %s WHERE id = %s "
           "AND short_name IS DISTINCT FROM %s")
_COLUMNS = "id, short_name, long_name, country"


def athlete_id(long_name: str, country: str) -> int:
    """The hub's id of an athlete: 52 bits of the MD5 of long name and country (exact
    in a browser's numbers)."""
    return name_id(long_name, country)


def _folded(short: str, long: str, country: str) -> str:
    return unaccent(f"{short} {long} {country}")


def people_writes(athletes: Iterable[tuple[Any, ...]]
                  ) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """The statements and rows that add athlete rows ``(id, short_name, long_name,
    country)`` to ``people`` (run in order, each with ``executemany``)."""
    rows = sorted((athlete_id(long, country), long, country, short,  # one lock order
                   _folded(short, long, country)) for _id, short, long, country in athletes)
    return [(_ADD, rows),
            (_RENAME, [(short, folded, ident, short)
                       for ident, _long, _country, short, folded in rows])]


def fill_names(conn: psycopg.Connection) -> None:
    """Fold the names the migration copied (it cannot unaccent in SQL): once, at start."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM people WHERE folded IS NULL").fetchall()
    if rows:
        with conn.cursor() as cur:
            cur.executemany("UPDATE people SET folded = %s WHERE id = %s",
                            [(_folded(r[1], r[2], r[3]), r[0]) for r in rows])


async def search(conn: psycopg.AsyncConnection, text: str, limit: int
                 ) -> list[tuple[int, str, str, str]]:
    """(id, short name, long name, country) of the athletes whose names or country contain
    ``text`` (case and accents ignored), by long name as a station sorts (code points)."""
    needle = unaccent(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(await (await conn.execute(
        f"SELECT {_COLUMNS} FROM people WHERE folded LIKE %s ESCAPE '\\' "
        'ORDER BY long_name COLLATE "C", country COLLATE "C" LIMIT %s',
        (f"%{needle}%", limit))).fetchall())


async def find(conn: psycopg.AsyncConnection, ident: int
               ) -> tuple[int, str, str, str] | None:
    """(id, short name, long name, country) of the athlete with that hub id."""
    row = await (await conn.execute(f"SELECT {_COLUMNS} FROM people WHERE id = %s",
                                    (ident,))).fetchone()
    return (int(row[0]), row[1], row[2], row[3]) if row else None
