"""Datagrams the database cannot take now, appended to ``spill-<day>.jsonl`` files.

A spill file is a capture file (`restrike.protocol.capture`) the operator re-imports
once the database is written again. It is written to the data folder; when that
cannot be written either (the same read-only folder or full disk that stopped the
database), to the next folder of the list (the system's temporary folder). A folder
that failed is not tried again for a while, so a flood does not turn into an error
per datagram.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from restrike.protocol.capture import format_capture_line
from restrike.store.types import Received

__all__ = ["Spill", "fallback_spill_dir"]

log = logging.getLogger(__name__)

#: Seconds before a folder that could not be written is tried again.
_RETRY_FOLDER = 30.0


def fallback_spill_dir() -> Path:
    """Where datagrams go when the data folder cannot be written."""
    return Path(tempfile.gettempdir()) / "restrike-spill"


class Spill:
    """Appends datagrams to today's spill file in the first folder that can be written."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = [Path(f) for f in folders]
        self.count = 0
        self.path: Path | None = None
        self._file: TextIO | None = None
        self._failed: dict[Path, float] = {}  # folder → when it failed
        self._lock = threading.Lock()

    def append(self, items: Sequence[Received]) -> bool:
        """Append ``items`` in order (thread-safe); False if no folder takes them."""
        with self._lock:
            try:
                for item in items:
                    day = time.strftime("%Y-%m-%d", time.localtime(item.received_at))
                    stream = self._stream(f"spill-{day}.jsonl")
                    if stream is None:
                        return False
                    stream.write(format_capture_line(item.received_at, item.data) + "\n")
                    self.count += 1
                if self._file is not None:
                    self._file.flush()
            except OSError as err:
                self._folder_failed(err)
                return False
        return True

    def _stream(self, name: str) -> TextIO | None:
        if self._file is not None and self.path is not None and self.path.name == name:
            return self._file
        self._close_file()
        now = time.monotonic()
        for folder in self.folders:
            if now - self._failed.get(folder, -_RETRY_FOLDER) < _RETRY_FOLDER:
                continue
            path = folder / name
            try:
                folder.mkdir(parents=True, exist_ok=True)
                self._file = path.open("a", encoding="utf-8", newline="\n")
            except OSError as err:
                self._failed[folder] = now
                log.error("store: cannot spill datagrams to %s: %s", path, err.strerror or err)
                continue
            self.path = path
            log.error("store: datagrams the database cannot take now are appended to %s "
                      "(a capture file to re-import)", path)
            return self._file
        return None

    def _folder_failed(self, err: OSError) -> None:
        if self.path is not None:
            self._failed[self.path.parent] = time.monotonic()
            log.error("store: cannot spill datagrams to %s: %s", self.path, err.strerror or err)
        self._close_file()

    def _close_file(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError as err:
                log.error("store: closing the spill file %s failed: %s", self.path, err)
            self._file = None

    def close(self) -> None:
        with self._lock:
            self._close_file()
