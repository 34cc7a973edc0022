"""The hub's athletes: each one once, as long name + country, whatever court it fought on.

Its hub id is made of those two (`athlete_id`: the same on every hub, and in the
database — the migration that made ``people`` computes it in SQL the same way). Each
upload's athlete rows are added (``people_rows``, by the ingest); ``folded`` keeps the
names without case and accents for the search, as a station's search folds them (the
rows a migration copied are folded when the hub starts: `fill_names`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg

from restrike.analytics.model import unaccent
from restrike.hub.server.ids import name_id

__all__ = ["UPSERT", "athlete_id", "fill_names", "find", "people_rows", "search"]

UPSERT = ("INSERT INTO people (id, long_name, country, short_name, folded) "
          "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
          "short_name = excluded.short_name, folded = excluded.folded "
          "WHERE people.short_name IS DISTINCT FROM excluded.short_name")
_COLUMNS = "id, short_name, long_name, country"


def athlete_id(long_name: str, country: str) -> int:
    """The hub's id of an athlete: 52 bits of the MD5 of long name and country (exact
    in a browser's numbers)."""
    return name_id(long_name, country)


def _folded(short: str, long: str, country: str) -> str:
    return unaccent(f"{short} {long} {country}")


def people_rows(athletes: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """``UPSERT``'s rows for athlete rows ``(id, short_name, long_name, country)``."""
    return sorted((athlete_id(long, country), long, country, short,  # one lock order
                   _folded(short, long, country)) for _id, short, long, country in athletes)


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
