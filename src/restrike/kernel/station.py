"""The station kernel: components started in order, stopped in stages, all tracked.

A `Station` knows no part: the composition root (`restrike.assembly`) builds the
parts and adds them. ``await station.start()`` starts them in the order they were
added (the API last, so every component can mount its router first);
``await station.stop()`` runs the shutdown stages in order (`Stage`), each component
within the stage's timeout, in reverse start order within a stage. Every background
task is made by ``station.create_task(coro, name=...)``: named, tracked, cancelled and
awaited at the end, so nothing outlives the station.

A component added with ``optional=True`` (a plugin) is isolated: if its ``start``
raises or does not finish within `OPTIONAL_START_TIMEOUT`, the failure is logged with
its traceback, the routers it added are dropped, it is stopped at once (to release
what it opened) and its health is ``{"ok": False, "state": "failed", "error": ...}``;
the station starts anyway. Its ``health()`` and ``stop()`` failing never reach the
station either. A core component failing to start still fails the start.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import logging
import sqlite3
import sys
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from restrike.bus import Bus, HealthChanged, StatusChanged
from restrike.errors import StoreError
from restrike.kernel.gates import Gates
from restrike.kernel.lifecycle import (
    STAGE_TIMEOUTS,
    Address,
    Component,
    Health,
    Stage,
    StoreAccess,
    StoreReader,
)
from restrike.kernel.live import LiveState

if TYPE_CHECKING:
    from fastapi import APIRouter

    from restrike.config import Settings

__all__ = ["GC_THRESHOLD", "OPTIONAL_START_TIMEOUT", "SWITCH_INTERVAL", "NoStore", "Station",
           "StationHealth"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds an optional component gets to start before it is taken as failed.
OPTIONAL_START_TIMEOUT = 30.0
#: The GIL switch interval while the station runs (Python's default is 5 ms): short
#: slices keep the receiver and the loop responsive while the pipeline thread is busy.
SWITCH_INTERVAL = 0.0002
#: The cyclic GC's thresholds while the station runs. Python's young generation is
#: collected every 700 net container allocations; a flood allocates messages, rows and
#: states by the million, most of them short-lived and free of cycles, and those passes
#: took 13 % of the time draining 500,000 datagrams (3,832 young and 31 full passes,
#: 8.8 s of 65 s). Collected every 50,000: 4 passes, 0.3 s. Cyclic garbage waits a
#: little longer (a few MB at most); the older generations keep Python's ratios.
GC_THRESHOLD = (50_000, 10, 10)
#: Seconds the station waits for its cancelled tasks at the end.
TASK_CANCEL_TIMEOUT = 3.0


class StationHealth(TypedDict):
    """``GET /api/health``'s body (without ``version``)."""

    ok: bool
    components: dict[str, Health]


@dataclass(frozen=True, slots=True)
class _Entry:
    component: Component
    optional: bool

    @property
    def name(self) -> str:
        return self.component.name


def _failed(text: str) -> Health:
    return {"ok": False, "state": "failed", "error": text}


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def _spurious_cancel(err: BaseException) -> bool:
    """A CancelledError a component raised itself, not the station's task being cancelled."""
    task = asyncio.current_task()
    return isinstance(err, asyncio.CancelledError) and (task is None or task.cancelling() == 0)


