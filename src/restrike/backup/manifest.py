"""What a backup file holds and how it is checked before anything is restored.

A backup is a ZIP file with a `manifest.json`: the format name and version, when and
from where it was made, and every other member with its kind, size and SHA-256. A file
that is no ZIP, has no such manifest, names a member outside its own folder, or whose
members do not match their checksums is refused as a whole (`BackupError`).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath
from typing import IO, Literal

from restrike.errors import BackupError

__all__ = ["FORMAT", "MANIFEST", "VERSION", "Manifest", "Member", "open_backup", "sha256_of"]

FORMAT = "restrike-backup"
VERSION = 1
MANIFEST = "manifest.json"
Kind = Literal["database", "settings", "token", "protocol", "clip_index", "clip"]
_KINDS = ("database", "settings", "token", "protocol", "clip_index", "clip")
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Member:
    """One file in the backup: ``name`` in the ZIP, ``target`` relative to the data folder
    it is restored into, ``original`` where it was taken from."""

    name: str
    kind: Kind
    target: str
    size: int
    sha256: str
    original: str = ""


@dataclass(frozen=True, slots=True)
class Manifest:
    created_at: str
    restrike: str
    data_dir: str
    members: tuple[Member, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        body = {"format": FORMAT, "version": VERSION, "created_at": self.created_at,
                "restrike": self.restrike, "data_dir": self.data_dir, "counts": self.counts,
                "members": [asdict(m) for m in self.members]}
        return json.dumps(body, indent=2, ensure_ascii=False)

    @staticmethod
    def from_json(text: bytes, where: str) -> Manifest:
        """The manifest of ``where``; BackupError saying what is wrong with it."""
        try:
            body = json.loads(text)
        except ValueError as err:
            raise BackupError(f"{where}: {MANIFEST} is not JSON ({err})") from err
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise BackupError(f"{where}: not a reStrike backup ({MANIFEST} has no "
                              f"format {FORMAT!r})")
        version = body.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise BackupError(f"{where}: backup format version {version!r} is newer than "
                              f"this reStrike reads ({VERSION}); update reStrike")
        try:
            members = tuple(_member(m) for m in body["members"])
            counts = {str(k): int(v) for k, v in dict(body.get("counts") or {}).items()}
            return Manifest(str(body["created_at"]), str(body.get("restrike", "")),
                            str(body.get("data_dir", "")), members, counts)
        except (KeyError, TypeError, ValueError) as err:
            raise BackupError(f"{where}: {MANIFEST} is damaged ({err!r})") from err


def _member(raw: object) -> Member:
    if not isinstance(raw, dict):
        raise TypeError(f"member {raw!r} is not an object")
    kind = raw["kind"]
    if kind not in _KINDS:
        raise ValueError(f"unknown member kind {kind!r}")
    for key in ("name", "target"):
        _check_relative(str(raw[key]))
    return Member(str(raw["name"]), kind, str(raw["target"]), int(raw["size"]),
                  str(raw["sha256"]), str(raw.get("original", "")))


def _check_relative(name: str) -> None:
    """A member may only name a file inside the archive or the data folder."""
    path = PurePosixPath(name.replace("\\", "/"))
    if not name or path.is_absolute() or ".." in path.parts or ":" in name:
        raise ValueError(f"path {name!r} leaves its folder")


def sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Backup:
    """A backup file that passed every check: its manifest and the open ZIP."""

    zip: zipfile.ZipFile
    manifest: Manifest

    def members(self, kind: Kind) -> Iterator[Member]:
        return (m for m in self.manifest.members if m.kind == kind)


def open_backup(path: str) -> Backup:
    """Open and verify a backup (every member's checksum); BackupError if it is not sound.

    The caller closes ``Backup.zip``.
    """
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError as err:
        raise BackupError(f"{path}: no such file") from err
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise BackupError(f"{path}: not a reStrike backup (not a ZIP file: {err})") from err
    try:
        try:
            raw = archive.read(MANIFEST)
        except KeyError as err:
            raise BackupError(f"{path}: not a reStrike backup (no {MANIFEST})") from err
        manifest = Manifest.from_json(raw, path)
        for member in manifest.members:
            _verify(archive, member, path)
        return Backup(archive, manifest)
    except (BackupError, zipfile.BadZipFile, OSError, EOFError) as err:
        archive.close()
        if isinstance(err, BackupError):
            raise
        raise BackupError(f"{path}: the backup is damaged ({err})") from err


def _verify(archive: zipfile.ZipFile, member: Member, where: str) -> None:
    try:
        with archive.open(member.name) as stream:
            digest = sha256_of(stream)
    except KeyError as err:
        raise BackupError(f"{where}: the backup is damaged ({member.name} is missing)") from err
    except zipfile.BadZipFile as err:  # a CRC error while reading
        raise BackupError(f"{where}: the backup is damaged ({member.name}: {err})") from err
    if digest != member.sha256:
        raise BackupError(f"{where}: the backup is damaged ({member.name} does not match "
                          "its checksum)")
