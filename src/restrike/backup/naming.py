"""The names of automatic backups: sortable by time, and which of them retention prunes."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["PREFIX", "backup_name", "to_prune"]

PREFIX = "restrike-backup-"


def backup_name(at: float) -> str:
    """The file name of a backup made at ``at`` (UTC, so names sort by time)."""
    return PREFIX + datetime.fromtimestamp(at, UTC).strftime("%Y%m%d-%H%M%S") + ".zip"


def to_prune(names: list[str], keep: int) -> list[str]:
    """The automatic backups to delete so that the newest ``keep`` remain."""
    ours = sorted(n for n in names if n.startswith(PREFIX) and n.endswith(".zip"))
    return ours[:-keep] if len(ours) > keep else []
