"""Named OBS connections that keep themselves connected and publish their status.

Each :class:`ObsConnection` runs one background task: connect, read the state, follow
events, and on loss reconnect with exponential backoff (never after close code 4011,
which means a person kicked this client in OBS). Subscribers get :class:`ObsStatus` on
every change and :class:`ConnectionEvent` for OBS events.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Self

from restrike.callbacks import Subscribers
from restrike.errors import (
    ConfigError,
    ObsAuthError,
    ObsError,
    ObsProtocolError,
    ObsUnavailable,
)
from restrike.obs.control import ConnectionState, ObsControl, ObsSession, Unsubscribe
from restrike.obs.events import ObsEvent, OtherEvent
from restrike.obs.settings import (
    ConnectionEvent,
    ObsConnectionSettings,
    ObsProtocol,
    ObsRole,
    ObsStatus,
)
from restrike.obs.status import status_changes
from restrike.obs.v4 import ObsClientV4
from restrike.obs.v5 import ObsClient
from restrike.obs.wire_v5 import CloseCode
from restrike.secrets import mask_url

__all__ = [
    "Backoff",
    "ClientFactory",
    "ObsConnection",
    "ObsPool",
    "PoolCallback",
    "default_client_factory",
    "should_reconnect",
]

log = logging.getLogger(__name__)

PoolCallback = Callable[[ObsStatus | ConnectionEvent], None]
ClientFactory = Callable[[ObsConnectionSettings], ObsSession]


def default_client_factory(settings: ObsConnectionSettings) -> ObsSession:
    """v4 → :class:`ObsClientV4`, else (v5, auto's first try) :class:`ObsClient`."""
    cls = ObsClientV4 if settings.protocol == "v4" else ObsClient
    return cls(
        settings.url,
        settings.password,
        request_timeout=settings.request_timeout,
        connect_timeout=settings.connect_timeout,
    )


def should_reconnect(close_code: int | None) -> bool:
    """Reconnect after any loss except 4011: a person kicked this client in OBS."""
    return close_code != CloseCode.SESSION_INVALIDATED


@dataclasses.dataclass(frozen=True, slots=True)
class Backoff:
    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0

    def delays(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield delay
            delay = min(delay * self.factor, self.maximum)


class ObsConnection:
    """One named OBS: its client, its reconnect loop and its latest status."""

    def __init__(
        self,
        settings: ObsConnectionSettings,
        *,
        factory: ClientFactory,
        publish: PoolCallback,
        backoff: Backoff,
        poll_interval: float,
    ) -> None:
        self.settings = settings
        self._factory = factory
        self._publish = publish
        self._backoff = backoff
        self._poll_interval = poll_interval
        self._client: ObsSession | None = None
        self._stopping = asyncio.Event()
        self._connected = asyncio.Event()
        self._switched = False
        self._status = ObsStatus(settings.name, settings.role, angle=settings.angle)
        self._heard: Counter[str] = Counter()  # status field → events that changed it
        self.detected: ObsProtocol | None = None  # with protocol auto: what answered

    def _client_settings(self) -> ObsConnectionSettings:
        """The next client's settings: with ``auto``, the version detected (v5 first)."""
        if self.settings.protocol != "auto":
            return self.settings
        return dataclasses.replace(self.settings, protocol=self.detected or "v5")

    def _other_protocol(self, err: ObsError) -> bool:
        """With ``auto``, a server of the other version: switch; True to retry at once
        (once per failing spell, so two refusals wait for the backoff)."""
        if self.settings.protocol != "auto" or not isinstance(err, ObsProtocolError):
            return False
        tried = self._client_settings().protocol
        self.detected = "v4" if tried == "v5" else "v5"
        log.info("OBS %r: %s; trying obs-websocket %s", self.name, err, self.detected)
        retry, self._switched = not self._switched, True
        return retry

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def role(self) -> ObsRole:
        return self.settings.role

    @property
    def angle_name(self) -> str:
        """Its camera angle's name in multi-angle review (``angle_name``, else ``name``)."""
        return self.settings.angle_name or self.name

    def rename_angle(self, settings: ObsConnectionSettings) -> None:
        """Take ``settings`` that differ only in the angle's name (same session)."""
        self.settings = settings
        self._update(angle=settings.angle)

    @property
    def status(self) -> ObsStatus:
        return self._status

    @property
    def control(self) -> ObsControl:
        """The live client; raises ObsUnavailable while disconnected."""
        client = self._client
        if client is None or client.state is not ConnectionState.CONNECTED:
            detail = f": {self._status.error}" if self._status.error else ""
            raise ObsUnavailable(f"OBS {self.name!r} is not connected{detail}")
        return client

    async def wait_connected(self, timeout_s: float = 10.0) -> None:
        try:
            await asyncio.wait_for(self._connected.wait(), timeout_s)
        except TimeoutError as err:
            raise ObsUnavailable(
                f"OBS {self.name!r} not connected within {timeout_s:g} s ({self._status.error})"
            ) from err

    # -- status -------------------------------------------------------------------

    def _update(self, **changes: Any) -> None:
        new = dataclasses.replace(self._status, **changes)
        if new != self._status:
            self._status = new
            self._publish(new)

    def _on_event(self, event: ObsEvent) -> None:
        changes = status_changes(self._status, event)
        self._heard.update(changes.keys())
        self._update(**changes)
        if not isinstance(event, OtherEvent):
            self._publish(ConnectionEvent(self.name, event))

    async def refresh(self) -> ObsStatus:
        """Read scene and output states from OBS (also done after every connect).

        A field that an event changed while the answers were on their way keeps the
        event's value: the answer may be older (read before the output had started).
        """
        client = self.control
        heard = self._heard.copy()
        scene = await client.current_scene()
        record = await client.recording_status()
        stream = await client.streaming_status()
        note: str | None = None
        try:
            replay = (await client.replay_buffer_status()).active
        except ObsError as err:
            if isinstance(err, ObsUnavailable):
                raise
            replay = False
            if self.settings.serves("recording"):
                note = str(err)  # e.g. how to enable the replay buffer in OBS
        read = {"scene": scene, "recording": record.active, "streaming": stream.active,
                "stream_reconnecting": stream.reconnecting, "replay_buffer": replay}
        self._update(error=note, **{field: value for field, value in read.items()
                                    if self._heard[field] == heard[field]})
        return self._status

    # -- life-cycle ---------------------------------------------------------------

    async def run(self) -> None:
        """Connect and stay connected until :meth:`stop` (or OBS sends 4011)."""
        delays = self._backoff.delays()
        while not self._stopping.is_set():
            client = self._factory(self._client_settings())
            self._client = client
            self._update(state=ConnectionState.CONNECTING)
            try:
                await client.connect()
            except ObsError as err:
                if self._other_protocol(err):
                    await client.close()
                    continue
                level = logging.WARNING if isinstance(err, ObsAuthError) else logging.INFO
                log.log(level, "OBS %r: %s", self.name, mask_url(str(err)))
                self._update(state=ConnectionState.DISCONNECTED, error=str(err))
            except Exception as err:  # a bug must not end the reconnect loop
                log.exception("OBS %r: unexpected error while connecting", self.name)
                self._update(state=ConnectionState.DISCONNECTED, error=repr(err))
            else:
                delays = self._backoff.delays()
                self._switched = False
                if self._stopping.is_set():  # stop() came while we were connecting
                    await client.close()
                    break
                if not should_reconnect(await self._follow(client)):
                    await client.close()
                    return
            await client.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), next(delays))

    async def _follow(self, client: ObsSession) -> int | None:
        """While connected: keep status fresh; returns the close code when it ends."""
        unsubscribe = client.subscribe(self._on_event)
        try:
            version = client.version
            self._update(
                state=ConnectionState.CONNECTED,
                error=None,
                obs_version=version.obs_version if version else None,
                websocket_version=version.websocket_version if version else None,
            )
            with contextlib.suppress(ObsError):
                await self.refresh()
            self._connected.set()
            while True:
                try:
                    closed = await asyncio.wait_for(client.wait_closed(), self._poll_interval)
                    break
                except TimeoutError:
                    await self._poll(client)
        finally:
            unsubscribe()
            self._connected.clear()
        code = closed.code
        if self._stopping.is_set():
            self._update(state=ConnectionState.CLOSED, error=None)
        elif not should_reconnect(code):
            self._update(state=ConnectionState.CLOSED, error=(
                "OBS closed this session (4011: kicked in OBS's WebSocket settings); "
                "not reconnecting until the station restarts"))
        else:
            self._update(state=ConnectionState.DISCONNECTED,
                         error=f"connection lost (code {code} {closed.reason})".strip())
        return code

    async def _poll(self, client: ObsSession) -> None:
        """Stream reconnects are best seen by asking; cheap, only while streaming."""
        if not self._status.streaming:
            return
        with contextlib.suppress(ObsError):
            stream = await client.streaming_status()
            self._update(streaming=stream.active, stream_reconnecting=stream.reconnecting)

    async def stop(self) -> None:
        self._stopping.set()
        if self._client is not None:
            await self._client.close()


