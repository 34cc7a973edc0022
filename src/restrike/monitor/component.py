"""The system monitor as a station component: ``GET /api/v1/system`` and warnings.

Every `SAMPLE_EVERY` seconds it samples the machine (psutil: CPU, memory, this
process), the disk of the recordings folder (free and total bytes, and how many hours
of recording that is at the bitrate OBS records at now) and each connected OBS
(``GetStats``: skipped frames). The thresholds are the ``[monitor]`` settings, applied
live. A warning that appears is logged (WARNING) and one that clears is logged
(INFO); the whole sample goes to the consoles as the live ``status.system`` (shown as
banners).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import psutil
from fastapi import APIRouter

from restrike.bus import SettingsChanged, StatusChanged
from restrike.config import MonitorSettings
from restrike.errors import ObsError
from restrike.kernel import Context, Health, Stage
from restrike.monitor.rules import Thresholds, Warnings, hours_left, skipped_percent
from restrike.obs.pool import ObsPool

__all__ = ["SAMPLE_EVERY", "MonitorComponent", "thresholds_of"]

log = logging.getLogger(__name__)

SAMPLE_EVERY = 2.0
_NAMES = {"monitor.disk_warn_gb": "disk_warn_gb", "monitor.cpu_warn_percent": "cpu_percent",
          "monitor.cpu_warn_seconds": "cpu_seconds",
          "monitor.obs_drop_percent": "drop_percent"}


def thresholds_of(settings: MonitorSettings) -> Thresholds:
    return Thresholds(disk_warn_gb=settings.disk_warn_gb,
                      cpu_percent=settings.cpu_warn_percent,
                      cpu_seconds=settings.cpu_warn_seconds,
                      drop_percent=settings.obs_drop_percent)


def _existing(path: Path) -> Path:
    """The folder itself or, before it exists, its nearest existing parent (its disk)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path.cwd()


class MonitorComponent:
    """``MonitorComponent(settings, recordings_root, obs_pool)``."""

    name = "monitor"
    live_settings = frozenset(_NAMES)

    def __init__(self, settings: MonitorSettings, recordings: Path, obs: ObsPool | None, *,
                 every: float = SAMPLE_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.recordings = recordings
        self.obs = obs
        self.every = every
        self._clock = clock
        self.rules = Warnings(thresholds_of(settings))
        self._frames: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {}
        self._bytes: dict[str, tuple[int, float]] = {}  # OBS → (record bytes, at)
        self._bitrate: float | None = None  # bytes/s of the recordings, last measured
        self.last: dict[str, Any] | None = None
        self.warnings: list[str] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._ctx: Context | None = None

    async def start(self, ctx: Context) -> None:
        self._ctx = ctx
        psutil.cpu_percent(None)  # the first call starts the measuring window
        router = APIRouter()

        @router.get("/api/v1/system", tags=["system"],
                    summary="CPU, memory, the recordings disk, OBS stats and warnings")
        async def system() -> dict[str, Any]:
            return self.last if self.last is not None else await self.sample()

        ctx.add_router(router)
        self._unsubscribe = ctx.bus.subscribe(SettingsChanged, self._on_settings)
        ctx.create_task(self._run(), name="system-monitor")

    def _on_settings(self, event: SettingsChanged) -> None:
        changes = {_NAMES[n]: float(v) for n, v in event.values.items()
                   if n in _NAMES and isinstance(v, int | float)}
        if changes:
            self.rules.thresholds = replace(self.rules.thresholds, **changes)

    async def _run(self) -> None:
        while True:
            try:
                await self.sample()
            except Exception:  # a failing sample must not end the monitor
                log.exception("system monitor: sampling failed")
            await asyncio.sleep(self.every)

    async def sample(self) -> dict[str, Any]:
        """Take a sample, update the warnings (logged on change), publish it."""
        now = self._clock()
        cpu = psutil.cpu_percent(None)
        memory = psutil.virtual_memory()
        rss: int | None = None
        with contextlib.suppress(psutil.Error):
            rss = psutil.Process().memory_info().rss
        disk_path = _existing(self.recordings)
        usage = await asyncio.to_thread(shutil.disk_usage, disk_path)
        obs, drops = await self._obs(now)
        hours = hours_left(usage.free, self._bitrate)
        warnings = self.rules.check(now, cpu, usage.free, str(self.recordings), drops, hours)
        self._report(warnings)
        self.last = {
            "cpu_percent": cpu,
            "memory": {"total_bytes": memory.total, "available_bytes": memory.available,
                       "percent": memory.percent, "station_rss_bytes": rss},
            "disk": {"path": str(self.recordings), "free_bytes": usage.free,
                     "total_bytes": usage.total, "hours_left": hours,
                     "bitrate_bps": round(self._bitrate * 8) if self._bitrate else None},
            "obs": obs, "warnings": warnings,
            "thresholds": {k: getattr(self.rules.thresholds, k) for k in _NAMES.values()},
        }
        if self._ctx is not None:
            self._ctx.bus.publish(StatusChanged("system", self.last))
        return self.last

    async def _obs(self, now: float) -> tuple[list[dict[str, Any]],
                                               dict[str, tuple[float | None, float | None]]]:
        """GetStats of each connected OBS; the frame drops since the last sample and the
        recordings' bitrate (from the growth of the recording files)."""
        out: list[dict[str, Any]] = []
        drops: dict[str, tuple[float | None, float | None]] = {}
        rate = 0.0
        measured = False
        for conn in self.obs.connections if self.obs is not None else []:
            entry: dict[str, Any] = {"name": conn.name, "connected": conn.status.connected}
            out.append(entry)
            if not conn.status.connected:
                continue
            try:
                stats = await conn.control.get_stats()
            except ObsError as err:
                entry["error"] = str(err)
                continue
            render, output = ((stats.render_skipped, stats.render_total),
                              (stats.output_skipped, stats.output_total))
            before = self._frames.get(conn.name)
            self._frames[conn.name] = (render, output)
            drops[conn.name] = (skipped_percent(before[0] if before else None, render),
                                skipped_percent(before[1] if before else None, output))
            entry |= {"stats": stats.as_dict(), "render_skipped_percent": drops[conn.name][0],
                      "output_skipped_percent": drops[conn.name][1]}
            if stats.record_bytes is not None:
                last = self._bytes.get(conn.name)
                self._bytes[conn.name] = (stats.record_bytes, now)
                if last is not None and now > last[1] and stats.record_bytes >= last[0]:
                    rate += (stats.record_bytes - last[0]) / (now - last[1])
                    measured = True
            else:
                self._bytes.pop(conn.name, None)
        if measured:
            self._bitrate = rate
        return out, drops

    def _report(self, warnings: list[str]) -> None:
        before = set(self.warnings)
        for text in warnings:
            if text not in before and not _same_kind(text, before):
                log.warning("system: %s", text)
        for text in before:
            if not _same_kind(text, set(warnings)):
                log.info("system: cleared: %s", text)
        self.warnings = warnings

    async def stop(self, stage: Stage) -> None:
        if stage is Stage.INTAKE and self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def health(self) -> Health:
        return {"ok": True, "state": "running" if self._ctx else "not started",
                "warnings": list(self.warnings)}


def _same_kind(text: str, others: set[str]) -> bool:
    """A warning whose figures changed is the same warning (logged once, not each
    sample): compared by what it is about, the words before the first figure."""
    key = _kind(text)
    return any(_kind(other) == key for other in others)


def _kind(text: str) -> str:
    words = []
    for word in text.split():
        if any(ch.isdigit() for ch in word):
            break
        words.append(word)
    return " ".join(words)
