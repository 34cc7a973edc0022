"""/ws/live outboxes: a slow client costs bounded memory (coalesced state, resync)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from restrike.api.live import MAX_EVENT_BATCHES, LiveClient, LiveHub
from restrike.api.view import StationStats
from restrike.assembly import Assembly
from restrike.bus import Broadcast, EventsCommitted, StateChanged, StatusChanged
from restrike.kernel import Station
from restrike.protocol import MatchState
from tests.helpers import wait_until


class StuckSocket:
    """A client that never reads: every send waits until released."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.release = asyncio.Event()

    async def send_text(self, text: str) -> None:
        await self.release.wait()
        self.sent.append(text)

    async def receive(self) -> dict[str, Any]:
        await asyncio.Event().wait()
        return {}


async def test_slow_client_gets_coalesced_state_and_one_resync(
        station: Station, assembled: Assembly) -> None:
    hub = LiveHub(assembled.view)
    await hub.start()
    ws = StuckSocket()
    client = LiveClient(ws, hub)  # type: ignore[arg-type]
    hub.clients.add(client)
    writer = asyncio.create_task(client.writer(), name="test-writer")
    try:
        await asyncio.sleep(0.01)  # stuck sending the snapshot
        rows = [{"id": 1, "code": "clk"}]
        for i in range(MAX_EVENT_BATCHES * 3):
            station.bus.publish(EventsCommitted(i, 1, 0.0, rows))
            station.bus.publish(StateChanged(MatchState(), i, 0.0))
            station.bus.publish(StatusChanged("obs", {"n": i}))
            station.bus.publish(Broadcast("review", {"n": i}))
        assert len(client.events) <= MAX_EVENT_BATCHES
        assert client.resync and client.resyncs >= 1
        ws.release.set()
        await asyncio.sleep(0.2)
        types = [json.loads(t)["type"] for t in ws.sent]
        assert types[0] == "snapshot"
        assert types.count("resync") == 1
        assert types.count("state") <= 2  # coalesced, not one per change
        reviews = [json.loads(t) for t in ws.sent if json.loads(t)["type"] == "review"]
        assert reviews == [{"type": "review", "review": {"n": MAX_EVENT_BATCHES * 3 - 1}}]
        statuses = [json.loads(t)["status"] for t in ws.sent if json.loads(t)["type"] == "status"]
        assert statuses[-1]["obs"] == {"n": MAX_EVENT_BATCHES * 3 - 1}
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        client.cancel_timer()
        await hub.stop()


async def test_a_failing_tick_is_logged_once_and_stats_keep_coming(
        assembled: Assembly, monkeypatch: Any, caplog: Any) -> None:
    import dataclasses
    import logging

    import restrike.api.live as live

    monkeypatch.setattr(live, "STATS_INTERVAL", 0.01)
    real_stats = assembled.view.stats
    calls = {"n": 0}

    def flaky_stats() -> StationStats:
        calls["n"] += 1
        if calls["n"] <= 5:
            raise KeyError("boom")
        return real_stats()

    hub = LiveHub(dataclasses.replace(assembled.view, stats=flaky_stats))
    client = LiveClient(StuckSocket(), hub)  # type: ignore[arg-type]
    hub.clients.add(client)
    with caplog.at_level(logging.ERROR, logger="restrike.api.live"):
        await hub.start()
        try:
            await wait_until(lambda: calls["n"] > 6 and client.stats is not None, 5,
                             "a stats tick after the failing ones")
        finally:
            await hub.stop()
    assert client.stats is not None and json.loads(client.stats)["type"] == "stats"
    failures = [r for r in caplog.records if "tick failed" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None


def test_only_disconnects_are_quiet() -> None:
    from starlette.websockets import WebSocketDisconnect

    from restrike.api.live import _is_disconnect

    assert _is_disconnect(WebSocketDisconnect(1001))
    assert _is_disconnect(ConnectionResetError())
    assert _is_disconnect(RuntimeError('Cannot call "send" once a close message has been sent.'))
    assert not _is_disconnect(KeyError("status"))
    assert not _is_disconnect(RuntimeError("bug"))


async def test_a_failing_client_writer_is_logged_with_its_traceback(
        assembled: Assembly, caplog: Any) -> None:
    import logging

    class BrokenSocket(StuckSocket):
        async def accept(self) -> None:
            return None

        async def send_text(self, text: str) -> None:
            raise ValueError("a bug in the writer")

    hub = LiveHub(assembled.view)
    with caplog.at_level(logging.ERROR, logger="restrike.api.live"):
        await hub.serve(BrokenSocket())  # type: ignore[arg-type]
    [record] = [r for r in caplog.records if "live client failed" in r.getMessage()]
    assert record.exc_info is not None
