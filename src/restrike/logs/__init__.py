"""Logging for the station: rotating file, console, per-component levels, a live tail.

``setup_logging`` is called once by ``restrike run``. Rotated files go into monthly
archives (`restrike.logs.archive`), which ``GET /api/v1/logs/search`` reads too
(`restrike.logs.search`). Components only ever do
``logging.getLogger(__name__)``; the level of a component is set by logger-name
prefix (``{"restrike.ingest": "DEBUG", "uvicorn.access": "WARNING"}``). The
`RingBufferHandler` keeps the last records in memory for ``GET /api/v1/logs``.

Every handler masks the credentials of URLs in what it writes (`restrike.secrets`),
whoever logged them. A log folder that cannot be written does not stop the station:
the log goes to stderr (and the tail) and the first line says why.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from restrike.logs.archive import ARCHIVE_DIR, ArchivingFileHandler, LogArchive
from restrike.secrets import mask_url

__all__ = ["LOG_FILE", "RingBufferHandler", "level_number", "ring_buffer", "setup_logging"]

LOG_FILE = "restrike.log"
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def level_number(level: str | int) -> int:
    """``"info"`` → 20; raises ValueError naming the level when it is not one."""
    if isinstance(level, int):
        return level
    name = level.strip().upper()
    if name not in _LEVELS:
        raise ValueError(f"unknown log level {level!r} (one of {', '.join(_LEVELS)})")
    return int(logging.getLevelName(name))


class RingBufferHandler(logging.Handler):
    """The last ``capacity`` records as dicts, for the console's live log tail."""

    def __init__(self, capacity: int = 1000) -> None:
        super().__init__()
        self._records: collections.deque[dict[str, Any]] = collections.deque(maxlen=capacity)
        self._lock_ = threading.Lock()
        self._next_id = 1

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[0] is not None:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
            entry = {
                "time": datetime.fromtimestamp(record.created, UTC)
                .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "level": record.levelname,
                "levelno": record.levelno,
                "logger": record.name,
                "thread": record.threadName,
                "message": mask_url(message),
            }
            with self._lock_:
                entry["id"] = self._next_id
                self._next_id += 1
                self._records.append(entry)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)

    def tail(self, level: int = logging.NOTSET, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first, at most ``limit`` records at ``level`` or above."""
        with self._lock_:
            records = list(self._records)
        out = []
        for entry in reversed(records):
            if entry["levelno"] >= level:
                out.append({k: v for k, v in entry.items() if k != "levelno"})
                if len(out) >= limit:
                    break
        return out


class _MaskingFormatter(logging.Formatter):
    """The usual format, then URL credentials masked (message and traceback alike)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_url(super().format(record))


_ring = RingBufferHandler()


def ring_buffer() -> RingBufferHandler:
    """The process-wide tail handler (installed by `setup_logging`)."""
    return _ring


def setup_logging(*, level: str | int = "INFO", levels: Mapping[str, str | int] | None = None,
                  log_dir: Path | None = None, max_bytes: int = 5_000_000, backups: int = 5,
                  archive_days: int = 90, archive_mb: int = 500,
                  console: bool = True) -> Path | None:
    """Install the handlers on the root logger; returns the log file path (if any).

    Rotated files beyond ``backups`` go into monthly archives in ``<log_dir>/archive``
    (`restrike.logs.archive`), kept ``archive_days`` and ``archive_mb`` at most.

    Idempotent: handlers this function installed before are replaced. If ``log_dir``
    cannot be written, returns None and logs to stderr (even with ``console`` off).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_restrike", False):
            root.removeHandler(handler)
            handler.close()
    base = level_number(level)
    formatter = _MaskingFormatter(_FORMAT)
    formatter.default_msec_format = "%s.%03d"
    handlers: list[logging.Handler] = []
    path: Path | None = None
    problem: str | None = None
    if log_dir is not None:
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            archive = LogArchive(log_dir / ARCHIVE_DIR, max_days=archive_days,
                                 max_bytes=archive_mb << 20)
            handlers.append(ArchivingFileHandler(log_dir / LOG_FILE, max_bytes=max_bytes,
                                                 backups=backups, archive=archive))
            path = log_dir / LOG_FILE
        except OSError as err:
            problem = f"cannot write the log file in {log_dir}: {err.strerror or err}"
    if console or problem:
        handlers.append(logging.StreamHandler())  # stderr
    handlers.append(_ring)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler._restrike = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # The root level filters records of every logger without its own level.
    root.setLevel(base)
    for prefix, value in (levels or {}).items():
        logging.getLogger(prefix).setLevel(level_number(value))
    logging.captureWarnings(False)
    if problem:
        logging.getLogger(__name__).error("%s; logging to stderr only", problem)
    return path
