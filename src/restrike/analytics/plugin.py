"""The analytics as a station component: a built-in plugin (entry point ``analytics``).

It follows the store's commits (`EventsCommitted`) to keep each match's summary in its
own tables, answers ``/api/v1/analytics/...``, pushes the live match's figures on
/ws/live (``{"type": "analytics"}``), and shows the Analytics tab in the console.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restrike.analytics.bench import bench
from restrike.analytics.cli import cli
from restrike.analytics.routes import ReaderPool, make_router
from restrike.analytics.updater import Updater
from restrike.bus import Broadcast, EventsCommitted
from restrike.config import setting_field
from restrike.kernel import STAGE_TIMEOUTS, Context, Health, Stage
from restrike.plugins import ConsolePanel

__all__ = ["Analytics", "AnalyticsSettings"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    """The ``[analytics]`` section (``RESTRIKE_ANALYTICS_<KEY>``)."""

    live_interval: float = setting_field(
        0.5, "Seconds between two updates of the live match's analytics (stored and pushed "
             "on /ws/live); commits meanwhile are folded together.", kind="float", min=0.1,
        max=10)
    backfill: bool = setting_field(
        True, "Fold, in the background, the matches stored before (a database the "
              "analytics has not seen, or an older version of its rules).", kind="bool")


class Analytics:
    """The station component; see the module docstring."""

    name = "analytics"
    settings = AnalyticsSettings
    cli = cli
    bench = bench
    console = ConsolePanel("Analytics", Path(__file__).parent / "panel")

    def __init__(self) -> None:
        self.updater: Updater | None = None
        self._pool: ReaderPool | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, ctx: Context) -> None:
        options: AnalyticsSettings = ctx.settings.section(self.name)
        bus = ctx.bus

        def publish(report: dict[str, Any]) -> None:
            bus.publish(Broadcast("analytics", report))

        updater = self.updater = Updater(ctx.store, interval=options.live_interval,
                                         backfill=options.backfill, publish=publish)
        self._pool = ReaderPool(ctx.store)
        self._unsubscribe = bus.subscribe(EventsCommitted, self._on_commit)
        ctx.add_router(make_router(self._pool, lambda: updater.complete))
        self._task = ctx.create_task(updater.run(), name="analytics-updater")

    def _on_commit(self, event: EventsCommitted) -> None:
        if self.updater is not None:
            self.updater.committed(event)  # its rows are read off the loop

    async def stop(self, stage: Stage) -> None:
        if stage is Stage.INTAKE and self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        elif stage is Stage.FLUSH and self.updater is not None:
            if self._task is not None:  # no update runs while the last one is stored
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            async with asyncio.timeout(STAGE_TIMEOUTS[Stage.FLUSH] / 2):
                await self.updater.flush()
        elif stage is Stage.CLOSE:
            if self.updater is not None:
                self.updater.close()
            if self._pool is not None:
                self._pool.close()

    def health(self) -> Health:
        if self.updater is None:
            return {"ok": True, "state": "starting"}
        return self.updater.health()
