"""The station kernel: order of start, stages of stop, tasks, health; the live path."""

from __future__ import annotations

import asyncio
import queue
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from restrike.bus import EventsCommitted, MessagesParsed, StateChanged
from restrike.ingest.pipeline import Pipeline
from restrike.ingest.receiver import UdpReceiver, open_udp_socket
from restrike.ingest.resync import pull_requests
from restrike.protocol import default_schema
from restrike.station import Stage, Station, StationConfig
from tests.helpers import wait_until
from tests.station.fixtures import match_datagrams, send_udp


class Recorder:
    def __init__(self, name: str, log: list[str], fail: bool = False) -> None:
        self.name = name
        self.log = log
        self.fail = fail

    async def start(self, station: Station) -> None:
        if self.fail:
            raise RuntimeError(f"{self.name} cannot start")
        self.log.append(f"start {self.name}")
        station.create_task(asyncio.sleep(3600), name=f"{self.name}-sleeper")

    async def stop(self, stage: Stage) -> None:
        self.log.append(f"{stage.name} {self.name}")

    def health(self) -> dict[str, Any]:
        return {"ok": True, "state": "running"}


def _config(tmp_path: Path) -> StationConfig:
    return StationConfig(data_dir=tmp_path, udp_host="127.0.0.1", udp_port=0, http_port=0,
                         serve_http=False, receive_buffer=1 << 20)


async def test_components_start_in_order_and_stop_in_stages(tmp_path: Path) -> None:
    log: list[str] = []
    station = Station(_config(tmp_path))
    station.add(Recorder("a", log))
    station.add(Recorder("b", log))
    await station.start()
    assert log == ["start a", "start b"]
    assert station.tasks() == ["a-sleeper", "b-sleeper", "ingest-supervisor"]
    assert station.health()["ok"]
    await station.stop()
    assert log[2:] == [f"{stage.name} {name}" for stage in Stage for name in ("b", "a")]
    assert station.tasks() == []


async def test_a_failing_component_stops_those_started(tmp_path: Path) -> None:
    log: list[str] = []
    station = Station(_config(tmp_path))
    station.add(Recorder("a", log))
    station.add(Recorder("bad", log, fail=True))
    with pytest.raises(RuntimeError, match="bad cannot start"):
        await station.start()
    assert "INTAKE a" in log and "CLOSE a" in log
    assert station.tasks() == []


async def test_names_are_unique(tmp_path: Path) -> None:
    station = Station(_config(tmp_path))
    with pytest.raises(ValueError, match="ingest"):
        station.add(Recorder("ingest", []))


async def test_bus_sees_parsed_messages_state_and_commits(station: Station) -> None:
    parsed: list[MessagesParsed] = []
    states: list[StateChanged] = []
    commits: list[EventsCommitted] = []
    station.bus.subscribe(MessagesParsed, parsed.append)
    station.bus.subscribe(StateChanged, states.append)
    station.bus.subscribe(EventsCommitted, commits.append)
    datagrams = match_datagrams()
    send_udp(station.bound["udp"]["port"], datagrams)
    await wait_until(lambda: sum(c.count for c in commits) >= len(datagrams))
    assert sum(len(p.items) for p in parsed) == len(datagrams)
    assert states[-1].state.scores == (3, 1)
    rows = [row for c in commits for row in c.rows]
    assert rows[0]["code"] == "pre" and rows[-1]["code"] == "wmh"


async def test_malformed_datagrams_are_stored_with_their_reason(station: Station) -> None:
    port = station.bound["udp"]["port"]
    send_udp(port, [b"", b"\x00\x01\x02", b"pt1;9", b"clk;99:99"])
    await wait_until(lambda: station.stats()["stored"] >= 4)
    stats = station.stats()
    assert stats["invalid"] + stats["unknown"] >= 4
    reader = station.store.store.reader()
    try:
        events = reader.events(kind="invalid", limit=10)
    finally:
        reader.close()
    assert events and all(e["error"] for e in events)


