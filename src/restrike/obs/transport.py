"""The one place that touches the network: a text-frame transport over WebSockets.

Clients depend on the :class:`Transport` protocol only, so tests and other stacks can
inject their own (``transport_factory=...``). Library errors become ours here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from restrike.errors import ObsUnavailable
from restrike.secrets import mask_url

__all__ = ["Transport", "TransportClosed", "TransportFactory", "websocket_transport"]


@dataclass(frozen=True, slots=True)
class TransportClosed:
    """The peer (or we) closed the connection; ``code`` is the WebSocket close code."""

    code: int | None
    reason: str = ""


class Transport(Protocol):
    async def send(self, text: str) -> None:
        """Send one text frame; raises ObsUnavailable when the connection is gone."""

    async def recv(self) -> str | TransportClosed:
        """Next text frame, or why the connection closed (never raises for a close)."""

    async def close(self) -> None:
        """Close politely (idempotent)."""


TransportFactory = Callable[[str, Sequence[str], float], Awaitable[Transport]]


class _WebSocketTransport:
    def __init__(self, conn: ClientConnection) -> None:
        self._conn = conn

    async def send(self, text: str) -> None:
        try:
            await self._conn.send(text)
        except ConnectionClosed as err:
            raise ObsUnavailable(f"OBS connection closed: {_describe(err)}") from err

    async def recv(self) -> str | TransportClosed:
        try:
            frame = await self._conn.recv()
        except ConnectionClosed as err:
            rcvd = err.rcvd
            return TransportClosed(rcvd.code if rcvd else None, rcvd.reason if rcvd else "")
        return frame if isinstance(frame, str) else frame.decode("utf-8", "replace")

    async def close(self) -> None:
        await self._conn.close()


def _describe(err: ConnectionClosed) -> str:
    if err.rcvd is None:
        return "no close frame"
    return f"code {err.rcvd.code} {err.rcvd.reason}".strip()


async def websocket_transport(
    url: str, subprotocols: Sequence[str], open_timeout: float
) -> Transport:
    """Open ``url`` (``ws://host:port``) with the given subprotocols; loopback-friendly."""
    try:
        conn = await connect(
            url,
            subprotocols=[Subprotocol(p) for p in subprotocols] or None,
            open_timeout=open_timeout,
            proxy=None,
            compression=None,
            max_size=16 * 1024 * 1024,
            ping_interval=10,
            ping_timeout=10,
            close_timeout=2,
        )
    except InvalidURI as err:
        raise ObsUnavailable(mask_url(f"bad OBS url {url!r}: {err}")) from err
    except (OSError, InvalidHandshake, TimeoutError) as err:
        raise ObsUnavailable(mask_url(f"cannot reach OBS at {url}: {err}")) from err
    return _WebSocketTransport(conn)
