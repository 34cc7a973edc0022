"""The station kernel: components started in order, stopped in stages, all tracked.

A `Station` owns its components (store, ingest, API; later OBS, review, playback).
``await station.start()`` starts them in the order they were added, the API last so
every component can mount its router first; ``await station.stop()`` runs the
shutdown stages in order, each with its own timeout:

    INTAKE  stop taking input (UDP receiver, HTTP server)
    DRAIN   process what was already received (ingest pipeline)
    FLUSH   commit what is queued (the store's writer)
    CLOSE   close peers (OBS, mpv) and anything else

Within a stage components stop in reverse start order. Every background task is
made by ``station.create_task(coro, name=...)``: named, tracked, cancelled and awaited
at the end, so nothing outlives the station.

To plug a component in::

    class Review:
        name = "review"
        async def start(self, station): ...   # subscribe, station.add_router(...)
        async def stop(self, stage): ...      # act on the stage(s) it cares about
        def health(self): return {"ok": True, "state": "running"}

    station.add(Review())          # before start()
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import gc
import json
import logging
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from restrike.bus import Bus, HealthChanged, StatusChanged
from restrike.protocol import MatchState, Schema, load_schema, state_to_json
from restrike.secrets import redact

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = [
    "STAGE_TIMEOUTS",
    "Component",
    "LiveState",
    "Stage",
    "Station",
    "StationConfig",
    "redact",
    "run_until_signalled",
]

log = logging.getLogger(__name__)

DB_FILE = "restrike.sqlite3"


class Stage(enum.IntEnum):
    INTAKE = 1
    DRAIN = 2
    FLUSH = 3
    CLOSE = 4


STAGE_TIMEOUTS = {Stage.INTAKE: 3.0, Stage.DRAIN: 15.0, Stage.FLUSH: 15.0, Stage.CLOSE: 5.0}


@runtime_checkable
class Component(Protocol):
    """What the station needs from a part it owns."""

    name: str

    async def start(self, station: Station) -> None: ...

    async def stop(self, stage: Stage) -> None: ...

    def health(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class StationConfig:
    """What the station needs, resolved from the settings by ``restrike run``."""

    data_dir: Path
    udp_host: str = "0.0.0.0"
    udp_port: int = 6000
    receive_buffer: int = 8 * 1024 * 1024
    receiver: str = "process"  # "process" (floods) or "thread" (see docs/station.md)
    pss_host: str | None = None
    pss_port: int = 6001
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    protocol_file: Path | None = None
    tournament: str | None = None
    batch_rows: int = 500
    batch_ms: float = 2.0
    switch_interval: float | None = 0.0002
    db_path: Path | None = None
    serve_http: bool = True  # False: tests mount `create_app(station)` themselves
    effective_settings: dict[str, Any] = field(default_factory=dict)

    @property
    def database(self) -> Path:
        return self.db_path or self.data_dir / DB_FILE


class LiveState:
    """The live scoreboard as the loop sees it, with its JSON bytes cached."""

    def __init__(self, state: MatchState | None = None) -> None:
        self.state = state if state is not None else MatchState()
        self.seq = 0
        self.updated_at: float | None = None
        self.version = 0
        self._json: bytes | None = None

    def update(self, state: MatchState, seq: int, at: float) -> bool:
        self.seq = seq
        if state is self.state:
            return False
        self.state = state
        self.updated_at = at
        self.version += 1
        self._json = None
        return True

    def json_bytes(self) -> bytes:
        """``state_to_json`` serialised once per change."""
        cached = self._json
        if cached is None:
            cached = json.dumps(state_to_json(self.state), ensure_ascii=False,
                                separators=(",", ":")).encode("utf-8")
            self._json = cached
        return cached


# --- the station --------------------------------------------------------------------


class Station:
    """Owns the components, the bus, the live state and every background task."""

    def __init__(self, config: StationConfig, *, schema: Schema | None = None) -> None:
        self.config = config
        self.schema = schema if schema is not None else load_schema(config.protocol_file)
        self.bus = Bus()
        self.live = LiveState()
        self.bound: dict[str, Any] = {}
        self.started_at: float | None = None
        self.components: list[Component] = []
        self.routers: list[APIRouter] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._started: list[Component] = []
        self._stopping = False
        # The newest live status (``obs``, ``player``, ...) and health per component,
        # kept from the start so /ws/live (whose hub starts last) begins with them.
        self.live_status: dict[str, Any] = {"obs": [], "player": None, "health": {}}
        self.bus.subscribe(StatusChanged, self._remember_status)
        self.bus.subscribe(HealthChanged, self._remember_health)
        from restrike.ingest.components import IngestComponent, StoreComponent

        self.store = StoreComponent(config.database, batch_rows=config.batch_rows,
                                    batch_ms=config.batch_ms, tournament=config.tournament)
        self.ingest = IngestComponent(config, self.schema, self.store)
        self.api: Component | None = None
        self.add(self.store)
        self.add(self.ingest)

    # -- composition --

    def add(self, component: Component) -> None:
        """Add a component before ``start()``; it starts after those added before it."""
        if self.started_at is not None:
            raise RuntimeError("components are added before the station starts")
        if any(c.name == component.name for c in self.components):
            raise ValueError(f"a component named {component.name!r} exists already")
        self.components.append(component)

    def get(self, name: str) -> Component | None:
        return next((c for c in self.components if c.name == name), None)

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
        for component in self._started:
            health = component.health()
            old = known.get(component.name) or {}
            if (old.get("ok"), old.get("state")) != (health.get("ok"), health.get("state")):
                self.bus.publish(HealthChanged(component.name, health))

    # -- tasks --

    def create_task(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """A named background task the station cancels and awaits when it stops."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(),
                      exc_info=task.exception())

    def tasks(self) -> list[str]:
        return sorted(t.get_name() for t in self._tasks)

    # -- lifecycle --

    async def start(self) -> None:
        """Start every component in order; on failure stop those already started."""
        if self.config.switch_interval:
            # Short GIL slices keep the receiver and the loop responsive while the
            # pipeline thread is busy with a burst.
            sys.setswitchinterval(self.config.switch_interval)
        self.bus.bind(asyncio.get_running_loop())
        self.started_at = time.time()
        if self.api is None and self.config.serve_http:
            from restrike.api.server import ApiComponent

            self.api = ApiComponent(self.config.http_host, self.config.http_port)
            self.components.append(self.api)
        for component in self.components:
            log.debug("starting %s", component.name)
            try:
                await component.start(self)
            except BaseException:
                log.error("component %s failed to start", component.name)
                self._started.append(component)  # may hold resources half-open
                await self.stop()
                raise
            self._started.append(component)
            self.bus.publish(HealthChanged(component.name, component.health()))
        # Everything alive now (FastAPI, pydantic, the schema...) lives as long as the
        # station: keep it out of the cyclic GC's scans, whose full passes otherwise
        # show as 10-50 ms pauses in the latency tail.
        gc.collect()
        gc.freeze()
        log.info("station started: %s", ", ".join(c.name for c in self._started))

    async def stop(self) -> None:
        """Stop in stages (INTAKE, DRAIN, FLUSH, CLOSE), each within its timeout."""
        if self._stopping:
            return
        self._stopping = True
        started = list(reversed(self._started))
        for stage in Stage:
            timeout = STAGE_TIMEOUTS[stage]
            for component in started:
                try:
                    await asyncio.wait_for(component.stop(stage), timeout)
                except TimeoutError:
                    log.error("%s did not finish stage %s within %.0f s",
                              component.name, stage.name, timeout)
                except Exception:
                    log.exception("%s failed in stage %s", component.name, stage.name)
        await self._cancel_tasks()
        log.info("station stopped")

    async def _cancel_tasks(self) -> None:
        timeout = 3.0
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                log.error("task %s did not stop", task.get_name())

    # -- what the API shows --

    def health(self) -> dict[str, Any]:
        components = {c.name: c.health() for c in self.components}
        ok = bool(self._started) and not self._stopping and all(
            h.get("ok", False) for h in components.values())
        return {"ok": ok, "components": components}

    def stats(self) -> dict[str, Any]:
        counters = self.ingest.counters()
        store = self.store.stats()
        return {
            "datagrams_received": counters["datagrams_received"],
            "messages": counters["messages"],
            "invalid": counters["invalid"],
            "unknown": counters["unknown"],
            "stored": store.get("stored_datagrams", 0),
            "stored_events": store.get("stored_events", 0),
            "queue_depth": counters["pipeline_backlog"] + int(store.get("queue_depth") or 0),
            "dropped": counters["kernel_drops"] or 0,
            "last_datagram_at": counters["last_datagram_at"],
        }

    def resync(self) -> list[str]:
        """Send the pull requests to the scoring software (needs ``pss_host``)."""
        return self.ingest.resync()

    def config_dict(self) -> dict[str, Any]:
        """The effective configuration, paths as text, without secrets."""
        if self.config.effective_settings:
            return redact(self.config.effective_settings)
        raw = asdict(self.config)
        raw.pop("effective_settings", None)
        return redact({k: (str(v) if isinstance(v, Path) else v) for k, v in raw.items()})


async def run_until_signalled(station: Station, *, ready: Callable[[Station], None] | None = None,
                              stop_event: asyncio.Event | None = None) -> None:
    """Start, wait for SIGINT/SIGTERM/SIGHUP (or ``stop_event``), then stop in stages.

    SIGHUP (POSIX: the terminal closed) stops the station like Ctrl-C, so mpv and the
    receiver process are closed by the station, not orphaned.
    """
    import signal

    stop = stop_event or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[int] = []
    hup = getattr(signal, "SIGHUP", None)
    for sig in (signal.SIGINT, signal.SIGTERM, *([hup] if hup is not None else [])):
        # Windows has no loop signal handlers: KeyboardInterrupt ends the run instead.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        await station.start()
        if ready is not None:
            ready(station)
        await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await station.stop()