def test_receiver_keeps_time_and_sender_and_drains_at_stop() -> None:
    sock, effective = open_udp_socket("127.0.0.1", 0, 1 << 20)
    assert effective >= 1 << 16
    out: queue.SimpleQueue[Any] = queue.SimpleQueue()
    receiver = UdpReceiver(sock, out)
    receiver.start()
    port = receiver.address[1]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        for i in range(200):
            s.sendto(b"clk;1:%02d" % (i % 60), ("127.0.0.1", port))
        sender = s.getsockname()
    receiver.stop()
    items = []
    while not out.empty():
        items.append(out.get())
    assert len(items) == 200 == receiver.received
    t, data, addr = items[0]
    assert t > 1e9 and data == b"clk;1:00" and addr == sender
    assert not receiver.running


def test_pipeline_stores_before_reducing() -> None:
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    stored: list[tuple[int, bytes]] = []
    delivered: list[int] = []
    pipeline = Pipeline(inbox, default_schema(),
                        lambda seq, t, src, data, msgs: stored.append((seq, data)),
                        lambda items, state, seq: delivered.append(seq))
    pipeline.start()
    for i, data in enumerate([b"pt1;3\r\n", b"garbage;;;", b"\xff"]):
        inbox.put((1.0 + i, data, ("10.0.0.1", 5000)))
    assert pipeline.stop()
    assert [s for s, _ in stored] == [1, 2, 3]
    assert pipeline.messages >= 3 and pipeline.invalid + pipeline.unknown >= 2
    assert pipeline.state.last_point is not None
    assert delivered[-1] == 3


def test_pull_requests_end_in_crlf() -> None:
    requests = default_schema().requests
    datagrams = pull_requests(requests)
    assert b"clock\r\n" in datagrams and b"winperiods;\r\n" in datagrams
    assert len(datagrams) == len(requests)


async def test_resync_sends_pull_requests_from_the_feed_socket(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as pss:
        pss.bind(("127.0.0.1", 0))
        pss.settimeout(2)
        config = StationConfig(data_dir=tmp_path, udp_host="127.0.0.1", udp_port=0,
                               serve_http=False, pss_host="127.0.0.1",
                               pss_port=pss.getsockname()[1])
        station = Station(config)
        await station.start()
        try:
            got = [pss.recvfrom(100) for _ in station.schema.requests]
            assert got[0][0] == b"clock\r\n"
            assert got[0][1][1] == station.bound["udp"]["port"]  # from the feed socket
            # The scoring software answers to that address: the station takes it in.
            pss.sendto(b"clk;1:23\r\n", got[0][1])
            await wait_until(lambda: station.live.state.clock.seconds == 83)
            assert station.resync() == list(station.schema.requests)
        finally:
            await station.stop()



def test_a_failing_socket_is_logged_once_and_retried_with_backoff(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    import restrike.ingest.receiver as receiver_module

    monkeypatch.setattr(receiver_module, "_RETRY_FIRST", 0.001)
    monkeypatch.setattr(receiver_module, "_RETRY_MAX", 0.004)

    class FailingSocket:
        """recvfrom fails 12 times, then one datagram, then fails until stopped."""

        def __init__(self) -> None:
            self.calls: list[float] = []

        def recvfrom(self, _size: int) -> tuple[bytes, tuple[str, int]]:
            self.calls.append(time.monotonic())
            if len(self.calls) == 13:
                return b"hello", ("127.0.0.1", 1)
            if len(self.calls) > 13 and receiver._stopping.is_set():
                raise BlockingIOError
            raise OSError(5, "Input/output error")

        def setblocking(self, _flag: bool) -> None:
            return None

        def getsockname(self) -> tuple[str, int]:
            return ("127.0.0.1", 1)

        def close(self) -> None:
            return None

    sock = FailingSocket()
    out: queue.SimpleQueue[Any] = queue.SimpleQueue()
    receiver = UdpReceiver(sock, out)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="restrike.ingest.receiver"):
        receiver.start()
        deadline = 200
        while out.empty() and deadline:
            deadline -= 1
            time.sleep(0.01)
        receiver._stopping.set()
        assert receiver._thread is not None
        receiver._thread.join(2)
    assert out.get_nowait()[1] == b"hello"
    assert receiver.errors >= 12
    failed = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failed) == 1 and failed[0].exc_info is not None  # not one per error
    assert any("works again after 12 errors" in r.getMessage() for r in caplog.records)
    gaps = [b - a for a, b in zip(sock.calls, sock.calls[1:12], strict=False)]
    assert gaps[-1] > gaps[0]  # backing off, not a fixed 50 ms
