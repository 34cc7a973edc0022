"""A station stand-in for the simulator tests: a loopback UDP socket that keeps what arrives."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from restrike.protocol import MatchState, Parsed, parse, reduce


class Receiver(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.datagrams: list[bytes] = []
        self.arrived = asyncio.Event()
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.datagrams.append(data)
        self.arrived.set()

    @property
    def address(self) -> tuple[str, int]:
        assert self.transport is not None
        host, port = self.transport.get_extra_info("sockname")[:2]
        return str(host), int(port)

    def messages(self) -> list[Parsed]:
        return [m for d in self.datagrams for m in parse(d)]

    def state(self) -> MatchState:
        state = MatchState()
        for msg in self.messages():
            state = reduce(state, msg, 0.0)
        return state

    async def wait_for(self, count: int, within: float = 5.0) -> None:
        async with asyncio.timeout(within):
            while len(self.datagrams) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        Receiver, local_addr=("127.0.0.1", 0))
    sock = transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)  # bursts at speed
    try:
        yield protocol
    finally:
        transport.close()
        await asyncio.sleep(0)
