"""The station kernel: order of start, stages of stop, tasks, health, optional
components; the live path of the station the composition root builds."""

from __future__ import annotations

import ast
import asyncio
import gc
import logging
import queue
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter

import restrike.kernel.station as kernel_station
from restrike.assembly import Assembly
from restrike.bus import (
    EventsCommitted,
    HealthChanged,
    MessagesParsed,
    ResyncRequested,
    StateChanged,
)
from restrike.config import Settings
from restrike.ingest.pipeline import Pipeline
from restrike.ingest.receiver import UdpReceiver, open_udp_socket
from restrike.ingest.resync import pull_requests
from restrike.kernel import Context, Stage, Station
from restrike.protocol import default_schema
from tests.helpers import wait_until, wait_until_sync
from tests.station.fixtures import match_datagrams, send_udp, settled, station_pulled_by

KERNEL = Path(kernel_station.__file__).parent


class Recorder:
    """A component that logs what the station asks of it; ``fail`` says where it fails:
    ``"start"``, ``"hang"`` (a start that never ends), ``"cancel"`` (a start raising
    CancelledError of its own), ``"stop"`` (every stage raises), ``"stop-cancel"``,
    ``"health"``."""

    def __init__(self, name: str, log: list[str], fail: str = "") -> None:
        self.name = name
        self.log = log
        self.fail = fail

    async def start(self, ctx: Context) -> None:
        ctx.add_router(APIRouter(prefix=f"/{self.name}"))
        ctx.create_task(asyncio.sleep(3600), name=f"{self.name}-sleeper")
        if self.fail == "start":
            raise RuntimeError(f"{self.name} cannot start")
        if self.fail == "hang":
            await asyncio.Event().wait()
        if self.fail == "cancel":
            raise asyncio.CancelledError
        self.log.append(f"start {self.name}")

    async def stop(self, stage: Stage) -> None:
        self.log.append(f"{stage.name} {self.name}")
        if self.fail == "stop":
            raise RuntimeError(f"{self.name} cannot stop")
        if self.fail == "stop-cancel":
            raise asyncio.CancelledError

    def health(self) -> dict[str, Any]:
        if self.fail == "health":
            raise ValueError("no health today")
        return {"ok": True, "state": "running"}


def _station(tmp_path: Path) -> Station:
    return Station(Settings(), data_dir=tmp_path, switch_interval=None)


async def test_components_start_in_order_and_stop_in_stages(tmp_path: Path) -> None:
    log: list[str] = []
    station = _station(tmp_path)
    station.add(Recorder("a", log))
    station.add(Recorder("b", log))
    await station.start()
    assert log == ["start a", "start b"]
    assert gc.get_threshold() == kernel_station.GC_THRESHOLD  # young passes every 50,000
    assert station.tasks() == ["a-sleeper", "b-sleeper"]
    assert [r.prefix for r in station.routers] == ["/a", "/b"]
    assert station.health() == {"ok": True, "components": {
        "a": {"ok": True, "state": "running"}, "b": {"ok": True, "state": "running"}}}
    await station.stop()
    assert log[2:] == [f"{stage.name} {name}" for stage in Stage for name in ("b", "a")]
    assert station.tasks() == []


async def test_a_failing_component_stops_those_started(tmp_path: Path) -> None:
    log: list[str] = []
    station = _station(tmp_path)
    station.add(Recorder("a", log))
    station.add(Recorder("plugin", log), optional=True)
    station.add(Recorder("bad", log, fail="start"))
    with pytest.raises(RuntimeError, match="bad cannot start"):
        await station.start()
    assert "INTAKE a" in log and "CLOSE a" in log and "CLOSE plugin" in log
    assert station.tasks() == []


async def test_names_are_unique(tmp_path: Path) -> None:
    station = _station(tmp_path)
    station.add(Recorder("a", []))
    with pytest.raises(ValueError, match="'a'"):
        station.add(Recorder("a", []), optional=True)


