"""``Licensing``: the licence as a plugged-in part of the station (entry point ``license``).

At start it reads this machine's licence (or starts its trial), sets the station's
feature gates (``ctx.gates``: recording, replay and overlays refused while the licence
is locked or revoked, with the reason) and mounts ``/api/v1/license``. A task then
re-reads the state every minute (time alone turns a licence to warning or locked) and
validates with the licence server at start and every ``validate_hours`` (after a
failure, every ``retry_minutes``). Every change of state is logged, shown in the
component's health and sent to the live consoles (``{"type": "license"}``).
Nothing it does can stop the station: a damaged file is a locked state with its reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restrike.bus import Broadcast, Bus, HealthChanged
from restrike.config import setting_field
from restrike.errors import LicenseError
from restrike.kernel import LICENSED_FEATURES, Context, Gates, Health, Stage
from restrike.license.api import make_router
from restrike.license.bench import bench
from restrike.license.cli import cli
from restrike.license.service import LicenseService, Snapshot
from restrike.plugins import ConsolePanel

__all__ = ["CHECK_SECONDS", "LicenseSettings", "Licensing"]

log = logging.getLogger(__name__)

#: Seconds between two readings of the state (warning and locked come with time).
CHECK_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class LicenseSettings:
    """The ``[license]`` section (``RESTRIKE_LICENSE_<KEY>``)."""

    validate_hours: float = setting_field(
        24.0, "Hours between two validations with the licence server.", kind="float",
        min=1, max=168)
    retry_minutes: float = setting_field(
        60.0, "Minutes before a failed validation (server unreachable) is tried again.",
        kind="float", min=1, max=1440)
    machine_id_file: Path | None = setting_field(  # noqa: RUF009 - fields with metadata
        None, "Read the machine id from this file instead of /etc/machine-id (Linux "
        "containers whose id is not the host's); empty: the system's.", kind="path",
        optional=True, http_writable=False)


class Licensing:
    """The station component of the licence (``name = "license"``)."""

    name = "license"
    settings = LicenseSettings
    cli = cli
    bench = bench
    console = ConsolePanel("Licence", Path(__file__).parent / "panel")

    def __init__(self) -> None:
        self.service: LicenseService | None = None
        self.current: Snapshot | None = None
        self.options = LicenseSettings()
        self._gates: Gates | None = None
        self._bus: Bus | None = None
        self._next_validation = 0.0  # time.monotonic(): the wall clock may be moved
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self, ctx: Context) -> None:
        self.options = ctx.settings.section("license")
        self._gates, self._bus = ctx.gates, ctx.bus
        self.service = await asyncio.to_thread(
            LicenseService, ctx.data_dir, machine_id_file=self.options.machine_id_file)
        self.apply(await asyncio.to_thread(self.service.snapshot, start_trial=True))
        ctx.add_router(make_router(self))
        self._task = ctx.create_task(self._run(), name="license-check")

    async def stop(self, stage: Stage) -> None:
        if stage is Stage.INTAKE and self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def health(self) -> Health:
        if self.current is None:
            return {"ok": True, "state": "starting"}
        return {"ok": True, "state": self.current.status.state,
                **{k: v for k, v in self.current.as_json().items() if k != "state"}}

    # -- what the station sees --

    def apply(self, snapshot: Snapshot) -> None:
        """Take a new reading: gates, log, health and live consoles when it changed."""
        old = self.current
        self.current = snapshot
        status = snapshot.status
        if old is not None and old.as_json() == snapshot.as_json():
            return
        if self._gates is not None:
            denied = {} if status.licensed else {
                feature: f"{feature} is locked: licence {status.state}: {status.reason}"
                for feature in LICENSED_FEATURES}
            self._gates.restrict(denied)
        if old is None or old.status.state != status.state:
            level = logging.INFO if status.state in ("trial", "active") else logging.WARNING
            log.log(level, "licence %s: %s", status.state, status.reason)
        if self._bus is not None:
            self._bus.publish(Broadcast("license", snapshot.as_json()))
            self._bus.publish(HealthChanged(self.name, self.health()))

    def validate_soon(self) -> None:
        """Validate at the next turn of the task (after an activation through the API)."""
        self._next_validation = 0.0
        self._wake.set()

    # -- the task --

    async def _run(self) -> None:
        assert self.service is not None
        while True:
            self._wake.clear()
            if time.monotonic() >= self._next_validation:
                await self._validate()
            else:
                self.apply(await asyncio.to_thread(self.service.snapshot, start_trial=True))
            wait = min(CHECK_SECONDS, self._next_validation - time.monotonic())
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _validate(self) -> None:
        """Validate now if a licence is held (else only read the state)."""
        assert self.service is not None
        snapshot = await asyncio.to_thread(self.service.snapshot, start_trial=True)
        if snapshot.server is None:
            self._next_validation = time.monotonic() + self.options.validate_hours * 3600
            self.apply(snapshot)
            return
        try:
            snapshot, failure = await asyncio.to_thread(self.service.validate)
        except LicenseError as err:  # the file went away or became unreadable meanwhile
            log.warning("licence: %s", err)
            failure = err
            snapshot = await asyncio.to_thread(self.service.snapshot, start_trial=True)
        delay = (self.options.retry_minutes * 60 if failure is not None
                 else self.options.validate_hours * 3600)
        self._next_validation = time.monotonic() + delay
        self.apply(snapshot)

    def status_json(self) -> dict[str, Any]:
        return self.current.as_json() if self.current is not None else {}
