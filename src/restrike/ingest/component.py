"""The court feed as a station component: receiver → pipeline thread → store and bus.

`IngestComponent` rebuilds the live state from the store, then runs the receiver
(process or thread) and the pipeline thread under a `Supervisor` task that restarts
whichever stops, stops intake in INTAKE and drains in DRAIN. The composition root
hands it its settings (`IngestConfig`), the protocol definition, the store (a
`StoreSink`) and the station's `LiveState`, which it alone updates. It follows the bus
for a new definition (`SchemaChanged`) and for resync requests (`ResyncRequested`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from restrike.bus import (
    Bus,
    HealthChanged,
    InjectRequested,
    MessagesParsed,
    ResyncRequested,
    SchemaChanged,
    StateChanged,
    StateEditRequested,
)
from restrike.config import UdpSettings, resolve_host
from restrike.errors import RestrikeError
from restrike.ingest._wire import Datagram
from restrike.ingest.child_store import ChildStore
from restrike.ingest.flow import FOLLOW_ROOM, STORE_ROOM, LoopGate, wait_for_room
from restrike.ingest.follow import StoreFollower
from restrike.ingest.inject import EditingInbox
from restrike.ingest.pipeline import Inbox, Item, Pipeline
from restrike.ingest.process import ProcessReceiver
from restrike.ingest.receiver import UdpReceiver, kernel_drops, listen_udp
from restrike.ingest.resync import PullLimiter, requests_for, send_pull_requests
from restrike.ingest.supervisor import Part, Supervisor
from restrike.kernel import STAGE_TIMEOUTS, Context, Health, LiveState, Stage
from restrike.protocol import MatchState, Schema
from restrike.protocol.activity import feed_activity
from restrike.store.types import StoreSink

__all__ = ["INBOX_BATCHES", "IngestComponent", "IngestConfig", "IngestCounters"]

log = logging.getLogger(__name__)


#: Batches from the receiver process waiting for the pipeline; when full, the drainer
#: waits, the pipe fills and the child holds the rest (in memory, then on disk).
INBOX_BATCHES = 64


@dataclass(frozen=True, slots=True)
class IngestConfig:
    """Where and how the feed is received; ``pss``: the scoring software's address
    for pull requests (None: no resync)."""

    host: str = "0.0.0.0"
    port: int = 6000
    receive_buffer: int = 8 * 1024 * 1024
    receiver: str = "process"  # "process" (floods) or "thread" (see docs/station.md)
    pss: tuple[str, int] | None = None
    spool_dir: Path | None = None  # the receiver process's spool file; None: temp folder

    @classmethod
    def from_settings(cls, udp: UdpSettings, *, spool_dir: Path | None) -> IngestConfig:
        """From the ``[udp]`` section; an interface name becomes its IPv4 address
        (ConfigError when there is none)."""
        return cls(host=resolve_host(udp.host), port=udp.port,
                   receive_buffer=udp.receive_buffer, receiver=udp.receiver,
                   pss=udp.pss_address, spool_dir=spool_dir)


class IngestCounters(TypedDict):
    """The intake's running counts (``/api/v1/stats`` and diagnostics combine them)."""

    datagrams_received: int
    bytes_received: int
    messages: int
    invalid: int
    unknown: int
    pipeline_backlog: int
    kernel_drops: int | None
    last_datagram_at: float | None


