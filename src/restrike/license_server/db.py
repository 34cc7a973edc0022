"""The licence server's database: keys, their seats, and the audit of every request.

SQLite in the server's folder (WAL), or PostgreSQL when given a ``postgresql://`` URL
(psycopg). Keys are stored hashed (`restrike.license.tokens.key_id`): the key itself
is printed once, when it is created. Every call runs under one lock on one
connection (the server's requests are few and short). A refusal is a `LicenseError`
whose ``kind`` the HTTP layer answers with (``unknown_key``, ``revoked``,
``expired``, ``no_seat``, ``not_activated``).
"""

from __future__ import annotations

import secrets
import sqlite3
import string
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restrike.errors import LicenseError
from restrike.license.tokens import key_id, normalise_key

__all__ = ["DB_FILE", "KeyRow", "LicenseDB", "new_key"]

DB_FILE = "licenses.sqlite3"
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS keys (
        id TEXT PRIMARY KEY, created_at DOUBLE PRECISION NOT NULL,
        seats INTEGER NOT NULL, expires_at DOUBLE PRECISION,
        revoked_at DOUBLE PRECISION, note TEXT NOT NULL DEFAULT '')""",
    """CREATE TABLE IF NOT EXISTS seats (
        key_id TEXT NOT NULL REFERENCES keys(id), fingerprint TEXT NOT NULL,
        activated_at DOUBLE PRECISION NOT NULL, last_validated DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (key_id, fingerprint))""",
    """CREATE TABLE IF NOT EXISTS audit (
        at DOUBLE PRECISION NOT NULL, action TEXT NOT NULL, key_id TEXT,
        fingerprint TEXT, client TEXT, outcome TEXT NOT NULL, detail TEXT)""",
)
_ALPHABET = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"


def new_key() -> str:
    """A fresh key: ``RSTK-`` and four groups of five unambiguous characters."""
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(4))
    return "RSTK-" + "-".join(groups)


@dataclass(frozen=True, slots=True)
class KeyRow:
    id: str
    created_at: float
    seats: int
    expires_at: float | None
    revoked_at: float | None
    note: str
    used: int

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "created_at": self.created_at, "seats": self.seats,
                "used": self.used, "expires_at": self.expires_at,
                "revoked_at": self.revoked_at, "note": self.note}


class LicenseDB:
    """``LicenseDB(folder)`` (SQLite) or ``LicenseDB(folder, url="postgresql://...")``."""

    def __init__(self, folder: Path, *, url: str | None = None) -> None:
        self._lock = threading.Lock()
        self._pg = bool(url and url.startswith(("postgresql://", "postgres://")))
        try:
            if self._pg:
                import psycopg

                self._conn: Any = psycopg.connect(url or "", autocommit=False)
            else:
                folder.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(folder / DB_FILE, check_same_thread=False,
                                             isolation_level=None)
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA busy_timeout=5000")
            with self._tx() as cur:
                for statement in _SCHEMA:
                    cur.execute(statement)
        except (sqlite3.Error, OSError, ImportError) as err:
            raise LicenseError(f"cannot open the licence database in {folder}: {err}",
                               kind="database") from err
        except Exception as err:  # psycopg's errors (no import when unused)
            raise LicenseError(f"cannot open the licence database {url}: {err}",
                               kind="database") from err

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[_Cursor]:
        """One transaction under the lock; placeholders written ``?`` for both."""
        with self._lock:
            if not self._pg:
                self._conn.execute("BEGIN IMMEDIATE")
            cur = _Cursor(self._conn.cursor(), self._pg)
            try:
                yield cur
            except BaseException:
                self._conn.rollback()
                raise
            self._conn.commit()

    # -- admin --

    def create_key(self, *, seats: int, days: float | None, now: float, note: str = ""
                   ) -> str:
        key = new_key()
        expires = None if days is None else now + days * 86_400
        with self._tx() as cur:
            cur.execute("INSERT INTO keys (id, created_at, seats, expires_at, note) "
                        "VALUES (?, ?, ?, ?, ?)", (key_id(key), now, seats, expires, note))
            _audit(cur, now, "create", key_id(key), None, None, "ok", f"seats={seats}")
        return key

    def keys(self) -> list[KeyRow]:
        with self._tx() as cur:
            cur.execute("SELECT k.id, k.created_at, k.seats, k.expires_at, k.revoked_at, "
                        "k.note, (SELECT COUNT(*) FROM seats s WHERE s.key_id = k.id) "
                        "FROM keys k ORDER BY k.created_at")
            return [KeyRow(*row) for row in cur.fetchall()]

    def _find(self, cur: _Cursor, key_or_id: str) -> str:
        text = key_or_id.strip()
        ident = text.lower() if len(text) == 24 and "-" not in text else key_id(text)
        cur.execute("SELECT id FROM keys WHERE id = ?", (ident,))
        if cur.fetchone() is None:
            raise LicenseError(f"no such key: {key_or_id}", kind="unknown_key")
        return ident

    def revoke(self, key_or_id: str, *, now: float) -> str:
        with self._tx() as cur:
            ident = self._find(cur, key_or_id)
            cur.execute("UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                        (now, ident))
            _audit(cur, now, "revoke", ident, None, None, "ok", None)
        return ident

    def reset(self, key_or_id: str, *, now: float) -> int:
        """Free every seat of the key; how many were freed."""
        with self._tx() as cur:
            ident = self._find(cur, key_or_id)
            cur.execute("DELETE FROM seats WHERE key_id = ?", (ident,))
            freed = int(cur.rowcount)
            _audit(cur, now, "reset", ident, None, None, "ok", f"freed={freed}")
        return freed

    def audit(self, limit: int = 100) -> list[tuple[Any, ...]]:
        with self._tx() as cur:
            cur.execute("SELECT at, action, key_id, fingerprint, client, outcome, detail "
                        "FROM audit ORDER BY at DESC LIMIT ?", (limit,))
            return list(cur.fetchall())

    # -- what the stations ask --

    def _usable(self, cur: _Cursor, key: str, now: float) -> KeyRow:
        try:
            ident = key_id(key)
        except LicenseError as err:
            raise LicenseError("this is not a licence key: check it", kind="unknown_key"
                               ) from err
        cur.execute("SELECT id, created_at, seats, expires_at, revoked_at, note, 0 "
                    "FROM keys WHERE id = ?", (ident,))
        found = cur.fetchone()
        if found is None:
            raise LicenseError("this licence server does not know that key: check it, or "
                               "ask your organiser for one", kind="unknown_key")
        row = KeyRow(*found)
        if row.revoked_at is not None:
            raise LicenseError("this key was revoked: ask your organiser for a new one",
                               kind="revoked")
        if row.expires_at is not None and now >= row.expires_at:
            raise LicenseError("this licence has ended: ask your organiser to renew it",
                               kind="expired")
        return row

    def activate(self, key: str, fingerprint: str, *, client: str, now: float) -> KeyRow:
        """A seat for ``fingerprint`` (the same machine again keeps its seat)."""
        return self._step("activate", key, fingerprint, client, now)

    def validate(self, key: str, fingerprint: str, *, client: str, now: float) -> KeyRow:
        return self._step("validate", key, fingerprint, client, now)

    def deactivate(self, key: str, fingerprint: str, *, client: str, now: float) -> KeyRow:
        return self._step("deactivate", key, fingerprint, client, now)

    def _step(self, action: str, key: str, fingerprint: str, client: str, now: float
              ) -> KeyRow:
        try:
            with self._tx() as cur:
                row = self._usable(cur, key, now)
                cur.execute("SELECT fingerprint FROM seats WHERE key_id = ?", (row.id,))
                taken = {r[0] for r in cur.fetchall()}
                if action == "activate":
                    if fingerprint not in taken and len(taken) >= row.seats:
                        raise LicenseError(
                            f"all {row.seats} seat(s) of this key are in use: deactivate "
                            "another machine, or ask your organiser to reset the key",
                            kind="no_seat")
                    cur.execute("DELETE FROM seats WHERE key_id = ? AND fingerprint = ?",
                                (row.id, fingerprint))
                    cur.execute("INSERT INTO seats VALUES (?, ?, ?, ?)",
                                (row.id, fingerprint, now, now))
                elif fingerprint not in taken:
                    raise LicenseError("this machine is not activated for that key (its "
                                       "seat was freed): activate it again",
                                       kind="not_activated")
                elif action == "validate":
                    cur.execute("UPDATE seats SET last_validated = ? WHERE key_id = ? AND "
                                "fingerprint = ?", (now, row.id, fingerprint))
                else:
                    cur.execute("DELETE FROM seats WHERE key_id = ? AND fingerprint = ?",
                                (row.id, fingerprint))
                _audit(cur, now, action, row.id, fingerprint, client, "ok", None)
                return row
        except LicenseError as err:
            self._audit_refusal(action, key, fingerprint, client, now, err)
            raise

    def _audit_refusal(self, action: str, key: str, fingerprint: str, client: str,
                       now: float, err: LicenseError) -> None:
        try:
            ident: str | None = key_id(normalise_key(key))
        except LicenseError:
            ident = None
        with self._tx() as cur:
            _audit(cur, now, action, ident, fingerprint, client, err.kind, str(err))


class _Cursor:
    """A DB-API cursor taking ``?`` placeholders for SQLite and PostgreSQL alike."""

    def __init__(self, cursor: Any, pg: bool) -> None:
        self._cursor = cursor
        self._pg = pg

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(sql.replace("?", "%s") if self._pg else sql, tuple(params))

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._cursor.fetchall()]

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)


def _audit(cur: _Cursor, at: float, action: str, key: str | None, fingerprint: str | None,
           client: str | None, outcome: str, detail: str | None) -> None:
    cur.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?)",
                (at, action, key, fingerprint, client, outcome, detail))
