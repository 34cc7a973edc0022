"""Async mpv JSON-IPC client: request futures with timeouts, event dispatch, observation.

The wire format lives in :mod:`restrike.playback.codec`; this module only moves its
bytes over a ``(StreamReader, StreamWriter)`` pair, which is injectable for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from itertools import count
from types import TracebackType
from typing import Any, Self

from restrike.callbacks import Subscribers
from restrike.errors import PlayerCommandError, PlayerUnavailable
from restrike.playback import codec
from restrike.playback.transport import open_ipc

__all__ = ["DEFAULT_TIMEOUT", "EventCallback", "MpvIpcClient"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 2.0
_READ_CHUNK = 65536

EventCallback = Callable[[codec.Event | codec.PropertyChange], None]


def _describe(command: Sequence[Any] | Mapping[str, Any]) -> str:
    if isinstance(command, Mapping):
        return str(command.get("name", "?"))
    return str(command[0]) if command else "?"


class MpvIpcClient:
    """One connection to one mpv. Use ``async with await MpvIpcClient.connect(addr):``."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        reply_timeout: float = DEFAULT_TIMEOUT,
        name: str = "mpv",
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._timeout = reply_timeout
        self._name = name
        self._ids = count(1)
        self._observe_ids = count(1)
        self._pending: dict[int, tuple[str, asyncio.Future[Any]]] = {}
        self._subscribers: Subscribers[codec.Event | codec.PropertyChange] = Subscribers(
            log, f"{name}: event subscriber")
        self._write_lock = asyncio.Lock()
        self._closed = asyncio.Event()
        self._close_reason = "connection closed"
        self._reader_task = asyncio.get_running_loop().create_task(
            self._read_loop(), name=f"{name}-ipc-reader"
        )

    @classmethod
    async def connect(
        cls,
        address: str,
        *,
        connect_timeout: float = 10.0,
        reply_timeout: float = DEFAULT_TIMEOUT,
        alive: Callable[[], bool] = lambda: True,
        name: str = "mpv",
    ) -> MpvIpcClient:
        """Connect to mpv's ``--input-ipc-server`` (socket path or ``\\\\.\\pipe\\NAME``)."""
        reader, writer = await open_ipc(address, connect_timeout, alive)
        return cls(reader, writer, reply_timeout=reply_timeout, name=name)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def wait_closed(self) -> str:
        """Wait until the connection is gone; return why."""
        await self._closed.wait()
        return self._close_reason

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        """Call ``callback`` for every event and property change; returns the unsubscribe."""
        return self._subscribers.add(callback)

    async def command(self, *args: Any, reply_timeout: float | None = None) -> Any:
        """Run a positional command (``command("seek", 5, "relative")``); return its data."""
        return await self.request(list(args), reply_timeout=reply_timeout)

    async def command_named(
        self, name: str, /, reply_timeout: float | None = None, **kw: Any
    ) -> Any:
        """Run a named-argument command (``command_named("loadfile", url=...)``)."""
        return await self.request({"name": name, **kw}, reply_timeout=reply_timeout)

    async def get_property(self, name: str, *, reply_timeout: float | None = None) -> Any:
        return await self.request(["get_property", name], reply_timeout=reply_timeout)

    async def set_property(
        self, name: str, value: Any, *, reply_timeout: float | None = None
    ) -> None:
        await self.request(["set_property", name, value], reply_timeout=reply_timeout)

    async def observe_property(self, name: str) -> int:
        """Ask mpv to send ``property-change`` for ``name``; returns the observation id."""
        observe_id = next(self._observe_ids)
        await self.request(["observe_property", observe_id, name])
        return observe_id

    async def request(
        self, command: Sequence[Any] | Mapping[str, Any], *, reply_timeout: float | None = None
    ) -> Any:
        """Send one command and wait for its reply; mpv's refusals raise PlayerCommandError."""
        what = _describe(command)
        if self.closed:
            raise PlayerUnavailable(f"cannot send {what!r}: {self._close_reason}")
        request_id = next(self._ids)
        try:
            line = codec.encode_command(command, request_id)
        except ValueError as err:
            raise PlayerCommandError(what, str(err)) from err
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (what, future)
        wait = self._timeout if reply_timeout is None else reply_timeout
        try:
            async with self._write_lock:
                self._writer.write(line)
                await self._writer.drain()
            return await asyncio.wait_for(future, wait)
        except TimeoutError as err:
            raise PlayerUnavailable(f"mpv did not answer {what!r} within {wait:g} s") from err
        except (OSError, RuntimeError) as err:
            self._shutdown(f"write failed: {err}")
            raise PlayerUnavailable(f"cannot send {what!r} to mpv: {err}") from err
        finally:
            self._pending.pop(request_id, None)

    async def aclose(self) -> None:
        """Close the connection and fail every pending request."""
        self._shutdown("closed by us")
        self._reader_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader_task
        self._writer.close()
        with contextlib.suppress(OSError, RuntimeError):
            await self._writer.wait_closed()

    # -- internals -----------------------------------------------------------------------

    async def _read_loop(self) -> None:
        decoder = codec.LineDecoder()
        reason = "mpv closed the IPC connection"
        try:
            while True:
                data = await self._reader.read(_READ_CHUNK)
                if not data:
                    break
                for message in decoder.feed(data):
                    self._dispatch(message)
        except OSError as err:
            reason = f"IPC connection lost: {err}"
        finally:
            self._shutdown(reason)

    def _dispatch(self, message: codec.Message) -> None:
        if isinstance(message, codec.Reply):
            what, future = self._pending.get(message.request_id, ("", None))
            if future is None or future.done():
                log.debug("%s: reply to unknown request %s", self._name, message.request_id)
            elif message.ok:
                future.set_result(message.data)
            else:
                future.set_exception(PlayerCommandError(what, message.error))
        elif isinstance(message, codec.Invalid):
            log.warning(
                "%s: ignored IPC line (%s): %r", self._name, message.reason, message.raw[:80]
            )
        else:
            self._subscribers.publish(message)

    def _shutdown(self, reason: str) -> None:
        if self._closed.is_set():
            return
        self._close_reason = reason
        self._closed.set()
        for _, future in self._pending.values():
            if not future.done():
                future.set_exception(PlayerUnavailable(reason))
        log.debug("%s: IPC closed: %s", self._name, reason)
