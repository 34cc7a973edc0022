"""Making a backup of a data folder, consistent while the station writes to it.

The database is copied with SQLite's online backup API in one step: that copy is a
read transaction, so it sees exactly the commits made before it began, while the
station's writer goes on committing (WAL readers do not block the writer). Next to it:
the settings file, the operator token, an edited protocol definition, the clip index
(`clips.json`) and, with ``with_clips``, the clip files. The ZIP is written beside its
target and renamed into place, so a failed backup never leaves half a file there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from restrike import __version__
from restrike.backup.manifest import MANIFEST, Kind, Manifest, Member, sha256_of
from restrike.errors import BackupError
from restrike.store.component import DB_FILE

__all__ = ["BackupSources", "create_backup", "snapshot_database"]

log = logging.getLogger(__name__)

TOKEN_FILE = "http-token"
PROTOCOL_FILE = "protocol.wtp"
SETTINGS_FILE = "restrike.toml"


@dataclass(frozen=True, slots=True)
class BackupSources:
    """What to back up: the data folder, and the files the station's settings name."""

    data_dir: Path
    config_file: Path | None = None  # None: <data_dir>/restrike.toml if there is one
    recordings_root: Path | None = None  # None: <data_dir>/recordings

    @property
    def database(self) -> Path:
        return self.data_dir / DB_FILE

    @property
    def recordings(self) -> Path:
        return self.recordings_root or self.data_dir / "recordings"


def snapshot_database(source: Path, target: Path) -> None:
    """Copy the database at ``source`` (in use or not) to a new file ``target``."""
    if not source.is_file():
        raise BackupError(f"{source}: no database to back up")
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise BackupError(f"{source}: cannot open the database: {err}") from err
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # all pages in one step: one consistent snapshot
            row = dst.execute("PRAGMA quick_check").fetchone()
            if row is None or row[0] != "ok":
                raise BackupError(f"{source}: the database is damaged ({row})")
        finally:
            dst.close()
    except sqlite3.Error as err:
        raise BackupError(f"{source}: cannot copy the database: {err}") from err
    finally:
        src.close()


def _counts(db: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                for t in ("datagrams", "events", "matches", "tournaments", "days", "clips")
                if t in tables}


def _clip_index(db: Path) -> list[dict[str, object]]:
    """Every clip the archive knows, with whether its file is on this disk now."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'clips'").fetchone() is None:
            return []
        rows = conn.execute("SELECT id, day, match, match_title, requested_by, requested_at, "
                            "decision, path FROM clips ORDER BY id").fetchall()
    out: list[dict[str, object]] = []
    for row in rows:
        path = Path(row[7]) if row[7] else None
        exists = path is not None and path.is_file()
        out.append({"id": row[0], "day": row[1], "match": row[2], "title": row[3],
                    "requested_by": row[4], "requested_at": row[5], "decision": row[6],
                    "path": row[7], "exists": exists,
                    "size": path.stat().st_size if path is not None and exists else None})
    return out


def _clip_target(clip: dict[str, object], recordings: Path) -> str:
    """Where a clip goes in the restored data folder: the same place under
    ``recordings/`` when it was under the recordings folder, else ``recordings/clips/``."""
    path = Path(str(clip["path"]))
    try:
        rel = path.resolve().relative_to(recordings.resolve())
        return "recordings/" + rel.as_posix()
    except ValueError:
        return f"recordings/clips/{clip['id']}-{path.name}"


class _Writer:
    """Members into the ZIP, each with its checksum and target."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.members: list[Member] = []

    def add_file(self, path: Path, name: str, kind: Kind, target: str, *,
                 compress: bool = True) -> None:
        with path.open("rb") as stream:
            digest = sha256_of(stream)
        self.archive.write(path, name, zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
        self.members.append(Member(name, kind, target, path.stat().st_size, digest, str(path)))

    def add_bytes(self, data: bytes, name: str, kind: Kind, target: str) -> None:
        self.archive.writestr(name, data, zipfile.ZIP_DEFLATED)
        self.members.append(Member(name, kind, target, len(data),
                                   hashlib.sha256(data).hexdigest()))


def _side_files(sources: BackupSources) -> Iterator[tuple[Path, Kind, str]]:
    settings = sources.config_file or sources.data_dir / SETTINGS_FILE
    if settings.is_file():
        yield settings, "settings", SETTINGS_FILE
    sides: tuple[tuple[str, Kind], ...] = ((TOKEN_FILE, "token"), (PROTOCOL_FILE, "protocol"))
    for name, kind in sides:
        path = sources.data_dir / name
        if path.is_file():
            yield path, kind, name


def create_backup(sources: BackupSources, to: Path, *, with_clips: bool = False) -> Manifest:
    """Write the backup of ``sources`` to ``to`` (replaced if it exists); its manifest."""
    to.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restrike-backup-", dir=to.parent) as work:
        db = Path(work) / DB_FILE
        snapshot_database(sources.database, db)
        partial = Path(work) / (to.name + ".partial")
        try:
            with zipfile.ZipFile(partial, "w") as archive:
                writer = _Writer(archive)
                writer.add_file(db, DB_FILE, "database", DB_FILE)
                for path, kind, target in _side_files(sources):
                    writer.add_file(path, f"files/{target}", kind, target)
                clips = _clip_index(db)
                if with_clips:
                    _add_clips(writer, clips, sources.recordings)
                writer.add_bytes(json.dumps(clips, indent=1).encode(), "clips.json",
                                 "clip_index", "clips.json")
                manifest = Manifest(datetime.now(UTC).isoformat(timespec="seconds"),
                                    __version__, str(sources.data_dir),
                                    tuple(writer.members), _counts(db))
                archive.writestr(MANIFEST, manifest.to_json())
            os.replace(partial, to)
        except OSError as err:
            raise BackupError(f"{to}: cannot write the backup: {err.strerror or err}") from err
    log.info("backup of %s written to %s (%d files)", sources.data_dir, to,
             len(manifest.members))
    return manifest


def _add_clips(writer: _Writer, clips: list[dict[str, object]], recordings: Path) -> None:
    for clip in clips:
        if not clip["exists"]:
            continue
        target = _clip_target(clip, recordings)
        path = Path(str(clip["path"]))
        writer.add_file(path, f"clips/{clip['id']}-{path.name}", "clip", target,
                        compress=False)  # video does not compress
        clip["backup_target"] = target
