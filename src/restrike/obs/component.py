"""The OBS pool as a station component (always there, with no connection or many).

It mounts ``/api/v1/obs``, publishes every connection change as the live
``status.obs`` list, runs the actions other parts ask on the bus
(`ObsCommandRequested`: the tournament hub's bulk actions, `restrike.obs.commands`),
applies a new ``[[obs]]`` list from the console while running (``SettingsChanged``
with ``obs``: added, changed and removed connections, the others untouched) and
closes the connections in the CLOSE stage. The composition root builds the pool and
hands the same pool to the review.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from restrike.bus import Bus, ObsCommandRequested, SettingsChanged, StatusChanged
from restrike.errors import ConfigError, ObsError
from restrike.kernel import Context, Health, Stage
from restrike.obs.api import make_router
from restrike.obs.commands import run_command
from restrike.obs.pool import ObsPool
from restrike.obs.settings import ConnectionEvent, ObsConnectionSettings, ObsStatus

__all__ = ["ObsComponent"]

log = logging.getLogger(__name__)


class ObsComponent:
    """``ObsComponent(pool)``: the pool started with the station, closed in CLOSE."""

    name = "obs"
    #: The settings it applies while running (through `SettingsChanged`).
    live_settings = frozenset({"obs"})

    def __init__(self, pool: ObsPool) -> None:
        self.pool = pool
        self._unsubscribe: list[Callable[[], None]] = []
        self._ctx: Context | None = None
        self.started = False

    async def start(self, ctx: Context) -> None:
        bus = ctx.bus

        def changed(item: ObsStatus | ConnectionEvent) -> None:
            if isinstance(item, ObsStatus):
                self._publish(bus)

        self._unsubscribe = [self.pool.subscribe(changed),
                             bus.subscribe(SettingsChanged, self._on_settings),
                             bus.subscribe(ObsCommandRequested, self._on_command)]
        self._ctx = ctx
        ctx.add_router(make_router(self.pool))
        await self.pool.start()
        self.started = True
        self._publish(bus)

    def _on_settings(self, event: SettingsChanged) -> None:
        if "obs" not in event.values or self._ctx is None or not self.started:
            return
        value = event.values["obs"] or ()  # None: the default, no connection
        try:
            if not isinstance(value, list | tuple):
                raise TypeError(f"a list of connections, not {type(value).__name__}")
            entries = [ObsConnectionSettings.from_settings(e) for e in value]
        except (ConfigError, TypeError, AttributeError) as err:
            log.warning("OBS connections not applied live: %s", err)
            return
        self._ctx.create_task(self._apply(entries), name="obs-apply-settings")

    def _on_command(self, event: ObsCommandRequested) -> None:
        if self._ctx is None or not self.started:
            event.done.set_exception(ObsError("OBS is not started on this station"))
            return
        self._ctx.create_task(self._command(event), name="obs-command")

    async def _command(self, event: ObsCommandRequested) -> None:
        try:
            event.done.set_result(await run_command(self.pool, event.action, event.params))
        except ObsError as err:
            event.done.set_exception(err)

    async def _apply(self, entries: list[ObsConnectionSettings]) -> None:
        try:
            await self.pool.apply(entries)
        except ConfigError as err:
            log.warning("OBS connections not applied live: %s", err)
        if self._ctx is not None:
            self._publish(self._ctx.bus)

    def _publish(self, bus: Bus) -> None:
        bus.publish(StatusChanged("obs", [s.as_dict() for s in self.pool.statuses()]))

    async def stop(self, stage: Stage) -> None:
        if stage is Stage.CLOSE and self.started:
            self.started = False
            for unsubscribe in self._unsubscribe:
                unsubscribe()
            self._unsubscribe.clear()
            await self.pool.stop()

    def health(self) -> Health:
        statuses = self.pool.statuses()
        # OBS being away is a state of the court, not a failure of the station.
        return {"ok": True, "state": "running" if self.started else "stopped",
                "connected": sum(1 for s in statuses if s.connected),
                "connections": len(statuses)}
