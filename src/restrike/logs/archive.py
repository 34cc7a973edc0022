"""Rotated logs compressed into monthly archives, kept by age and by size.

The station's log file rotates at ``log.max_bytes``; the newest ``log.backups`` rotated
files stay as they are (`restrike.log.1` ...), and the one that would have been deleted
goes instead into `logs/archive/restrike-YYYY-MM.zip` (the month of its last line), as
`restrike-YYYYMMDD-HHMMSS.log`. The compression runs on a short-lived thread, never on
the thread that logged. Archives older than ``log.archive_days`` are deleted, and then
the oldest ones while all of them together exceed ``log.archive_mb``.
"""

from __future__ import annotations

import logging.handlers
import os
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

__all__ = ["ARCHIVE_DIR", "ArchivingFileHandler", "LogArchive", "archive_name", "to_delete"]

ARCHIVE_DIR = "archive"
_ARCHIVE = re.compile(r"^restrike-(\d{4})-(\d{2})\.zip$")
_PENDING = ".pending-"


def archive_name(t: float) -> str:
    """The monthly archive a log whose last line was written at ``t`` goes into."""
    return datetime.fromtimestamp(t).strftime("restrike-%Y-%m.zip")


def to_delete(archives: list[tuple[str, int]], now: float, *, max_days: int,
              max_bytes: int) -> list[str]:
    """Names of the archives (name, size) to delete: whole months older than
    ``max_days``, then the oldest while the rest exceed ``max_bytes`` (the current month's
    archive is kept)."""
    dated = sorted((n, s) for n, s in archives if _ARCHIVE.match(n))
    cutoff = datetime.fromtimestamp(now - max_days * 86400)
    doomed: list[str] = []
    for name, _size in dated:
        match = _ARCHIVE.match(name)
        assert match is not None
        year, month = int(match[1]), int(match[2])
        month_end = datetime(year + month // 12, month % 12 + 1, 1)
        if month_end <= cutoff:
            doomed.append(name)
    kept = [(n, s) for n, s in dated if n not in doomed]
    total = sum(s for _, s in kept)
    current = archive_name(now)
    for name, size in kept:
        if total <= max_bytes or name == current:
            break
        doomed.append(name)
        total -= size
    return doomed


class LogArchive:
    """The archive folder: takes rotated files and compresses them in the background."""

    def __init__(self, folder: Path, *, max_days: int = 90, max_bytes: int = 500 << 20) -> None:
        self.folder = folder
        self.max_days = max_days
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def take(self, path: Path) -> None:
        """Move a rotated file aside (a rename, at once) and compress it in the background."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y%m%d-%H%M%S")
        target = self.folder / f"{_PENDING}{stamp}-{time.monotonic_ns()}.log"
        os.replace(path, target)
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self.compress_pending,
                                                name="log-archive", daemon=True)
                self._worker.start()

    def wait(self, timeout: float = 30.0) -> None:
        """Let the background compression finish (closing the log, tests)."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def compress_pending(self) -> None:
        """Every file moved aside into its monthly archive, then the retention."""
        with self._lock:  # one compression at a time, rotations meanwhile only queue files
            for pending in sorted(self.folder.glob(f"{_PENDING}*.log")):
                try:
                    self._add(pending)
                except OSError as err:  # a full disk: the file stays pending, tried next time
                    _stderr_note(f"cannot archive {pending}: {err}")
            self.prune(time.time())

    def _add(self, pending: Path) -> None:
        mtime = pending.stat().st_mtime
        member = "restrike-" + pending.name[len(_PENDING):len(_PENDING) + 15] + ".log"
        with zipfile.ZipFile(self.folder / archive_name(mtime), "a",
                             zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            names = set(archive.namelist())
            count = 1
            while member in names:  # several rotations in one second
                count += 1
                member = f"{member.split('.', 1)[0].split('~', 1)[0]}~{count}.log"
            archive.write(pending, member)
        pending.unlink()

    def prune(self, now: float) -> None:
        sizes = [(p.name, p.stat().st_size) for p in self.folder.glob("restrike-*.zip")]
        for name in to_delete(sizes, now, max_days=self.max_days, max_bytes=self.max_bytes):
            try:
                (self.folder / name).unlink()
            except OSError as err:
                _stderr_note(f"cannot delete the old log archive {name}: {err}")

    def archives(self) -> Iterator[Path]:
        """The monthly archives, newest first."""
        return iter(sorted(self.folder.glob("restrike-*.zip"), reverse=True))


def _stderr_note(text: str) -> None:
    """Problems of the log archive itself cannot be logged through the log being rotated."""
    handler = logging.lastResort or logging.StreamHandler()
    handler.handle(logging.makeLogRecord({"msg": text, "levelno": logging.WARNING,
                                          "levelname": "WARNING"}))


class ArchivingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file handler whose oldest rotated file goes to the `LogArchive`
    instead of being deleted (with ``backups`` 0 the log itself goes there)."""

    def __init__(self, path: Path, *, max_bytes: int, backups: int,
                 archive: LogArchive) -> None:
        super().__init__(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        self.archive = archive

    def doRollover(self) -> None:
        if self.stream:
            self.stream.close()
            self.stream = None
        base = self.baseFilename
        oldest = f"{base}.{self.backupCount}" if self.backupCount > 0 else base
        try:
            if os.path.exists(oldest):
                self.archive.take(Path(oldest))
            for i in range(self.backupCount - 1, 0, -1):
                if os.path.exists(f"{base}.{i}"):
                    os.replace(f"{base}.{i}", f"{base}.{i + 1}")
            if self.backupCount > 0 and os.path.exists(base):
                os.replace(base, f"{base}.1")
        except OSError as err:
            _stderr_note(f"cannot rotate the log {base}: {err}")
        if not self.delay:
            self.stream = self._open()

    def close(self) -> None:
        super().close()
        self.archive.wait()
