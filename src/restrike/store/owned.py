"""Tables owned by other parts and plugins, migrated step by step in the store's database.

A part (the analytics, a plugin) keeps its own tables next to the feed's without a
migration file in the store: ``store.migrate(owner, steps)`` runs on the writer
thread, inside its transaction, the steps of ``owner`` not applied yet. Each step is
one SQL statement; the number applied is remembered per owner in ``owned_schema``, so
a step runs exactly once and a part only ever appends steps.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Sequence

from restrike.errors import StoreError

__all__ = ["apply_owned_steps"]

_OWNER = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


def apply_owned_steps(conn: sqlite3.Connection, owner: str, steps: Sequence[str]) -> int:
    """Apply the steps of ``owner`` not applied yet; the owner's version after it.

    StoreError for a bad owner name, for fewer steps than already applied (a part went
    back to an older version) or for a step that is not exactly one statement.
    """
    if not _OWNER.match(owner):
        raise StoreError(f"owned tables: {owner!r} is not an owner name (a-z, 0-9, _ . -)")
    conn.execute("CREATE TABLE IF NOT EXISTS owned_schema ("
                 "owner TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_at REAL NOT NULL)")
    row = conn.execute("SELECT version FROM owned_schema WHERE owner = ?", (owner,)).fetchone()
    applied = int(row[0]) if row else 0
    if applied > len(steps):
        raise StoreError(f"owned tables of {owner!r}: the database is at step {applied}, "
                         f"this version knows {len(steps)} — a newer version wrote it")
    for number, sql in enumerate(steps[applied:], start=applied + 1):
        try:
            conn.execute(sql)
        except (sqlite3.Error, sqlite3.Warning) as err:  # Warning: several statements
            raise StoreError(f"owned tables of {owner!r}: step {number} failed: {err}") from err
    if len(steps) != applied:
        conn.execute("INSERT INTO owned_schema(owner, version, applied_at) VALUES (?, ?, ?) "
                     "ON CONFLICT(owner) DO UPDATE SET version = excluded.version, "
                     "applied_at = excluded.applied_at", (owner, len(steps), time.time()))
    return len(steps)
