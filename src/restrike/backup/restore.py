"""Restoring a backup into a data folder: check everything first, then move files in.

`plan_restore` opens the backup, verifies every checksum, extracts it into a staging
folder beside the target and checks the database there (integrity, a schema this
reStrike knows). Only then does `RestorePlan.apply` touch the target: each file is moved
into place with a rename, the old database's WAL files removed first. A damaged or
foreign backup therefore raises `BackupError` before the target is touched at all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from restrike.backup.manifest import Manifest, Member, open_backup
from restrike.errors import BackupError
from restrike.store._migrate import migrations
from restrike.store.component import DB_FILE

__all__ = ["RestorePlan", "plan_restore"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RestorePlan:
    """A verified backup staged next to ``data_dir``, ready to be moved in (or dropped)."""

    backup: Path
    data_dir: Path
    manifest: Manifest
    staging: Path
    present: list[str] = field(default_factory=list)  # what the target holds already

    @property
    def files(self) -> list[Member]:
        """The members that become files of the data folder (not the clip index)."""
        return [m for m in self.manifest.members if m.kind != "clip_index"]

    def describe(self) -> list[str]:
        """What `apply` will do, one line each (for --dry-run and the log)."""
        lines = [f"backup {self.backup}: made {self.manifest.created_at} by reStrike "
                 f"{self.manifest.restrike} from {self.manifest.data_dir}",
                 "contents: " + ", ".join(f"{v} {k}" for k, v in self.manifest.counts.items())]
        for member in self.files:
            target = self.data_dir / member.target
            verb = "replace" if target.exists() else "write"
            lines.append(f"{verb} {target} ({member.kind}, {member.size} bytes)")
        return lines

    def apply(self) -> None:
        """Move the staged files into the data folder; the staging folder is removed."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            for suffix in ("-wal", "-shm"):  # never pair the new file with the old WAL
                (self.data_dir / (DB_FILE + suffix)).unlink(missing_ok=True)
            for member in self.files:
                target = self.data_dir / member.target
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.staging / member.target, target)
        except OSError as err:
            raise BackupError(f"{self.data_dir}: cannot restore into it: "
                              f"{err.strerror or err}") from err
        finally:
            self.discard()
        log.info("restored %s into %s", self.backup, self.data_dir)

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def plan_restore(backup: Path, data_dir: Path, *, replace: bool = False) -> RestorePlan:
    """Verify ``backup`` and stage it for ``data_dir``; BackupError if it cannot be restored.

    The plan's ``present`` lists what the folder holds already (the caller refuses a
    non-empty folder unless told to ``replace``). With ``replace``, a database in use
    there is refused.
    """
    opened = open_backup(str(backup))
    present = sorted(p.name for p in data_dir.iterdir()) if data_dir.is_dir() else []
    if replace and DB_FILE in present:
        _refuse_in_use(data_dir / DB_FILE)
    staging_parent = data_dir.parent if data_dir.parent.exists() else Path(tempfile.gettempdir())
    try:
        staging = Path(tempfile.mkdtemp(prefix=".restrike-restore-", dir=staging_parent))
    except OSError as err:
        raise BackupError(f"{staging_parent}: cannot stage the restore: "
                          f"{err.strerror or err}") from err
    plan = RestorePlan(backup, data_dir, opened.manifest, staging, present)
    try:
        with opened.zip:
            for member in plan.files:
                target = staging / member.target
                target.parent.mkdir(parents=True, exist_ok=True)
                with opened.zip.open(member.name) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        database = [m for m in plan.files if m.kind == "database"]
        if len(database) != 1:
            raise BackupError(f"{backup}: the backup holds no database")
        _check_database(staging / DB_FILE, backup)
        _relocate_clips(staging / DB_FILE, data_dir, plan.files)
    except OSError as err:
        plan.discard()
        raise BackupError(f"{staging}: cannot stage the restore: {err.strerror or err}") from err
    except BaseException:
        plan.discard()
        raise
    return plan


def _refuse_in_use(db: Path) -> None:
    """A station (or anything else) with the database open: refuse to replace it.

    Leaving WAL mode needs the only connection to the file, so it fails while another
    is open; when it succeeds nobody uses the file, which is about to be replaced.
    """
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=0.2)) as conn:
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()
    except sqlite3.Error as err:
        raise BackupError(f"{db}: the database is in use or unreadable ({err}); stop the "
                          "station before restoring") from err
    if mode is None or str(mode[0]).lower() != "delete":
        raise BackupError(f"{db}: the database is in use; stop the station before restoring")


def _check_database(db: Path, backup: Path) -> None:
    known = max((m.version for m in migrations()), default=0)
    try:
        with contextlib.closing(sqlite3.connect(db)) as conn:
            check = conn.execute("PRAGMA integrity_check").fetchone()
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as err:
        raise BackupError(f"{backup}: the backup's database is damaged ({err})") from err
    if check is None or check[0] != "ok":
        raise BackupError(f"{backup}: the backup's database is damaged ({check})")
    if version > known:
        raise BackupError(f"{backup}: the database is of a newer reStrike (schema {version}, "
                          f"this one knows {known}); update reStrike")


def _relocate_clips(db: Path, data_dir: Path, members: list[Member]) -> None:
    """Restored clip files live under the new data folder: the archive says so."""
    moved = [(str(data_dir / m.target), m.original) for m in members if m.kind == "clip"]
    if not moved:
        return
    try:
        with contextlib.closing(sqlite3.connect(db)) as conn, conn:
            conn.executemany("UPDATE clips SET path = ? WHERE path = ?", moved)
    except sqlite3.Error as err:
        raise BackupError(f"{db}: cannot update the clip paths: {err}") from err
