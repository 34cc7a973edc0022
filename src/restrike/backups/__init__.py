"""Scheduled backups while the station runs, with retention: the built-in plugin `backups`.

Every ``[backups] every_hours`` the station writes `restrike-backup-<UTC time>.zip` to
``[backups] folder`` (a thread copies the database while the feed goes on) and then
deletes the oldest of those files beyond ``keep``. Loaded like any plugin (entry point
``backups`` in pyproject.toml), so ``plugins.disabled = ["backups"]`` turns it off too;
the backups themselves are `restrike.backup`'s, which `restrike backup` uses as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from restrike.backup import BackupSources, backup_name, create_backup, to_prune
from restrike.config import setting_field
from restrike.errors import BackupError
from restrike.kernel import Context, Health, Stage

__all__ = ["BackupSettings", "ScheduledBackups"]

log = logging.getLogger(__name__)

DRAIN_SECONDS = 14.0  # within the DRAIN stage's 15 s


@dataclass(frozen=True, slots=True)
class BackupSettings:
    """The ``[backups]`` section (``RESTRIKE_BACKUPS_<KEY>``)."""

    every_hours: float = setting_field(
        4.0, "Hours between the station's automatic backups (the first one that long after "
        "the start); 0: none.", kind="float", min=0, max=24 * 31)
    keep: int = setting_field(12, "Automatic backups kept; older ones are deleted.",
                              kind="int", min=1, max=10_000)
    folder: Path | None = setting_field(  # noqa: RUF009 - fields with metadata
        None, "Folder of the automatic backups; empty: `<data_dir>/backups`.", kind="path",
        optional=True)
    with_clips: bool = setting_field(False, "Put the clip files into automatic backups too.",
                                     kind="bool")


class ScheduledBackups:
    """The station component: a timer task that backs up and prunes."""

    name = "backups"
    settings = BackupSettings

    def __init__(self) -> None:
        self.options = BackupSettings()
        self.sources: BackupSources | None = None
        self.folder: Path | None = None
        self.last: str | None = None
        self.last_at: float | None = None
        self.error: str | None = None
        self.next_at: float | None = None
        self.made = 0
        self._running: asyncio.Future[Path | None] | None = None  # the backup being written

    async def start(self, ctx: Context) -> None:
        self.options = ctx.settings.section(self.name)
        self.sources = BackupSources(ctx.data_dir, ctx.settings.config_file,
                                     ctx.settings.review.recordings_root)
        self.folder = self.options.folder or ctx.data_dir / "backups"
        if self.options.every_hours > 0:
            ctx.create_task(self._run(self.options.every_hours * 3600), name="backup-schedule")

    async def stop(self, stage: Stage) -> None:
        """A backup being written is let finish (DRAIN); the timer task is cancelled by
        the station."""
        running = self._running
        if stage is Stage.DRAIN and running is not None and not running.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(running), DRAIN_SECONDS)

    def health(self) -> Health:
        return {"ok": self.error is None, "state": "running" if self.next_at else "off",
                "folder": str(self.folder) if self.folder else None, "last": self.last,
                "made": self.made,
                "error": self.error, "next_in_s": None if self.next_at is None
                else max(0.0, round(self.next_at - time.monotonic(), 1))}

    async def _run(self, interval: float) -> None:
        while True:
            self.next_at = time.monotonic() + interval
            await asyncio.sleep(interval)
            # shielded: a station stopping meanwhile lets it finish in DRAIN
            self._running = asyncio.get_running_loop().run_in_executor(None, self.backup_now)
            await asyncio.shield(self._running)

    def backup_now(self) -> Path | None:
        """One backup and the pruning after it (on a worker thread); None if it failed."""
        assert self.sources is not None and self.folder is not None
        now = time.time()
        target = self.folder / backup_name(now)
        try:
            create_backup(self.sources, target, with_clips=self.options.with_clips)
        except BackupError as err:
            self.error = str(err)
            log.error("automatic backup failed: %s", err)
            return None
        self.last, self.last_at, self.error = str(target), now, None
        self.made += 1
        for name in to_prune([p.name for p in self.folder.iterdir()], self.options.keep):
            try:
                (self.folder / name).unlink()
                log.info("deleted old backup %s (keeping %d)", name, self.options.keep)
            except OSError as err:
                log.warning("cannot delete old backup %s: %s", name, err)
        return target