def _check_unique(settings: Sequence[ObsConnectionSettings]) -> None:
    names = [s.name for s in settings]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"[[obs]] names must be unique; repeated: {', '.join(dupes)}")


class ObsPool:
    """All configured OBS connections; ``async with ObsPool(settings) as pool``."""

    def __init__(
        self,
        settings: Sequence[ObsConnectionSettings],
        *,
        client_factory: ClientFactory = default_client_factory,
        backoff: Backoff | None = None,
        poll_interval: float = 2.0,
        stop_timeout: float = 10.0,
    ) -> None:
        _check_unique(settings)
        self._subscribers: Subscribers[ObsStatus | ConnectionEvent] = Subscribers(
            log, "OBS pool subscriber")
        self._stop_timeout = stop_timeout
        self._factory = client_factory
        self._backoff = backoff or Backoff()
        self._poll_interval = poll_interval
        self._started = False
        self._tasks: list[asyncio.Task[None]] = []
        self._task_of: dict[str, asyncio.Task[None]] = {}
        self._connections = {s.name: self._connection(s) for s in settings}

    def _connection(self, settings: ObsConnectionSettings) -> ObsConnection:
        return ObsConnection(settings, factory=self._factory, publish=self._publish,
                             backoff=self._backoff, poll_interval=self._poll_interval)

    def __contains__(self, name: object) -> bool:
        return name in self._connections

    @property
    def connections(self) -> list[ObsConnection]:
        return list(self._connections.values())

    def get(self, name: str) -> ObsConnection:
        try:
            return self._connections[name]
        except KeyError:
            known = ", ".join(self._connections) or "none"
            raise ObsError(f"no OBS connection named {name!r} (configured: {known})") from None

    def for_role(self, role: ObsRole) -> list[ObsConnection]:
        """Connections whose role is ``role`` or ``both``, in configuration order."""
        return [c for c in self._connections.values() if c.settings.serves(role)]

    def statuses(self) -> list[ObsStatus]:
        return [c.status for c in self._connections.values()]

    def subscribe(self, callback: PoolCallback) -> Unsubscribe:
        """``callback(ObsStatus | ConnectionEvent)`` on every change; returns unsubscribe."""
        return self._subscribers.add(callback)

    def _publish(self, item: ObsStatus | ConnectionEvent) -> None:
        self._subscribers.publish(item)

    async def start(self) -> None:
        if self._started:
            raise ObsError("OBS pool already started")
        self._started = True
        for conn in self._connections.values():
            self._run(conn)

    def _run(self, conn: ObsConnection) -> None:
        task = asyncio.create_task(conn.run(), name=f"obs-connection {conn.name}")
        self._tasks.append(task)
        self._task_of[conn.name] = task

    async def apply(self, settings: Sequence[ObsConnectionSettings]) -> dict[str, list[str]]:
        """Take a new ``[[obs]]`` list while running: a removed connection is closed, an
        added one started, a changed one (any key but ``angle_name``) closed and started
        again; the others keep their session (and take a new angle name). The pool's
        order (``for_role``, the angles' order) becomes the list's. Returns the names
        ``{"added", "changed", "removed"}``; ConfigError (nothing changes) for a repeated
        name."""
        _check_unique(settings)
        wanted = {s.name: s for s in settings}
        old = self._connections
        removed = [n for n in old if n not in wanted]
        changed = [n for n in old if n in wanted
                   and not old[n].settings.same_session(wanted[n])]
        added = [n for n in wanted if n not in old]
        for name in (*removed, *changed):
            await self._close(old[name])
        for name, conn in old.items():  # a new angle name: the same session goes on
            if name in wanted and name not in changed:
                conn.rename_angle(wanted[name])
        connections = {}
        for name, entry in wanted.items():
            conn = old[name] if name in old and name not in changed else self._connection(entry)
            connections[name] = conn
            if self._started and (name in added or name in changed):
                self._run(conn)
        self._connections = connections
        for name in removed:  # its last status said CLOSED; subscribers see it gone
            self._publish(ObsStatus(name, old[name].role, state=ConnectionState.CLOSED,
                                    error="removed from the settings"))
        if removed or changed or added:
            log.info("OBS connections applied: added %s, changed %s, removed %s",
                     added or "none", changed or "none", removed or "none")
        return {"added": added, "changed": changed, "removed": removed}

    async def _close(self, conn: ObsConnection) -> None:
        """Stop one connection and await its task (cancelled after the stop timeout)."""
        await conn.stop()
        task = self._task_of.pop(conn.name, None)
        if task is None:
            return
        done, _ = await asyncio.wait([task], timeout=self._stop_timeout)
        if not done:
            log.warning("task %s did not stop in %s s, cancelling", task.get_name(),
                        self._stop_timeout)
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        self._tasks.remove(task)

    async def stop(self) -> None:
        """Close every connection, then await (or after a timeout cancel) their tasks."""
        await asyncio.gather(*(c.stop() for c in self._connections.values()),
                             return_exceptions=True)
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=self._stop_timeout)
        for task in pending:
            log.warning("task %s did not stop in %s s, cancelling", task.get_name(),
                        self._stop_timeout)
            task.cancel()
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        for task, result in zip(self._tasks, results, strict=True):
            if isinstance(result, Exception):
                log.error("task %s failed: %r", task.get_name(), result)
        self._tasks.clear()
        self._task_of.clear()
        self._started = False

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
