"""Searching the station's log: the current file, the rotated ones and the monthly archives.

Records are read back from the file format `restrike.logs` writes
(``<date> <time>.<ms> <LEVEL> <logger>: <message>``; the lines that follow a record
without that start, a traceback, belong to it) and returned newest first, so the
console's log view can reach back past what the live tail keeps in memory.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from restrike.logs import LOG_FILE
from restrike.logs.archive import ARCHIVE_DIR

__all__ = ["LogHit", "parse_records", "search_logs"]

_START = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[.,]\d{3}) ([A-Z]+) +([^:\s]+): ?")
#: Files a search may read (each up to log.max_bytes, archives member by member).
MAX_SOURCES = 2000


@dataclass(frozen=True, slots=True)
class LogHit:
    time: str
    level: str
    logger: str
    message: str
    file: str  # where it was found: "restrike.log.1", "archive/restrike-2026-05.zip:..."

    def as_dict(self) -> dict[str, str]:
        return {"time": self.time, "level": self.level, "logger": self.logger,
                "message": self.message, "file": self.file}


def parse_records(lines: Iterable[str], file: str) -> list[LogHit]:
    """The records of a log file's lines, in file order."""
    out: list[LogHit] = []
    for line in lines:
        line = line.rstrip("\r\n")
        match = _START.match(line)
        if match:
            out.append(LogHit(match[1], match[2], match[3], line[match.end():], file))
        elif out:  # a continuation (traceback) line
            last = out[-1]
            out[-1] = LogHit(last.time, last.level, last.logger, f"{last.message}\n{line}",
                             file)
    return out


def _sources(log_dir: Path) -> Iterator[tuple[str, list[str]]]:
    """(name, lines) of every log, newest first; unreadable ones are skipped."""
    plain = sorted(log_dir.glob(f"{LOG_FILE}*"), key=_rotation)
    for path in plain:
        try:
            yield path.name, path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
    for archive in sorted((log_dir / ARCHIVE_DIR).glob("restrike-*.zip"), reverse=True):
        try:
            with zipfile.ZipFile(archive) as z:
                for member in sorted(z.namelist(), reverse=True):
                    text = z.read(member).decode("utf-8", errors="replace")
                    yield f"{ARCHIVE_DIR}/{archive.name}:{member}", text.splitlines()
        except (OSError, zipfile.BadZipFile, EOFError):
            continue


def _rotation(path: Path) -> int:
    """`restrike.log` 0, `restrike.log.3` 3 (higher: older)."""
    suffix = path.name[len(LOG_FILE):].lstrip(".")
    return int(suffix) if suffix.isdigit() else (0 if not suffix else 1 << 30)


def search_logs(log_dir: Path, text: str, *, level: int = logging.NOTSET,
                limit: int = 100) -> tuple[list[LogHit], int]:
    """Records at ``level`` or above whose logger or message holds ``text`` (any case),
    newest first, at most ``limit``; and the number of files read."""
    needle = text.casefold()
    hits: list[LogHit] = []
    read = 0
    for name, lines in _sources(log_dir):
        read += 1
        for record in reversed(parse_records(lines, name)):
            number = logging.getLevelName(record.level)
            if isinstance(number, int) and number < level:
                continue
            if needle in record.message.casefold() or needle in record.logger.casefold():
                hits.append(record)
                if len(hits) >= limit:
                    return hits, read
        if read >= MAX_SOURCES:
            break
    return hits, read
