"""WAL checkpoints on their own thread and connection, so no commit waits for an fsync."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from restrike.errors import StoreError
from restrike.store._connect import connect

__all__ = ["Checkpointer"]

log = logging.getLogger(__name__)


class Checkpointer:
    """PASSIVE checkpoints every ``interval`` seconds: they never block the writer."""

    def __init__(self, path: Path, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once; the database must be open)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="restrike-store-checkpoint",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        try:
            conn = connect(self.path)
        except StoreError:
            log.exception("store: no checkpoint connection; the WAL will grow until close")
            return
        try:
            while not self._stop.wait(self.interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as err:
                    log.warning("store: checkpoint failed: %s", err)
        finally:
            conn.close()
