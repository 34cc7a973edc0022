"""The OBS pool as a station component (added when ``[[obs]]`` has entries).

It mounts ``/api/v1/obs``, publishes every connection change as the live
``status.obs`` list, and closes the connections in the CLOSE stage. The composition
root builds the pool and hands the same pool to the review.
"""

from __future__ import annotations

from collections.abc import Callable

from restrike.bus import Bus, StatusChanged
from restrike.kernel import Context, Health, Stage
from restrike.obs.api import make_router
from restrike.obs.pool import ObsPool
from restrike.obs.settings import ConnectionEvent, ObsStatus

__all__ = ["ObsComponent"]


class ObsComponent:
    """``ObsComponent(pool)``: the pool started with the station, closed in CLOSE."""

    name = "obs"

    def __init__(self, pool: ObsPool) -> None:
        self.pool = pool
        self._unsubscribe: Callable[[], None] | None = None
        self.started = False

    async def start(self, ctx: Context) -> None:
        bus = ctx.bus

        def changed(item: ObsStatus | ConnectionEvent) -> None:
            if isinstance(item, ObsStatus):
                self._publish(bus)

        self._unsubscribe = self.pool.subscribe(changed)
        ctx.add_router(make_router(self.pool))
        await self.pool.start()
        self.started = True
        self._publish(bus)

    def _publish(self, bus: Bus) -> None:
        bus.publish(StatusChanged("obs", [s.as_dict() for s in self.pool.statuses()]))

    async def stop(self, stage: Stage) -> None:
        if stage is Stage.CLOSE and self.started:
            self.started = False
            if self._unsubscribe is not None:
                self._unsubscribe()
            await self.pool.stop()

    def health(self) -> Health:
        statuses = self.pool.statuses()
        # OBS being away is a state of the court, not a failure of the station.
        return {"ok": True, "state": "running" if self.started else "stopped",
                "connected": sum(1 for s in statuses if s.connected),
                "connections": len(statuses)}
