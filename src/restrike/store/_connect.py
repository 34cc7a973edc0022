"""Opening SQLite connections the way the store needs them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from restrike.errors import StoreError

__all__ = ["BUSY_TIMEOUT", "connect"]

#: Seconds a connection waits for another process's lock before giving up.
BUSY_TIMEOUT = 5.0


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """An autocommit connection (we issue BEGIN ourselves), tuned for the store."""
    try:
        if read_only:
            uri = path.resolve().as_uri() + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None,
                                   check_same_thread=False, timeout=BUSY_TIMEOUT)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                   timeout=BUSY_TIMEOUT)
        try:
            if not read_only:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"{path}: cannot use WAL journal mode (got {mode})")
                conn.execute("PRAGMA synchronous = NORMAL")
            # References are declared in the schema but not enforced: the single writer
            # creates parents before children, and the checks cost a third of insert time.
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except BaseException:
            conn.close()
            raise
    except sqlite3.Error as err:
        raise StoreError(f"cannot open the database {path}: {err}") from err
    except OSError as err:
        raise StoreError(f"cannot create the folder of {path}: {err}") from err
    return conn