class NoStore:
    """`StoreAccess` of a station built without a database (kernel tests): never open."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "no-database"

    @property
    def is_open(self) -> bool:
        return False

    def _refuse(self) -> StoreError:
        return StoreError("this station has no database")

    def reader(self) -> StoreReader:
        raise self._refuse()

    def call(self, fn: Callable[[sqlite3.Connection], T]) -> concurrent.futures.Future[T]:
        raise self._refuse()

    def migrate(self, owner: str, steps: Sequence[str]) -> concurrent.futures.Future[int]:
        raise self._refuse()


class Station:
    """Owns the components, the bus, the live state and every background task.

    It is the `Context` its components start with (``bus``, ``live``, ``gates``,
    ``settings``, ``data_dir``, ``bound``, ``add_router``, ``create_task``); the rest (``health``,
    ``tasks``, ``live_status``, ``routers``, ``publish_health_changes``) is for the
    API and diagnostics, handed to them by the composition root.
    """

    def __init__(self, settings: Settings, *, data_dir: Path,
                 switch_interval: float | None = SWITCH_INTERVAL,
                 store: StoreAccess | None = None) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self.store: StoreAccess = store if store is not None else NoStore(data_dir)
        self.switch_interval = switch_interval
        self.bus = Bus()
        self.live = LiveState()
        self.gates = Gates(self.bus)
        self.bound: dict[str, Address] = {}
        self.started_at: float | None = None
        self.routers: list[APIRouter] = []
        self._entries: list[_Entry] = []
        self._started: list[_Entry] = []
        self._failed: dict[str, Health] = {}
        self._tasks: set[asyncio.Task[object]] = set()
        self._stopping = False
        # The newest live status (``obs``, ``player``, ...) and health per component,
        # kept from the start so /ws/live (whose hub starts last) begins with them.
        self.live_status: dict[str, Any] = {"health": {}}
        self.bus.subscribe(StatusChanged, self._remember_status)
        self.bus.subscribe(HealthChanged, self._remember_health)

    # -- composition --

    def add(self, component: Component, *, optional: bool = False) -> None:
        """Add a component before ``start()``; it starts after those added before it.

        ``optional``: its failures are isolated (see the module's docstring).
        """
        if self.started_at is not None:
            raise RuntimeError("components are added before the station starts")
        if any(e.name == component.name for e in self._entries):
            raise ValueError(f"a component named {component.name!r} exists already")
        self._entries.append(_Entry(component, optional))

    @property
    def components(self) -> list[Component]:
        return [e.component for e in self._entries]

    def get(self, name: str) -> Component | None:
        """A component by name, for tests and diagnostics; parts never look each other up."""
        return next((e.component for e in self._entries if e.name == name), None)

    def add_router(self, router: APIRouter) -> None:
        """Mount a feature router on the API (call from a component's ``start``)."""
        self.routers.append(router)

    def _remember_status(self, event: StatusChanged) -> None:
        self.live_status[event.component] = event.status

    def _remember_health(self, event: HealthChanged) -> None:
        self.live_status["health"] = {**self.live_status["health"],
                                      event.component: event.health}

    def publish_health_changes(self) -> None:
        """Publish `HealthChanged` for each component whose ``ok`` or ``state`` changed."""
        known = self.live_status["health"]
        for entry in self._started:
            health = self._health_of(entry)
            old = known.get(entry.name) or {}
            if (old.get("ok"), old.get("state")) != (health.get("ok"), health.get("state")):
                self.bus.publish(HealthChanged(entry.name, health))

    # -- tasks --

    def create_task(self, coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
        """A named background task the station cancels and awaits when it stops."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(),
                      exc_info=task.exception())

    def tasks(self) -> list[str]:
        return sorted(t.get_name() for t in self._tasks)

    # -- lifecycle --

    async def start(self) -> None:
        """Start every component in order; a core one failing stops those already
        started and raises, an optional one failing is isolated."""
        if self.switch_interval:
            sys.setswitchinterval(self.switch_interval)
        self.bus.bind(asyncio.get_running_loop())
        self.started_at = time.time()
        for entry in self._entries:
            log.debug("starting %s", entry.name)
            if entry.optional:
                await self._start_optional(entry)
                continue
            try:
                await entry.component.start(self)
            except BaseException:
                log.error("component %s failed to start", entry.name)
                self._started.append(entry)  # may hold resources half-open
                await self.stop()
                raise
            self._started.append(entry)
            self.bus.publish(HealthChanged(entry.name, self._health_of(entry)))
        # Everything alive now (FastAPI, pydantic, the schema...) lives as long as the
        # station: keep it out of the cyclic GC's scans, whose full passes otherwise
        # show as 10-50 ms pauses in the latency tail.
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLD)
        log.info("station started: %s", ", ".join(e.name for e in self._started))

    async def _start_optional(self, entry: _Entry) -> None:
        routers = len(self.routers)
        try:
            await asyncio.wait_for(entry.component.start(self), OPTIONAL_START_TIMEOUT)
        except (Exception, asyncio.CancelledError) as err:
            if not isinstance(err, Exception) and not _spurious_cancel(err):
                raise
            text = (f"did not start within {OPTIONAL_START_TIMEOUT:g} s"
                    if isinstance(err, TimeoutError) else _describe(err))
            log.error("optional component %s failed to start (%s); the station runs "
                      "without it", entry.name, text, exc_info=err)
            del self.routers[routers:]  # nothing of it is served
            self._failed[entry.name] = _failed(text)
            await self._stop_entries([entry])  # release what it opened before failing
            self.bus.publish(HealthChanged(entry.name, self._failed[entry.name]))
            return
        self._started.append(entry)
        self.bus.publish(HealthChanged(entry.name, self._health_of(entry)))

    async def stop(self) -> None:
        """Stop in stages (INTAKE, DRAIN, FLUSH, CLOSE), each within its timeout."""
        if self._stopping:
            return
        self._stopping = True
        try:
            await self._stop_entries(list(reversed(self._started)))
        finally:  # a stop that is cancelled still leaves no task of the station behind
            await self._cancel_tasks()
        log.info("station stopped")

    async def _stop_entries(self, entries: Iterable[_Entry]) -> None:
        entries = list(entries)
        for stage in Stage:
            timeout = STAGE_TIMEOUTS[stage]
            for entry in entries:
                try:
                    await asyncio.wait_for(entry.component.stop(stage), timeout)
                except TimeoutError:
                    log.error("%s did not finish stage %s within %.0f s",
                              entry.name, stage.name, timeout)
                except Exception:
                    log.exception("%s failed in stage %s", entry.name, stage.name)
                except asyncio.CancelledError as err:
                    if not entry.optional or not _spurious_cancel(err):
                        raise
                    log.error("%s was cancelled in stage %s", entry.name, stage.name,
                              exc_info=err)

    async def _cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=TASK_CANCEL_TIMEOUT)
            for task in pending:
                log.error("task %s did not stop", task.get_name())

    # -- what the API shows --

    def _health_of(self, entry: _Entry) -> Health:
        failed = self._failed.get(entry.name)
        if failed is not None:
            return failed
        if not entry.optional:
            return entry.component.health()
        try:
            return entry.component.health()
        except Exception as err:
            log.exception("optional component %s: health() failed", entry.name)
            return _failed(f"health() failed: {_describe(err)}")

    def health(self) -> StationHealth:
        """``{"ok", "components": {name: health}}``: ok while started, not stopping and
        every component (optional ones included) ok."""
        components = {e.name: self._health_of(e) for e in self._entries}
        ok = bool(self._started) and not self._stopping and all(
            h.get("ok", False) for h in components.values())
        return {"ok": ok, "components": components}
