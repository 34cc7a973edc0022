"""What the v5 and v4 clients share: the transport, the reader task, pending requests,
event subscribers and one-shot event waiters. Protocol details live in the subclasses."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Self

from restrike.callbacks import Subscribers
from restrike.errors import ObsError, ObsUnavailable
from restrike.obs.control import CloseInfo as Closed
from restrike.obs.control import ConnectionState, EventCallback, Unsubscribe
from restrike.obs.events import ObsEvent, ObsVersion
from restrike.obs.transport import Transport, TransportClosed, TransportFactory, websocket_transport
from restrike.secrets import mask_url

log = logging.getLogger(__name__)

EventPredicate = Callable[[ObsEvent], bool]


class BaseClient(ABC):
    """Connection life-cycle and request/event plumbing for one OBS."""

    subprotocols: Sequence[str] = ()

    def __init__(
        self,
        url: str,
        password: str | None = None,
        *,
        request_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        transport_factory: TransportFactory | None = None,
    ) -> None:
        self.url = mask_url(url)  # what messages and logs show: credentials masked
        self._connect_url = url
        self.password = password or None
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self._factory: TransportFactory = transport_factory or websocket_transport
        self._state = ConnectionState.DISCONNECTED
        self._transport: Transport | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closed: asyncio.Future[Closed] | None = None
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._subscribers: Subscribers[ObsEvent] = Subscribers(log, "OBS event subscriber")
        self._waiters: list[tuple[EventPredicate, asyncio.Future[ObsEvent]]] = []
        self._ids = itertools.count(1)
        self._version: ObsVersion | None = None

    # -- life-cycle ---------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def version(self) -> ObsVersion | None:
        """Versions and available requests, read once at connect."""
        return self._version

    async def connect(self) -> None:
        """Open, authenticate, start reading; raises ObsAuthError / ObsUnavailable."""
        if self._state in (ConnectionState.CONNECTING, ConnectionState.AUTHENTICATING,
                           ConnectionState.CONNECTED):
            raise ObsError(f"OBS client for {self.url} is already {self._state}")
        self._state = ConnectionState.CONNECTING
        try:
            transport = await self._factory(self._connect_url, self.subprotocols,
                                            self.connect_timeout)
        except BaseException:
            self._state = ConnectionState.DISCONNECTED
            raise
        self._state = ConnectionState.AUTHENTICATING
        try:
            await asyncio.wait_for(self._handshake(transport), self.connect_timeout)
        except BaseException as err:
            self._state = ConnectionState.DISCONNECTED
            with contextlib.suppress(Exception):
                await transport.close()
            if isinstance(err, TimeoutError):
                raise ObsUnavailable(
                    f"OBS at {self.url} did not complete the handshake within "
                    f"{self.connect_timeout:g} s"
                ) from err
            raise
        loop = asyncio.get_running_loop()
        self._transport = transport
        self._closed = loop.create_future()
        self._reader = asyncio.create_task(self._read_loop(transport), name=f"obs-read {self.url}")
        self._state = ConnectionState.CONNECTED
        try:
            self._version = await self._read_version()
        except BaseException:
            await self.close()
            raise
        log.info("connected to OBS %s (websocket %s) at %s", self._version.obs_version,
                 self._version.websocket_version, self.url)

    async def close(self) -> None:
        """Close the connection and wait for the reader task to finish (idempotent)."""
        if self._transport is None:
            self._state = ConnectionState.CLOSED
            return
        if self._state is ConnectionState.CONNECTED:
            self._state = ConnectionState.CLOSING
        with contextlib.suppress(Exception):
            await self._transport.close()
        if self._reader is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._reader), 5)
            except TimeoutError:
                self._reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._reader
        self._transport = None
        self._reader = None
        self._state = ConnectionState.CLOSED

    async def wait_closed(self) -> Closed:
        """Wait until the connection ends (OBS quit, network, or :meth:`close`)."""
        if self._closed is None:
            return Closed(None, "never connected")
        return await asyncio.shield(self._closed)

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- events -------------------------------------------------------------------

    def subscribe(self, callback: EventCallback) -> Unsubscribe:
        """Call ``callback(event)`` for every OBS event; returns the unsubscribe callable."""
        return self._subscribers.add(callback)

    def _emit(self, event: ObsEvent) -> None:
        for predicate, fut in list(self._waiters):
            if not fut.done() and predicate(event):
                fut.set_result(event)
        self._subscribers.publish(event)

    @contextlib.contextmanager
    def _expect(self, predicate: EventPredicate) -> Iterator[asyncio.Future[ObsEvent]]:
        """Register interest in an event *before* sending the request that causes it."""
        fut: asyncio.Future[ObsEvent] = asyncio.get_running_loop().create_future()
        entry = (predicate, fut)
        self._waiters.append(entry)
        try:
            yield fut
        finally:
            self._waiters.remove(entry)
            if not fut.done():
                fut.cancel()
            elif not fut.cancelled():
                fut.exception()  # mark retrieved

    async def _wait_event(
        self, fut: asyncio.Future[ObsEvent], timeout_s: float, what: str
    ) -> ObsEvent:
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout_s)
        except TimeoutError as err:
            raise ObsUnavailable(f"OBS at {self.url}: no {what} within {timeout_s:g} s") from err

    # -- requests -----------------------------------------------------------------

    def _next_id(self) -> str:
        return str(next(self._ids))

    async def _call(self, message_id: str, text: str, what: str, timeout_s: float | None) -> Any:
        """Send ``text`` and wait for the reply the subclass resolves under ``message_id``."""
        transport = self._transport
        if self._state is not ConnectionState.CONNECTED or transport is None:
            raise ObsUnavailable(f"OBS at {self.url} is not connected ({self._state})")
        limit = self.request_timeout if timeout_s is None else timeout_s
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = fut
        try:
            await transport.send(text)
            return await asyncio.wait_for(fut, limit)
        except TimeoutError as err:
            raise ObsUnavailable(
                f"OBS at {self.url} did not answer {what} within {limit:g} s"
            ) from err
        finally:
            self._pending.pop(message_id, None)

    def _resolve(self, message_id: str, value: object) -> None:
        fut = self._pending.get(message_id)
        if fut is None or fut.done():
            log.debug("reply for unknown or finished request %s", message_id)
            return
        fut.set_result(value)

    # -- reading ------------------------------------------------------------------

    async def _read_loop(self, transport: Transport) -> None:
        closed = Closed(None, "reader stopped")
        try:
            while True:
                frame = await transport.recv()
                if isinstance(frame, TransportClosed):
                    closed = Closed(frame.code, frame.reason)
                    break
                self._handle(frame)
        except Exception as err:
            log.exception("OBS reader for %s failed", self.url)
            closed = Closed(None, f"reader failed: {err}")
        finally:
            self._finish(closed)

    def _finish(self, closed: Closed) -> None:
        if self._state is not ConnectionState.CLOSING:
            log.warning("OBS at %s closed the connection (code %s %s)", self.url, closed.code,
                        closed.reason)
        self._state = (
            ConnectionState.CLOSED
            if self._state is ConnectionState.CLOSING
            else ConnectionState.DISCONNECTED
        )
        gone = f"OBS at {self.url} closed the connection (code {closed.code} {closed.reason})"
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(ObsUnavailable(gone.strip()))
        for _, fut in self._waiters:
            if not fut.done():
                fut.set_exception(ObsUnavailable(gone.strip()))
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(closed)

    # -- protocol specifics ---------------------------------------------------------

    @abstractmethod
    async def _handshake(self, transport: Transport) -> None:
        """Hello/Identify (v5) or GetAuthRequired/Authenticate (v4) before reading starts."""

    @abstractmethod
    def _handle(self, text: str) -> None:
        """One received frame: resolve a request (``_resolve``) or emit an event."""

    @abstractmethod
    async def _read_version(self) -> ObsVersion:
        """Versions and available requests, asked right after connecting."""