@pytest.mark.parametrize("fail", ["start", "hang", "cancel"])
async def test_an_optional_component_that_fails_to_start_is_isolated(
        tmp_path: Path, fail: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(kernel_station, "OPTIONAL_START_TIMEOUT", 0.2)
    log: list[str] = []
    station = _station(tmp_path)
    healths: list[HealthChanged] = []
    station.bus.subscribe(HealthChanged, healths.append)
    station.add(Recorder("a", log))
    station.add(Recorder("plugin", log, fail=fail), optional=True)
    station.add(Recorder("b", log))
    with caplog.at_level(logging.ERROR, logger="restrike.kernel.station"):
        await station.start()  # the station starts anyway
    try:
        assert log[:2] == ["start a", "INTAKE plugin"]
        assert log[-1] == "start b"
        # Stopped at once, in every stage, to release what it opened; nothing served.
        assert [e for e in log if e.endswith(" plugin")] == [f"{s.name} plugin" for s in Stage]
        assert [r.prefix for r in station.routers] == ["/a", "/b"]
        health = station.health()
        failed = health["components"]["plugin"]
        assert failed["ok"] is False and failed["state"] == "failed"
        expected = {"start": "RuntimeError: plugin cannot start",
                    "hang": "did not start within 0.2 s", "cancel": "CancelledError"}[fail]
        assert failed["error"] == expected
        assert health["ok"] is False  # a failed component is an unhealthy station (503)
        assert health["components"]["a"]["ok"] and health["components"]["b"]["ok"]
        assert [h.health for h in healths if h.component == "plugin"] == [failed]
        record = next(r for r in caplog.records if "plugin" in r.getMessage())
        assert "failed to start" in record.getMessage() and record.exc_info is not None
        station.publish_health_changes()  # nothing changed: nothing more published
        assert [h.component for h in healths].count("plugin") == 1
    finally:
        await station.stop()
    assert log.count("CLOSE plugin") == 1  # not stopped twice
    assert "CLOSE a" in log and "CLOSE b" in log and station.tasks() == []


@pytest.mark.parametrize("fail", ["stop", "stop-cancel"])
async def test_stop_errors_of_an_optional_component_are_isolated(
        tmp_path: Path, fail: str, caplog: pytest.LogCaptureFixture) -> None:
    log: list[str] = []
    station = _station(tmp_path)
    station.add(Recorder("a", log))
    station.add(Recorder("plugin", log, fail=fail), optional=True)
    station.add(Recorder("b", log))
    await station.start()
    with caplog.at_level(logging.ERROR, logger="restrike.kernel.station"):
        await station.stop()
    stops = log[3:]
    assert stops == [f"{stage.name} {name}" for stage in Stage for name in ("b", "plugin", "a")]
    assert sum("plugin" in r.getMessage() for r in caplog.records) == len(Stage)
    assert station.tasks() == []


async def test_a_core_components_own_cancel_in_stop_still_propagates(tmp_path: Path) -> None:
    station = _station(tmp_path)
    station.add(Recorder("core", [], fail="stop-cancel"))
    await station.start()
    with pytest.raises(asyncio.CancelledError):
        await station.stop()


async def test_an_optional_components_failing_health_is_isolated(
        tmp_path: Path) -> None:
    station = _station(tmp_path)
    station.add(Recorder("a", []))
    station.add(Recorder("plugin", [], fail="health"), optional=True)
    await station.start()  # publishes HealthChanged for it: must not raise
    try:
        health = station.health()
        assert health["components"]["plugin"] == {
            "ok": False, "state": "failed", "error": "health() failed: ValueError: no health "
                                                     "today"}
        assert health["components"]["a"]["ok"] and health["ok"] is False
        station.publish_health_changes()
        assert station.live_status["health"]["plugin"]["state"] == "failed"
    finally:
        await station.stop()


def test_the_kernel_imports_no_part() -> None:
    """Not even inside a function: only the standard library, the bus, the errors, the
    callbacks, the pure protocol, the kernel itself (config and fastapi for types)."""
    allowed = ("restrike.bus", "restrike.errors", "restrike.callbacks", "restrike.protocol",
               "restrike.kernel", "restrike.config", "fastapi")
    for path in sorted(KERNEL.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("restrike") or name.startswith("fastapi"):
                    assert name.startswith(allowed), f"{path.name} imports {name}"


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


async def test_malformed_datagrams_are_stored_with_their_reason(assembled: Assembly) -> None:
    port = assembled.station.bound["udp"]["port"]
    stats = assembled.view.stats
    send_udp(port, [b"", b"\x00\x01\x02", b"pt1;9", b"clk;99:99"])
    await wait_until(lambda: settled(stats(), 4))
    assert stats()["invalid"] + stats()["unknown"] >= 4
    assert assembled.store.store is not None
    reader = assembled.store.store.reader()
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
    async with station_pulled_by(tmp_path, read_timeout=2) as (pss, parts):
        station, ingest = parts.station, parts.ingest
        got = [pss.recvfrom(100) for _ in ingest.schema.requests]
        assert got[0][0] == b"clock\r\n"
        assert got[0][1][1] == station.bound["udp"]["port"]  # from the feed socket
        # The scoring software answers to that address: the station takes it in.
        pss.sendto(b"clk;1:23\r\n", got[0][1])
        await wait_until(lambda: station.live.state.clock.seconds == 83)
        assert ingest.resync() == list(ingest.schema.requests)
        for _ in ingest.schema.requests:  # what resync() just sent
            pss.recvfrom(100)
        station.bus.publish(ResyncRequested())  # what the demo's simulator does
        assert pss.recvfrom(100)[0] == b"clock\r\n" and ingest.resyncs == 3


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

    class WaitsEvent(threading.Event):
        """The receiver's stop event, noting each wait it asks for (its backoff)."""

        def __init__(self) -> None:
            super().__init__()
            self.waits: list[float] = []

        def wait(self, timeout: float | None = None) -> bool:
            if timeout is not None:
                self.waits.append(timeout)
            return super().wait(timeout)

    sock = FailingSocket()
    out: queue.SimpleQueue[Any] = queue.SimpleQueue()
    receiver = UdpReceiver(sock, out)  # type: ignore[arg-type]
    receiver._stopping = stopping = WaitsEvent()
    with caplog.at_level(logging.INFO, logger="restrike.ingest.receiver"):
        receiver.start()
        try:  # a busy machine may starve the thread a while
            wait_until_sync(lambda: not out.empty(), 30, "the datagram after the failures")
        finally:
            stopping.set()
        assert receiver._thread is not None
        receiver._thread.join(5)
    assert out.get_nowait()[1] == b"hello"
    assert receiver.errors >= 12
    failed = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failed) == 1 and failed[0].exc_info is not None  # not one per error
    assert any("works again after 12 errors" in r.getMessage() for r in caplog.records)
    # Backing off (doubling up to the cap), not a fixed wait: the waits it asked for,
    # not the measured gaps, which a busy machine stretches at random.
    assert stopping.waits[:12] == [0.001, 0.002] + [0.004] * 10
