"""Day partials (`restrike.analytics.groups`) kept in ``analytics_day``, checked by a
signature so a day or tournament answer never uses one behind its matches.

The signature of a day is made from its matches and their stored summaries (count,
ids, last events folded, and whether each summary is current). A stored partial is
used when its signature is the day's now; else the day's partial is made on the spot
from its matches' summaries. The updater stores fresh partials of the days it folded.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import tzinfo
from typing import Any

from restrike.analytics.fold import SUMMARY_VERSION
from restrike.analytics.groups import PARTIAL_VERSION, group_partial
from restrike.analytics.tables import match_refs, summaries

__all__ = ["day_partials", "save_days_job", "signature"]


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """The statements inside read one snapshot of the database (a read transaction)."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def signature(conn: sqlite3.Connection, day_id: int) -> str | None:
    """The day's signature now; None while some match of it has no current summary."""
    count, ids, folded, current = conn.execute(
        "SELECT count(*), total(m.id), total(a.last_id), total(a.version = ? AND a.last_id = "
        "coalesce((SELECT max(e.id) FROM events e WHERE e.match_id = m.id), 0)) "
        "FROM matches m LEFT JOIN analytics_match a ON a.match_id = m.id WHERE m.day_id = ?",
        (SUMMARY_VERSION, day_id)).fetchone()
    if current != count:
        return None
    return f"{SUMMARY_VERSION}.{PARTIAL_VERSION}:{count}:{int(ids)}:{int(folded)}"


def _made(conn: sqlite3.Connection, day_id: int, tz: tzinfo | None) -> dict[str, Any]:
    return group_partial(summaries(conn, match_refs(conn, "m.day_id = ?", (day_id,)), tz))


def day_partials(conn: sqlite3.Connection, day_ids: Sequence[int], tz: tzinfo | None = None
                 ) -> list[tuple[int, str | None, Mapping[str, Any], bool]]:
    """Each day's (id, signature, partial, made now): stored when current, else made."""
    out: list[tuple[int, str | None, Mapping[str, Any], bool]] = []
    with snapshot(conn):
        stored = {}
        if day_ids:
            marks = ",".join("?" * len(day_ids))
            stored = {d: (s, p) for d, s, p in conn.execute(
                f"SELECT day_id, signature, partial FROM analytics_day WHERE day_id IN ({marks})",
                list(day_ids))}
        for day_id in day_ids:
            now = signature(conn, day_id)
            kept = stored.get(day_id)
            if now is not None and kept is not None and kept[0] == now:
                out.append((day_id, now, json.loads(kept[1]), False))
            else:
                out.append((day_id, now, _made(conn, day_id, tz), True))
    return out


def save_days_job(days: Sequence[tuple[int, str, Mapping[str, Any]]]
                  ) -> Callable[[sqlite3.Connection], int]:
    """A writer job storing day partials with the signature they were made at."""
    now = time.time()
    rows = [(day_id, sig, json.dumps(partial, separators=(",", ":")), now)
            for day_id, sig, partial in days]

    def job(conn: sqlite3.Connection) -> int:
        conn.executemany("INSERT OR REPLACE INTO analytics_day (day_id, signature, partial, "
                         "updated_at) VALUES (?, ?, ?, ?)", rows)
        return len(rows)

    return job
