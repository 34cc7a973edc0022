"""Numbered SQL migrations (`migrations/NNN_name.sql`), applied in order at open.

The database's `PRAGMA user_version` is the number of the last migration applied.
Each migration runs in its own transaction together with the version bump, so a
failure leaves the database at the previous version.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

from restrike.errors import StoreError

__all__ = ["Migration", "apply_migrations", "migrations"]

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The migrations shipped with the package, in order; numbers must run 1, 2, 3..."""
    folder = resources.files("restrike.store").joinpath("migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise StoreError(f"migration {migration.name} is out of sequence (expected {expected})")
    return found


def apply_migrations(conn: sqlite3.Connection, path: str) -> int:
    """Bring the database up to date; returns its version. Needs an autocommit connection."""
    known = migrations()
    latest = known[-1].version if known else 0
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > latest:
        raise StoreError(f"{path}: database version {current} is newer than this reStrike "
                         f"(knows up to {latest}); upgrade reStrike")
    for migration in known[current:]:
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated while we waited for the lock.
                if int(conn.execute("PRAGMA user_version").fetchone()[0]) >= migration.version:
                    conn.execute("ROLLBACK")
                    continue
                log.info("store %s: applying migration %s", path, migration.name)
                for statement in _statements(migration.sql):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {migration.version}")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as err:
            raise StoreError(f"{path}: migration {migration.name} failed: {err}") from err
        current = migration.version
    return max(current, int(conn.execute("PRAGMA user_version").fetchone()[0]))


def _statements(sql: str) -> list[str]:
    """Split a script into statements (executescript would commit our transaction)."""
    out: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                out.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        not part.strip() or part.strip().startswith("--") for part in buffer.splitlines()
    ):
        raise StoreError(f"incomplete SQL statement at the end of a migration: {buffer[:60]!r}")
    return out
