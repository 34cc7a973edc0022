"""The IPC client against a scripted fake mpv on a socketpair (no real mpv needed)."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from restrike.errors import PlayerCommandError, PlayerUnavailable
from restrike.playback.client import MpvIpcClient
from restrike.playback.codec import Event, PropertyChange
from restrike.playback.transport import default_ipc_address, is_named_pipe, open_ipc


class FakeMpv:
    """The far end of the socket: reads requests, answers as a test tells it to."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def request(self) -> dict[str, Any]:
        line = await asyncio.wait_for(self.reader.readline(), 2)
        return dict(json.loads(line))

    async def send(self, obj: dict[str, Any]) -> None:
        self.writer.write(json.dumps(obj).encode() + b"\n")
        await self.writer.drain()


@pytest.fixture
async def pair() -> AsyncIterator[tuple[MpvIpcClient, FakeMpv]]:
    ours, theirs = socket.socketpair()
    client = MpvIpcClient(*await asyncio.open_connection(sock=ours), reply_timeout=0.5)
    fake = FakeMpv(*await asyncio.open_connection(sock=theirs))
    try:
        yield client, fake
    finally:
        await client.aclose()
        fake.writer.close()
        await fake.writer.wait_closed()


async def test_reply_resolves_the_matching_request(pair: tuple[MpvIpcClient, FakeMpv]) -> None:
    client, fake = pair
    first = asyncio.create_task(client.get_property("speed"))
    second = asyncio.create_task(client.get_property("pause"))
    a, b = await fake.request(), await fake.request()
    assert a["command"] == ["get_property", "speed"] and a["request_id"] != b["request_id"]
    await fake.send({"request_id": b["request_id"], "error": "success", "data": True})
    await fake.send({"request_id": a["request_id"], "error": "success", "data": 0.5})
    assert (await first, await second) == (0.5, True)


async def test_refusal_names_the_command(pair: tuple[MpvIpcClient, FakeMpv]) -> None:
    client, fake = pair
    task = asyncio.create_task(client.command("frame-back-step"))
    req = await fake.request()
    await fake.send({"request_id": req["request_id"], "error": "error running command"})
    with pytest.raises(PlayerCommandError, match=r"frame-back-step.*error running command"):
        await task


async def test_timeout_is_player_unavailable(pair: tuple[MpvIpcClient, FakeMpv]) -> None:
    client, _ = pair
    with pytest.raises(PlayerUnavailable, match=r"did not answer 'stop' within 0\.05 s"):
        await client.command("stop", reply_timeout=0.05)


async def test_events_reach_subscribers_until_unsubscribed(
    pair: tuple[MpvIpcClient, FakeMpv],
) -> None:
    client, fake = pair
    seen: list[object] = []
    unsubscribe = client.subscribe(seen.append)
    task = asyncio.create_task(client.observe_property("playback-time"))
    req = await fake.request()
    assert req["command"][0] == "observe_property" and req["command"][2] == "playback-time"
    await fake.send({"request_id": req["request_id"], "error": "success"})
    observe_id = await task
    await fake.send({"event": "property-change", "id": observe_id, "name": "playback-time",
                     "data": 10.0})  # fmt: skip
    await fake.send({"event": "seek"})
    await asyncio.sleep(0.05)
    unsubscribe()
    await fake.send({"event": "idle"})
    await asyncio.sleep(0.05)
    assert seen == [PropertyChange(observe_id, "playback-time", 10.0), Event("seek", {})]


async def test_a_broken_subscriber_does_not_stop_dispatch(
    pair: tuple[MpvIpcClient, FakeMpv], caplog: pytest.LogCaptureFixture
) -> None:
    client, fake = pair
    seen: list[object] = []

    def broken(_: object) -> None:
        raise RuntimeError("boom")

    client.subscribe(broken)
    client.subscribe(seen.append)
    await fake.send({"event": "seek"})
    await fake.send({"event": "idle"})
    await asyncio.sleep(0.05)
    assert len(seen) == 2 and "boom" in caplog.text


async def test_peer_closing_fails_pending_requests(pair: tuple[MpvIpcClient, FakeMpv]) -> None:
    client, fake = pair
    task = asyncio.create_task(client.command("stop", reply_timeout=5))
    await fake.request()
    fake.writer.close()
    with pytest.raises(PlayerUnavailable, match="closed the IPC connection"):
        await task
    assert await asyncio.wait_for(client.wait_closed(), 1) and client.closed
    with pytest.raises(PlayerUnavailable):
        await client.command("stop")


async def test_open_ipc_gives_up_when_nothing_listens(tmp_path: Any) -> None:
    with pytest.raises(PlayerUnavailable, match="did not open within"):
        await open_ipc(str(tmp_path / "none.sock"), 0.05)
    with pytest.raises(PlayerUnavailable, match="exited before"):
        await open_ipc(str(tmp_path / "none.sock"), 5, alive=lambda: False)


def test_ipc_addresses_are_fresh() -> None:
    a, b = default_ipc_address(), default_ipc_address()
    assert a != b and not is_named_pipe(a) and len(a.encode()) < 104
    assert is_named_pipe("\\\\.\\pipe\\restrike-mpv-1")


def test_windows_addresses_are_pipes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    address = default_ipc_address()
    assert is_named_pipe(address) and address.startswith("\\\\.\\pipe\\restrike-mpv-")


async def test_named_pipe_wiring_with_a_stand_in_pipe(tmp_path: Path) -> None:
    """The ProactorEventLoop's create_pipe_connection, played by a Unix socket here."""
    path = str(tmp_path / "pipe.sock")
    received: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readline())
        writer.write(b'{"request_id":1,"error":"success","data":"mpv 0.38.0"}\n')
        await writer.drain()
        writer.close()

    server = await asyncio.start_unix_server(serve, path)
    loop = asyncio.get_running_loop()

    async def create_pipe_connection(factory: Any, address: str) -> Any:
        assert address == "\\\\.\\pipe\\restrike-test"
        return await loop.create_unix_connection(factory, path)

    try:
        loop.create_pipe_connection = create_pipe_connection  # type: ignore[attr-defined]
        reader, writer = await open_ipc("\\\\.\\pipe\\restrike-test", 1)
        async with MpvIpcClient(reader, writer) as client:
            assert await client.get_property("mpv-version") == "mpv 0.38.0"
        assert json.loads(received[0])["command"] == ["get_property", "mpv-version"]
    finally:
        del loop.create_pipe_connection  # type: ignore[attr-defined]
        server.close()
        await server.wait_closed()


async def test_named_pipe_needs_a_proactor_loop() -> None:
    with pytest.raises(PlayerUnavailable, match="no named-pipe support"):
        await open_ipc("\\\\.\\pipe\\restrike-test", 1)
