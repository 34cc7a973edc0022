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
import queue
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from restrike.bus import Bus, EventsCommitted, MessagesParsed, StateChanged, StatusChanged
from restrike.errors import RestrikeError
from restrike.ingest.pipeline import Pipeline
from restrike.ingest.process import ProcessReceiver
from restrike.ingest.receiver import UdpReceiver, kernel_drops, open_udp_socket
from restrike.ingest.resync import send_pull_requests
from restrike.protocol import MatchState, Schema, load_schema, parse, reduce, state_to_json

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = [
    "Component",
    "IngestComponent",
    "LiveState",
    "Stage",
    "Station",
    "StationConfig",
    "StoreComponent",
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
    switch_interval: float | None = 0.001
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


# --- components ---------------------------------------------------------------------


class StoreComponent:
    """The SQLite store: opened first, flushed and closed in the FLUSH stage."""

    name = "store"

    def __init__(self, path: Path, *, batch_rows: int, batch_ms: float,
                 tournament: str | None = None) -> None:
        self.path = path
        self.batch_rows = batch_rows
        self.batch_ms = batch_ms
        self.tournament = tournament
        self.store: Any = None
        self._unsubscribe: Callable[[], None] | None = None
        self.last_commit: float | None = None
        self.closed = False

    async def start(self, station: Station) -> None:
        from restrike.store import Store

        self.path.parent.mkdir(parents=True, exist_ok=True)
        store = Store(self.path, batch_rows=self.batch_rows, batch_ms=self.batch_ms)
        await asyncio.to_thread(store.start)
        self.store = store
        if self.tournament:
            await asyncio.to_thread(store.set_tournament, self.tournament)
        bus = station.bus

        def committed(batch: Any) -> None:
            self.last_commit = batch.committed_at
            bus.publish_threadsafe(EventsCommitted(batch.last_seq, batch.count,
                                                   batch.committed_at, batch))

        self._unsubscribe = store.subscribe_commits(committed)

    def submit(self, seq: int, received_at: float, source: str, data: bytes,
               messages: Sequence[Any]) -> None:
        from restrike.store import Received

        self.store.submit(Received(seq, received_at, source, data, list(messages)))

    def rebuild(self, schema: Schema) -> tuple[MatchState, int]:
        """The live state of the current match, replayed from stored datagrams."""
        state = MatchState()
        count = 0
        with self.store.reader() as reader:
            for t, data in reader.current_match_datagrams():
                count += 1
                for msg in parse(data, schema):
                    try:
                        state = reduce(state, msg, t)
                    except Exception:
                        log.exception("reducer failed while rebuilding on %r", data[:80])
        return state, count

    def stats(self) -> dict[str, Any]:
        if self.store is None:
            return {}
        raw = self.store.stats()
        return dict(raw.as_dict() if hasattr(raw, "as_dict") else raw)

    async def stop(self, stage: Stage) -> None:
        if stage is not Stage.FLUSH or self.store is None or self.closed:
            return
        if self._unsubscribe is not None:
            self._unsubscribe()
        await asyncio.to_thread(self.store.close)
        self.closed = True

    def health(self) -> dict[str, Any]:
        if self.store is None:
            return {"ok": False, "state": "not started"}
        if self.closed:
            return {"ok": True, "state": "closed"}
        stats = self.stats()
        return {"ok": not stats.get("errors"), "state": "running", "path": str(self.path),
                "queue_depth": stats.get("queue_depth"), "errors": stats.get("errors", 0),
                "last_commit": self.last_commit}


class IngestComponent:
    """The court feed: receiver thread → pipeline thread → store and bus."""

    name = "ingest"

    def __init__(self, config: StationConfig, schema: Schema, store: StoreComponent) -> None:
        self.config = config
        self.schema = schema
        self.store = store
        self.inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.receiver: UdpReceiver | ProcessReceiver | None = None
        self.pipeline: Pipeline | None = None
        self.receive_buffer: int | None = None
        self.rebuilt_from = 0
        self.resyncs = 0
        self.stopped = False

    async def start(self, station: Station) -> None:
        cfg = self.config
        state, self.rebuilt_from = await asyncio.to_thread(self.store.rebuild, self.schema)
        if self.rebuilt_from:
            log.info("live state rebuilt from %d stored datagrams of the current match",
                     self.rebuilt_from)
        station.live.update(state, 0, time.time())
        if cfg.receiver == "process":
            receiver: Any = ProcessReceiver(cfg.udp_host, cfg.udp_port, cfg.receive_buffer,
                                            self.inbox)
            await asyncio.to_thread(receiver.start)
            effective = receiver.effective_buffer
        else:
            try:
                sock, effective = open_udp_socket(cfg.udp_host, cfg.udp_port,
                                                  cfg.receive_buffer)
            except OSError as err:
                raise RestrikeError(f"cannot listen on UDP {cfg.udp_host}:{cfg.udp_port}: "
                                    f"{err.strerror or err}") from err
            receiver = UdpReceiver(sock, self.inbox)
        self.receive_buffer = effective
        log.info("UDP receiver (%s): receive buffer asked %d bytes, kernel gives %s",
                 cfg.receiver, cfg.receive_buffer, effective)
        loop = asyncio.get_running_loop()

        def on_loop(items: list[Any], new_state: MatchState, seq: int) -> None:
            now = time.time()
            station.bus.publish(MessagesParsed(items))
            if station.live.update(new_state, seq, now):
                station.bus.publish(StateChanged(new_state, seq, now))

        def deliver(items: list[Any], new_state: MatchState, seq: int) -> None:
            with contextlib.suppress(RuntimeError):  # loop closed at shutdown
                loop.call_soon_threadsafe(on_loop, items, new_state, seq)

        self.pipeline = Pipeline(self.inbox, self.schema, self.store.submit, deliver,
                                 state=state)
        self.pipeline.start()
        self.receiver = receiver
        if isinstance(receiver, UdpReceiver):
            receiver.start()
        host, port = self.receiver.address
        station.bound["udp"] = {"host": host, "port": port}
        log.info("listening for the court feed on UDP %s:%d", host, port)
        if cfg.pss_host:
            self.resync()

    def resync(self) -> list[str]:
        cfg = self.config
        if self.receiver is None or not cfg.pss_host:
            return []
        self.resyncs += 1
        return send_pull_requests(self.receiver.sendto, self.schema.requests,
                                  (cfg.pss_host, cfg.pss_port))

    async def stop(self, stage: Stage) -> None:
        if stage is Stage.INTAKE and self.receiver is not None:
            await asyncio.to_thread(self.receiver.stop)
        elif stage is Stage.DRAIN and self.pipeline is not None:
            await asyncio.to_thread(self.pipeline.stop, STAGE_TIMEOUTS[Stage.DRAIN])
            self.stopped = True

    def counters(self) -> dict[str, Any]:
        p, r = self.pipeline, self.receiver
        return {
            "datagrams_received": r.received if r else 0,
            "bytes_received": r.bytes if r else 0,
            "messages": p.messages if p else 0,
            "invalid": p.invalid if p else 0,
            "unknown": p.unknown if p else 0,
            "pipeline_backlog": self.inbox.qsize(),
            "kernel_drops": kernel_drops(r.address[1]) if r and r.running else None,
            "last_datagram_at": r.last_at if r else None,
        }

    def health(self) -> dict[str, Any]:
        r, p = self.receiver, self.pipeline
        if r is None or p is None:
            return {"ok": False, "state": "not started"}
        if self.stopped:
            return {"ok": True, "state": "stopped"}
        ok = r.running and p.running
        return {"ok": ok, "state": "running" if ok else "failed",
                "receiver": r.running, "pipeline": p.running,
                "receive_buffer": self.receive_buffer, "backlog": self.inbox.qsize(),
                "rebuilt_from": self.rebuilt_from, "resyncs": self.resyncs}


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
            self.bus.publish(StatusChanged(component.name, component.health()))
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


_SECRET_WORDS = ("password", "secret", "token", "key")


def redact(settings: dict[str, Any]) -> dict[str, Any]:
    """A copy with every value whose name looks secret replaced by ``"***"``."""
    out: dict[str, Any] = {}
    for name, value in settings.items():
        if isinstance(value, dict):
            out[name] = redact(value)
        elif any(word in name.lower() for word in _SECRET_WORDS) and value:
            out[name] = "***"
        elif isinstance(value, Path):
            out[name] = str(value)
        else:
            out[name] = value
    return out


async def run_until_signalled(station: Station, *, ready: Callable[[Station], None] | None = None,
                              stop_event: asyncio.Event | None = None) -> None:
    """Start, wait for SIGINT/SIGTERM (or ``stop_event``), then stop in stages."""
    import signal

    stop = stop_event or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
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

