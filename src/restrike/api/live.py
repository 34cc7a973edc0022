"""``/ws/live``: a snapshot on connect, then events, coalesced state, stats, status.

One `LiveHub` listens on the bus and serialises each message once; every client has
a small outbox drained by its own writer. A slow client never grows memory without
bound: the state is a dirty flag (the newest state is sent, at most every 50 ms),
stats/status/broadcasts keep only their latest value, and when more than
``MAX_EVENT_BATCHES`` event batches (or ``MAX_EVENT_BYTES``) wait, they are replaced by one
``{"type": "resync"}`` (the client reloads from ``GET /api/v1/events``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.exceptions import ConnectionClosed

from restrike.bus import Broadcast, EventsCommitted, HealthChanged, StateChanged, StatusChanged
from restrike.protocol.activity import feed_activity

if TYPE_CHECKING:
    from restrike.api.view import StationView

__all__ = ["MAX_EVENT_BATCHES", "STATE_INTERVAL", "LiveClient", "LiveHub"]

log = logging.getLogger(__name__)

MAX_EVENT_BATCHES = 512
MAX_EVENT_BYTES = 4 * 1024 * 1024
STATE_INTERVAL = 0.05
STATS_INTERVAL = 1.0


#: The same failing tick is logged at most this often (seconds).
TICK_ERROR_LOG_EVERY = 60.0

_CLOSED_MESSAGES = ("close message has been sent", "not connected", "disconnect")


def _is_disconnect(err: BaseException) -> bool:
    """The client went away (closed, reset, sent after close): nothing to report."""
    if isinstance(err, WebSocketDisconnect | ConnectionError | ConnectionClosed):
        return True
    if type(err).__name__ == "ClientDisconnected":  # uvicorn's, an OSError
        return True
    return isinstance(err, RuntimeError) and any(
        m in str(err).lower() for m in _CLOSED_MESSAGES)


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class LiveClient:
    """The outbox of one WebSocket client."""

    def __init__(self, ws: WebSocket, hub: LiveHub) -> None:
        self.ws = ws
        self.hub = hub
        self.events: deque[str] = deque()
        self.event_bytes = 0
        self._state_timer: asyncio.TimerHandle | None = None
        self.resync = False
        self.state_dirty = False
        self.status_dirty = False
        self.stats: str | None = None
        self.others: OrderedDict[object, str] = OrderedDict()
        self.wake = asyncio.Event()
        self.sent = 0
        self.resyncs = 0
        self._last_state = 0.0

    def offer_events(self, message: str) -> None:
        if self.resync:
            return
        if len(self.events) >= MAX_EVENT_BATCHES or self.event_bytes > MAX_EVENT_BYTES:
            self.events.clear()
            self.event_bytes = 0
            self.resync = True
            self.resyncs += 1
        else:
            self.events.append(message)
            self.event_bytes += len(message)
        self.wake.set()

    def mark_state(self) -> None:
        self.state_dirty = True
        self.wake.set()

    def mark_status(self) -> None:
        self.status_dirty = True
        self.wake.set()

    def offer_stats(self, message: str) -> None:
        self.stats = message
        self.wake.set()

    def offer_other(self, key: object, message: str) -> None:
        self.others.pop(key, None)
        if len(self.others) >= 64:
            self.others.popitem(last=False)
        self.others[key] = message
        self.wake.set()

    async def _send(self, text: str) -> None:
        await self.ws.send_text(text)
        self.sent += 1

    async def writer(self) -> None:
        await self._send(self.hub.snapshot())
        self._last_state = time.monotonic()
        while True:
            await self.wake.wait()
            self.wake.clear()
            if self.resync:
                self.resync = False
                await self._send('{"type":"resync"}')
                self.state_dirty = True
            while self.events:
                text = self.events.popleft()
                self.event_bytes -= len(text)
                await self._send(text)
            if self.state_dirty:
                wait = self._last_state + STATE_INTERVAL - time.monotonic()
                if wait <= 0:
                    self.state_dirty = False
                    self._last_state = time.monotonic()
                    await self._send(self.hub.state_message())
                elif self._state_timer is None:
                    # Not yet: events keep flowing, the state goes out when its time comes.
                    self._state_timer = asyncio.get_running_loop().call_later(
                        wait, self._state_due)
            if self.status_dirty:
                self.status_dirty = False
                await self._send(_dumps({"type": "status", "status": self.hub.status}))
            if self.stats is not None:
                text, self.stats = self.stats, None
                await self._send(text)
            while self.others:
                await self._send(self.others.popitem(last=False)[1])
            if self.events or self.resync:
                self.wake.set()

    def _state_due(self) -> None:
        self._state_timer = None
        self.wake.set()

    def cancel_timer(self) -> None:
        if self._state_timer is not None:
            self._state_timer.cancel()
            self._state_timer = None

    async def reader(self) -> None:
        """Consume what the client sends (nothing is expected) to notice a close."""
        while True:
            message = await self.ws.receive()
            if message.get("type") == "websocket.disconnect":
                return


class LiveHub:
    """Fans bus events out to every connected client."""

    def __init__(self, view: StationView) -> None:
        self.view = view
        self.clients: set[LiveClient] = set()
        # The contract's keys, present from the first snapshot: ``obs`` is always the
        # list of connections (empty without OBS), ``player`` the player's status (None
        # without one); components' health lives apart, in ``health``.
        self.status: dict[str, Any] = {"feed": self._feed_status(), "obs": [],
                                       "player": None, "health": {}}
        self._unsubscribe: list[Callable[[], None]] = []
        self._state_version = -1
        self._state_text = ""
        self._task: asyncio.Task[None] | None = None
        self.closing = False
        self._tick_errors: dict[str, tuple[float, int]] = {}

    def client_count(self) -> int:
        return len(self.clients)

    async def start(self) -> None:
        bus = self.view.bus
        # What was published before this hub listened (components start before the API).
        self.status.update({k: v for k, v in self.view.kernel.live_status.items()
                            if k != "feed"})
        self._unsubscribe = [
            bus.subscribe(EventsCommitted, self._on_committed),
            bus.subscribe(StateChanged, self._on_state),
            bus.subscribe(StatusChanged, self._on_status),
            bus.subscribe(HealthChanged, self._on_health),
            bus.subscribe(Broadcast, self._on_broadcast),
        ]
        self._task = self.view.kernel.create_task(self._ticker(), name="live-stats")

    async def stop(self) -> None:
        self.closing = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for client in list(self.clients):
            with contextlib.suppress(Exception):
                await client.ws.close(code=1001)

    # -- messages, each serialised once --

    def state_message(self) -> str:
        live = self.view.live
        if live.version != self._state_version or not self._state_text:
            self._state_version = live.version
            self._state_text = ('{"type":"state","state":' + live.json_bytes().decode("utf-8")
                                + "}")
        return self._state_text

    def snapshot(self) -> str:
        state = self.view.live.json_bytes().decode("utf-8")
        return ('{"type":"snapshot","state":' + state + ',"stats":'
                + _dumps(self.view.stats()) + ',"status":' + _dumps(self.status) + "}")

    def _on_committed(self, event: EventsCommitted) -> None:
        if not self.clients or not event.rows:
            return
        text = _dumps({"type": "events", "events": list(event.rows),
                       "last_seq": event.last_seq, "committed_at": event.committed_at})
        for client in self.clients:
            client.offer_events(text)

    def _on_state(self, _event: StateChanged) -> None:
        for client in self.clients:
            client.mark_state()

    def _on_status(self, event: StatusChanged) -> None:
        self.status[event.component] = event.status
        for client in self.clients:
            client.mark_status()

    def _on_health(self, event: HealthChanged) -> None:
        self.status["health"] = {**self.status["health"], event.component: event.health}
        for client in self.clients:
            client.mark_status()

    def _on_broadcast(self, event: Broadcast) -> None:
        text = _dumps({"type": event.type, event.type: event.body})
        key: object = event.type if event.coalesce else object()
        for client in self.clients:
            client.offer_other(key, text)

    def _feed_status(self) -> dict[str, object]:
        last = self.view.feed.counters()["last_datagram_at"]
        activity = feed_activity(self.view.live.state, last, time.time())
        return {
            "receiving": activity.connected,
            "activity": activity.activity,
            "reason": activity.reason,
            "last_datagram_at": last,
            "source": self.view.feed.last_source(),
            "udp": self.view.kernel.bound.get("udp"),
        }

    async def _ticker(self) -> None:
        """Every second: feed status, health changes, stats. One failing tick is logged
        (the same error at most once a minute) and the next tick runs anyway."""
        while True:
            await asyncio.sleep(STATS_INTERVAL)
            try:
                self._tick()
            except Exception as err:
                self._tick_failed(err)

    def _tick_failed(self, err: Exception) -> None:
        key = f"{type(err).__name__}: {err}"
        now = time.monotonic()
        last, suppressed = self._tick_errors.get(key, (None, 0))
        if last is not None and now - last < TICK_ERROR_LOG_EVERY:
            self._tick_errors[key] = (last, suppressed + 1)
            return
        self._tick_errors[key] = (now, 0)
        if len(self._tick_errors) > 64:  # bounded: forget the oldest error kinds
            del self._tick_errors[next(iter(self._tick_errors))]
        log.error("live stats tick failed (%d times more since last logged); "
                  "the next tick runs anyway", suppressed, exc_info=err)

    def _tick(self) -> None:
        feed = self._feed_status()
        if feed.get("activity") != self.status.get("feed", {}).get("activity"):
            self.view.bus.publish(StatusChanged("feed", feed))
        else:
            self.status["feed"] = feed
        self.view.kernel.publish_health_changes()
        if self.clients:
            text = _dumps({"type": "stats", "stats": self.view.stats()})
            for client in self.clients:
                client.offer_stats(text)

    # -- the endpoint --

    async def serve(self, ws: WebSocket) -> None:
        await ws.accept()
        if self.closing:
            await ws.close(code=1001)
            return
        client = LiveClient(ws, self)
        self.clients.add(client)
        try:
            async with asyncio.TaskGroup() as group:
                writer = group.create_task(client.writer(), name="ws-live-writer")
                reader = group.create_task(client.reader(), name="ws-live-reader")
                _done, _ = await asyncio.wait({writer, reader},
                                             return_when=asyncio.FIRST_COMPLETED)
                for task in (writer, reader):
                    task.cancel()
        except* Exception as group:
            gone, failed = group.split(_is_disconnect)
            if gone is not None:
                log.debug("live client went away: %r", gone.exceptions)
            if failed is not None:
                log.error("live client failed", exc_info=failed)
        finally:
            client.cancel_timer()
            self.clients.discard(client)
