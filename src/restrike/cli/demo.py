"""`restrike demo`'s simulated court as a station component.

The simulator is a peer of the station, like a real court: it only talks UDP and
imports no part of the station. This wrapper lives in the CLI so that stays true: it
starts the simulator after the intake (it plays to the port the station bound) and
stops it first (it says ``bye;`` like tkStrike). A demo always runs fully: it opens
the station's feature gates whatever the licence says, and the overlays show "DEMO".
"""

from __future__ import annotations

import asyncio

from restrike.bus import ResyncRequested
from restrike.kernel import Context, Health, Stage
from restrike.simulator import SimulatorThread, start_thread

__all__ = ["SimulatorComponent"]

#: Seconds the simulator gets to say ``bye;`` and end.
JOIN_TIMEOUT = 10.0


class SimulatorComponent:
    """The simulator on its own thread, playing matches to the station's feed port."""

    name = "simulator"

    def __init__(self, target: tuple[str, int], listen: tuple[str, int], *, scenario: str,
                 seed: int, speed: float, matches: int) -> None:
        self.target = target
        self.listen = listen
        self.scenario = scenario
        self.seed = seed
        self.speed = speed
        self.matches = matches
        self.thread: SimulatorThread | None = None

    async def start(self, ctx: Context) -> None:
        ctx.gates.demo("DEMO")
        udp = ctx.bound.get("udp")  # the port the ingest bound (it starts first)
        target = (self.target[0], udp["port"] if udp else self.target[1])
        self.thread = await asyncio.to_thread(
            start_thread, target, listen=self.listen, scenario=self.scenario, seed=self.seed,
            speed=self.speed, matches=self.matches)
        # The station asked for a resync before the simulator listened: ask again.
        ctx.bus.publish(ResyncRequested())

    async def stop(self, stage: Stage) -> None:
        if stage is Stage.INTAKE and self.thread is not None:
            self.thread.stop()
            await asyncio.to_thread(self.thread.join, JOIN_TIMEOUT)

    def health(self) -> Health:
        thread = self.thread
        alive = thread is not None and thread.alive
        return {"ok": alive or (thread is not None and thread.result is not None),
                "state": "running" if alive else "finished", "target": list(self.target),
                "listen": list(self.listen)}
