"""The station's two built-in components: the store and the court feed (ingest).

`StoreComponent` lives in `restrike.store.component` (re-exported here) and opens the
store first; `IngestComponent` rebuilds the live state from the store, then runs the
receiver (process or thread) and the pipeline thread under a `Supervisor` task that
restarts whichever stops, stops intake in INTAKE and drains in DRAIN. Both are
created by `Station` itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import time
from typing import TYPE_CHECKING, Any

from restrike.bus import MessagesParsed, StateChanged
from restrike.errors import RestrikeError
from restrike.ingest.pipeline import Pipeline
from restrike.ingest.process import ProcessReceiver
from restrike.ingest.receiver import UdpReceiver, kernel_drops, open_udp_socket
from restrike.ingest.resync import send_pull_requests
from restrike.ingest.supervisor import Part, Supervisor
from restrike.protocol import MatchState, Schema
from restrike.station import STAGE_TIMEOUTS, Stage
from restrike.store.component import StoreComponent

if TYPE_CHECKING:
    from restrike.station import Station, StationConfig

__all__ = ["IngestComponent", "StoreComponent"]

log = logging.getLogger(__name__)


#: Batches from the receiver process waiting for the pipeline; when full, the drainer
#: waits, the pipe fills and the child holds the rest (in memory, then on disk).
INBOX_BATCHES = 64


class IngestComponent:
    """The court feed: receiver → pipeline thread → store and bus, kept running."""

    name = "ingest"

    def __init__(self, config: StationConfig, schema: Schema, store: StoreComponent) -> None:
        self.config = config
        self.schema = schema
        self.store = store
        # A thread receiver must never wait (the kernel would drop): unbounded for it.
        self.inbox: queue.Queue[Any] | queue.SimpleQueue[Any] = (
            queue.Queue(INBOX_BATCHES) if config.receiver == "process"
            else queue.SimpleQueue())
        self.receiver: UdpReceiver | ProcessReceiver | None = None
        self.pipeline: Pipeline | None = None
        self.supervisor: Supervisor | None = None
        self._closing = asyncio.Event()
        self._supervising: asyncio.Task[None] | None = None
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
        receiver: UdpReceiver | ProcessReceiver
        if cfg.receiver == "process":
            receiver = ProcessReceiver(cfg.udp_host, cfg.udp_port, cfg.receive_buffer,
                                       self.inbox, spool_dir=cfg.data_dir)
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

        pipeline = Pipeline(self.inbox, self.schema, self.store.submit, deliver, state=state)
        pipeline.start()
        self.pipeline = pipeline
        self.receiver = receiver
        if isinstance(receiver, UdpReceiver):
            receiver.start()
        self.supervisor = Supervisor([
            Part("receiver", lambda: receiver.running, lambda: receiver.failure,
                 receiver.restart),
            Part("pipeline", lambda: pipeline.running, lambda: pipeline.failure,
                 pipeline.start),
        ], on_change=station.publish_health_changes)
        self._supervising = station.create_task(self.supervisor.run(self._closing),
                                                name="ingest-supervisor")
        host, port = receiver.address
        station.bound["udp"] = {"host": host, "port": port}
        log.info("listening for the court feed on UDP %s:%d", host, port)
        if cfg.pss_host:
            self.resync()

    def set_schema(self, schema: Schema) -> None:
        """Use ``schema`` from the next batch on (one attribute the pipeline reads per
        batch, so a batch is parsed with one definition, never a mix)."""
        self.schema = schema
        if self.pipeline is not None:
            self.pipeline.schema = schema

    def resync(self) -> list[str]:
        cfg = self.config
        if self.receiver is None or not cfg.pss_host:
            return []
        self.resyncs += 1
        return send_pull_requests(self.receiver.sendto, self.schema.requests,
                                  (cfg.pss_host, cfg.pss_port))

    async def stop(self, stage: Stage) -> None:
        if stage is Stage.INTAKE:
            self._closing.set()  # no restart from here on; one under way finishes first
            if self._supervising is not None:
                await asyncio.wait([self._supervising])  # its errors are logged already
            if self.receiver is not None:
                await asyncio.to_thread(self.receiver.stop, STAGE_TIMEOUTS[Stage.INTAKE] - 0.5)
        elif stage is Stage.DRAIN and self.pipeline is not None:
            await asyncio.to_thread(self._drain, STAGE_TIMEOUTS[Stage.DRAIN])
            self.stopped = True

    def _drain(self, timeout: float) -> None:
        """Everything received reaches the pipeline (even if INTAKE ran out of time),
        then the pipeline processes it and stops."""
        deadline = time.monotonic() + timeout
        if self.receiver is not None:
            self.receiver.join(timeout / 2)
        if self.pipeline is not None:
            self.pipeline.stop(max(0.1, deadline - time.monotonic()))

    def counters(self) -> dict[str, Any]:
        p, r = self.pipeline, self.receiver
        return {
            "datagrams_received": r.received if r else 0,
            "bytes_received": r.bytes if r else 0,
            "messages": p.messages if p else 0,
            "invalid": p.invalid if p else 0,
            "unknown": p.unknown if p else 0,
            "pipeline_backlog": self.inbox.qsize(),
            "kernel_drops": kernel_drops(r.address[1]) if r and not self.stopped else None,
            "last_datagram_at": r.last_at if r else None,
        }

    def health(self) -> dict[str, Any]:
        r, p, supervisor = self.receiver, self.pipeline, self.supervisor
        if r is None or p is None or supervisor is None:
            return {"ok": False, "state": "not started"}
        if self.stopped:
            return {"ok": True, "state": "stopped"}
        down = supervisor.down()
        health: dict[str, Any] = {
            "ok": not down, "state": "restarting" if down else "running",
            "receiver": r.running, "receiver_kind": self.config.receiver,
            "pipeline": p.running,
            "received": r.received, "kernel_drops": kernel_drops(r.address[1]),
            "receive_buffer": self.receive_buffer, "backlog": p.backlog(),
            "corrupt_batches": p.corrupt_batches,
            "restarts": supervisor.restarts(), "last_failure": supervisor.last_failure,
            "rebuilt_from": self.rebuilt_from, "resyncs": self.resyncs,
        }
        if down:
            health["reason"] = "; ".join(f"{name}: {why}" for name, why in down.items())
        if isinstance(r, ProcessReceiver):
            child = r.child
            health |= {"receiver_pid": r.pid, "spooled": r.spooled,
                       "spool_bytes": r.spool_bytes,
                       "spool_path": child.get("spool_path", str(r.spool_path)),
                       "child_ram_bytes": child.get("ram_bytes", 0),
                       "spool_error": child.get("spool_error"), "resumed": r.resumed}
        return health