class IngestComponent:
    """The court feed: receiver → pipeline thread → store and bus, kept running."""

    name = "ingest"
    #: The settings it applies while running (through `SchemaChanged`).
    live_settings = frozenset({"station.protocol_file"})

    def __init__(self, config: IngestConfig, schema: Schema, store: StoreSink,
                 live: LiveState) -> None:
        self.config = config
        self.schema = schema
        self.store = store
        self.live = live
        # A thread receiver must never wait (the kernel would drop): unbounded for it.
        self.inbox: Inbox = (queue.Queue(INBOX_BATCHES) if config.receiver == "process"
                             else queue.SimpleQueue())
        self.receiver: UdpReceiver | ProcessReceiver | None = None
        self.child_store: ChildStore | None = None  # the receiver process stores the feed
        self.pipeline: Pipeline | None = None
        self.supervisor: Supervisor | None = None
        self._closing = asyncio.Event()
        self._supervising: asyncio.Task[None] | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self.loop_gate = LoopGate()
        self.receive_buffer: int | None = None
        self.rebuilt_from = 0
        self.resyncs = 0
        self._pulls = PullLimiter()
        self.cut_pulls = 0  # pull requests sent because a datagram came cut
        self.stopped = False

    async def start(self, ctx: Context) -> None:
        cfg = self.config
        state, self.rebuilt_from = await asyncio.to_thread(self.store.rebuild, self.schema)
        if self.rebuilt_from:
            log.info("live state rebuilt from %d stored datagrams of the current match",
                     self.rebuilt_from)
        last_seq = 0
        if cfg.receiver == "process" and self.store.is_open:
            self.inbox, last_seq = await asyncio.to_thread(self._follow_store)
        self.live.update(state, last_seq, time.time())
        receiver = await self._open_receiver()
        bus = ctx.bus
        store = self.store
        editing = EditingInbox(self.inbox, self._publish_edit(bus))  # manual scoring
        room = FOLLOW_ROOM if self.child_store is not None else STORE_ROOM
        pipeline = Pipeline(editing, self.schema, store.submit,
                            self._deliver_to(bus), state=state, last_seq=last_seq,
                            wait_room=lambda: wait_for_room(store.backlog, room),
                            on_cut=self._ask_again)
        editing.holder = pipeline
        pipeline.start()
        self.pipeline = pipeline
        self.receiver = receiver
        if isinstance(receiver, UdpReceiver):
            receiver.start()

        def changed() -> None:  # a part went down or came back: tell the console at once
            bus.publish(HealthChanged(self.name, self.health()))

        self.supervisor = Supervisor([
            Part("receiver", lambda: receiver.running, lambda: receiver.failure,
                 receiver.restart),
            Part("pipeline", lambda: pipeline.running, lambda: pipeline.failure,
                 pipeline.start),
        ], on_change=changed)
        self._supervising = ctx.create_task(self.supervisor.run(self._closing),
                                            name="ingest-supervisor")
        self._unsubscribe += [bus.subscribe(SchemaChanged, self._on_schema),
                              bus.subscribe(ResyncRequested, self._on_resync),
                              bus.subscribe(InjectRequested, editing.inject),
                              bus.subscribe(StateEditRequested, editing.request_edit)]
        host, port = receiver.address
        ctx.bound["udp"] = {"host": host, "port": port}
        log.info("listening for the court feed on UDP %s:%d", host, port)
        if cfg.pss:
            self.resync()

    def _follow_store(self) -> tuple[StoreFollower, int]:
        """The receiver process will store the feed: the pipeline follows the file from
        the last datagram stored now (the rebuilt state's), whose seq it returns."""
        store = self.store
        with store.reader() as reader:
            after_id, last_seq = reader.last_datagram()

        def inject(datagram: Datagram) -> None:
            if isinstance(self.receiver, ProcessReceiver):
                self.receiver.inject(*datagram)

        follower = StoreFollower(store.reader, after_id, inject)
        follower.committed(last_seq)
        self.child_store = ChildStore(store, follower, lambda: self.schema.text)
        return follower, last_seq

    async def _open_receiver(self) -> UdpReceiver | ProcessReceiver:
        cfg = self.config
        receiver: UdpReceiver | ProcessReceiver
        if cfg.receiver == "process":
            receiver = ProcessReceiver(cfg.host, cfg.port, cfg.receive_buffer, self.inbox,
                                       spool_dir=cfg.spool_dir, store=self.child_store)
            await asyncio.to_thread(receiver.start)
            effective = receiver.effective_buffer
        else:
            sock, effective = listen_udp(cfg.host, cfg.port, cfg.receive_buffer)
            receiver = UdpReceiver(sock, self.inbox)
        self.receive_buffer = effective
        log.info("UDP receiver (%s): receive buffer asked %d bytes, kernel gives %s",
                 cfg.receiver, cfg.receive_buffer, effective)
        return receiver

    def _deliver_to(self, bus: Bus) -> Callable[[list[Item], MatchState, int], None]:
        """The pipeline's hand-off: one loop callback per batch publishes it, at most
        `LOOP_BATCHES` on their way (the pipeline waits for the loop: `LoopGate`)."""
        loop = asyncio.get_running_loop()
        live = self.live
        gate = self.loop_gate

        def on_loop(items: list[Item], new_state: MatchState, seq: int, slot: bool) -> None:
            try:
                now = time.time()
                bus.publish(MessagesParsed(items))
                if live.update(new_state, seq, now):
                    bus.publish(StateChanged(new_state, seq, now))
            finally:
                if slot:
                    gate.leave()

        def deliver(items: list[Item], new_state: MatchState, seq: int) -> None:
            slot = gate.enter(loop.is_closed)
            try:
                loop.call_soon_threadsafe(on_loop, items, new_state, seq, slot)
            except RuntimeError:  # loop closed at shutdown
                if slot:
                    gate.leave()

        return deliver

    def _publish_edit(self, bus: Bus) -> Callable[[MatchState, int], None]:
        """A state replaced by a `StateEditRequested` (pipeline thread) reaches the
        loop's `LiveState` and the bus like a folded batch."""
        loop = asyncio.get_running_loop()
        live = self.live

        def on_loop(new_state: MatchState, seq: int) -> None:
            now = time.time()
            if live.update(new_state, seq, now):
                bus.publish(StateChanged(new_state, seq, now))

        def publish(new_state: MatchState, seq: int) -> None:
            with contextlib.suppress(RuntimeError):  # loop closed at shutdown
                loop.call_soon_threadsafe(on_loop, new_state, seq)

        return publish

    def _on_schema(self, event: SchemaChanged) -> None:
        self.set_schema(event.schema)
        log.info("protocol definition %s %s in use (%d messages)", event.schema.name,
                 event.schema.version, len(event.schema.messages))

    def _on_resync(self, _event: ResyncRequested) -> None:
        self.resync()

    def set_schema(self, schema: Schema) -> None:
        """Use ``schema`` from the next batch on (one attribute the pipeline reads per
        batch, so a batch is parsed with one definition, never a mix)."""
        self.schema = schema
        if self.pipeline is not None:
            self.pipeline.schema = schema
        if self.child_store is not None and isinstance(self.receiver, ProcessReceiver):
            try:
                self.receiver.set_schema(schema.text)
            except RestrikeError as err:  # a receiver process started later gets it then
                log.warning("the UDP receiver process has not got the new definition: %s",
                            err)

    @property
    def resync_target(self) -> tuple[str, int] | None:
        """Where pull requests go (``udp.pss_host``); None: no resync."""
        return self.config.pss

    def resync(self) -> list[str]:
        """Send the pull requests to the scoring software, from the feed socket."""
        target = self.config.pss
        if self.receiver is None or target is None:
            return []
        self.resyncs += 1
        return send_pull_requests(self.receiver.sendto, self.schema.requests, target)

    def _ask_again(self, codes: set[str]) -> None:
        """A datagram came cut short (pipeline thread): ask the scoring software for that
        kind again, when a pull address is set (each kind at most once per
        `PULL_AGAIN_AFTER` seconds: a cut answer must not make a loop)."""
        target, receiver = self.config.pss, self.receiver
        if target is None or receiver is None:
            return
        requests = self.schema.requests
        texts = self._pulls.due(requests_for(codes, requests), time.monotonic())
        if texts:
            log.info("datagram cut short by the sender (%s): asking again: %s",
                     ", ".join(sorted(codes)), ", ".join(texts))
            self.cut_pulls += len(texts)
            send_pull_requests(receiver.sendto, {t: requests[t] for t in texts}, target)

    async def stop(self, stage: Stage) -> None:
        if stage is Stage.INTAKE:
            for unsubscribe in self._unsubscribe:
                unsubscribe()
            self._unsubscribe.clear()
            self._closing.set()  # no restart from here on; one under way finishes first
            if self._supervising is not None:
                await asyncio.wait([self._supervising])  # its errors are logged already
            if self.receiver is not None:
                await asyncio.to_thread(self.receiver.stop, STAGE_TIMEOUTS[Stage.INTAKE] - 0.5)
        elif stage is Stage.DRAIN and self.pipeline is not None:
            await asyncio.to_thread(self._drain, STAGE_TIMEOUTS[Stage.DRAIN])
            self.stopped = True
            if self.child_store is not None:
                self.child_store.close()
                self.child_store.follower.close()

    def _drain(self, timeout: float) -> None:
        """Everything received reaches the pipeline (even if INTAKE ran out of time),
        then the pipeline processes it and stops."""
        deadline = time.monotonic() + timeout
        if self.receiver is not None:
            self.receiver.join(timeout / 2)
        if self.pipeline is not None:
            self.pipeline.stop(max(0.1, deadline - time.monotonic()))

    def counters(self) -> IngestCounters:
        p, r = self.pipeline, self.receiver
        return {
            "datagrams_received": r.received if r else 0,
            "bytes_received": r.bytes if r else 0,
            "messages": p.messages if p else 0,
            "invalid": p.invalid if p else 0,
            "unknown": p.unknown if p else 0,
            "pipeline_backlog": self.backlog(),
            "kernel_drops": kernel_drops(r.address[1]) if r and not self.stopped else None,
            "last_datagram_at": r.last_at if r else None,
        }

    def backlog(self) -> int:
        """Datagrams (or receiver batches) not yet published: while the receiver process
        stores the feed, those it committed past the live state's."""
        if self.child_store is not None:
            return max(0, self.child_store.follower.committed_seq - self.live.seq)
        return self.inbox.qsize()

    def last_source(self) -> str | None:
        """``ip:port`` of the last datagram's sender (None before the first)."""
        r = self.receiver
        return f"{r.last_addr[0]}:{r.last_addr[1]}" if r and r.last_addr else None

    def health(self) -> Health:
        r, p, supervisor = self.receiver, self.pipeline, self.supervisor
        if r is None or p is None or supervisor is None:
            return {"ok": False, "state": "not started"}
        if self.stopped:
            return {"ok": True, "state": "stopped"}
        down = supervisor.down()
        activity = feed_activity(self.live.state, r.last_at, time.time())
        health: Health = {
            "ok": not down, "state": "restarting" if down else "running",
            "receiver": r.running, "receiver_kind": self.config.receiver,
            "receiver_stores": self.child_store is not None,
            "pipeline": p.running,
            "received": r.received, "kernel_drops": kernel_drops(r.address[1]),
            "receive_buffer": self.receive_buffer, "backlog": self.backlog(),
            "corrupt_batches": p.corrupt_batches,
            "restarts": supervisor.restarts(), "last_failure": supervisor.last_failure,
            "rebuilt_from": self.rebuilt_from, "resyncs": self.resyncs,
            "cut_pulls": self.cut_pulls,
            "feed_activity": activity.activity, "feed_reason": activity.reason,
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
