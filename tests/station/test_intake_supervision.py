"""Intake parts that stop are reported and restarted: the real station, real UDP, the
real receiver process (and the thread receiver), failures made for real (SIGKILL) or
injected where nothing else can reach (a pipeline bug, a corrupt pipe)."""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import signal
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

import restrike.ingest.pipeline as pipeline_module
import restrike.ingest.process as process_module
from restrike.assembly import Assembly, assemble
from restrike.bus import HealthChanged
from restrike.errors import RestrikeError
from restrike.ingest.pipeline import Pipeline
from restrike.ingest.supervisor import RESTART_MAX, restart_delay
from restrike.kernel import Station
from restrike.protocol import Parsed, default_schema
from tests.helpers import wait_until, wait_until_sync
from tests.station.fixtures import send_udp, station_settings


def stored_like(assembled: Assembly, prefix: bytes) -> list[int]:
    """Sequence numbers of the stored datagrams that start with ``prefix``."""
    with sqlite3.connect(f"file:{assembled.store.path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT seq FROM datagrams WHERE substr(data, 1, ?) = ?",
                          (len(prefix), prefix)).fetchall()
    db.close()
    return [r[0] for r in rows]


async def all_stored(assembled: Assembly, prefix: bytes, count: int) -> None:
    await wait_until(lambda: len(stored_like(assembled, prefix)) >= count, 20,
                     f"{count} datagrams {prefix!r} stored")


class HealthLog:
    """Every HealthChanged of the ingest component, as the console receives them."""

    def __init__(self, station: Station) -> None:
        self.events: list[Mapping[str, Any]] = []
        station.bus.subscribe(HealthChanged, self._on)

    def _on(self, event: HealthChanged) -> None:
        if event.component == "ingest":
            self.events.append(event.health)

    def red(self) -> Mapping[str, Any] | None:
        return next((h for h in self.events if not h["ok"]), None)

    def green_after_red(self) -> bool:
        red = self.red()
        return red is not None and self.events[-1]["ok"] and self.events.index(red) < len(
            self.events) - 1


class Feeder:
    """Sends ``<prefix><n>;`` to the station every millisecond until stopped."""

    def __init__(self, port: int, prefix: bytes) -> None:
        self.port = port
        self.prefix = prefix
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-feeder")

    def _run(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            while not self._stop.is_set():
                s.sendto(self.prefix + b"%d;" % self.sent, ("127.0.0.1", self.port))
                self.sent += 1
                time.sleep(0.001)

    def __enter__(self) -> Feeder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
async def thread_station(tmp_path: Path) -> AsyncIterator[Assembly]:
    settings = station_settings(tmp_path / "data", **{"udp.receiver": "thread"})
    parts = assemble(settings, serve_http=False, review=False)
    await parts.station.start()
    try:
        yield parts
    finally:
        await parts.station.stop()


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO, logger="restrike.ingest"):
        yield caplog


def test_the_backoff_doubles_up_to_its_cap() -> None:
    delays = [restart_delay(n) for n in range(1, 10)]
    assert delays[:3] == [0.2, 0.4, 0.8]
    assert delays == sorted(delays) and delays[-1] == RESTART_MAX


@pytest.mark.slow
async def test_a_receiver_process_killed_mid_feed_is_reported_and_restarted(
        station: Station, assembled: Assembly,
        api: httpx.AsyncClient, errors: pytest.LogCaptureFixture) -> None:
    health = HealthLog(station)
    receiver = assembled.ingest.receiver
    assert receiver is not None
    first_pid = getattr(receiver, "pid", None)
    assert first_pid is not None
    port = station.bound["udp"]["port"]
    with Feeder(port, b"bnc;") as feeder:
        await wait_until(lambda: len(stored_like(assembled, b"bnc;")) >= 200, 20,
                         "the feed flowing")
        psutil.Process(first_pid).kill()
        red = await wait_until(health.red, 10, "health turning red")
        await wait_until(health.green_after_red, 15, "health turning green again")
    sent_during = feeder.sent
    assert "killed by signal 9 (SIGKILL)" in red["reason"] and red["state"] == "restarting"
    assert red["reason"].startswith("receiver: ")
    assert any("UDP receiver stopped: receiver process killed by signal 9" in r.getMessage()
               for r in errors.records if r.levelno == logging.ERROR)
    now = assembled.ingest.health()
    assert now["ok"] and now["restarts"] == {"receiver": 1, "pipeline": 0}
    assert now["receiver_pid"] != first_pid and psutil.pid_exists(now["receiver_pid"])
    assert now["last_failure"]["part"] == "receiver"
    assert "SIGKILL" in now["last_failure"]["reason"]
    # Datagrams sent while no process read waited in the kernel buffer (the station
    # keeps the socket): only what the killed process held, at most ~1 ms, is gone.
    stats = assembled.view.stats
    await wait_until(lambda: len(stored_like(assembled, b"bnc;")) + stats()["dropped"]
                     >= sent_during - 10, 20, "what was sent during the kill stored")
    # Later datagrams all arrive.
    send_udp(port, [b"clk;0:%02d;" % (i % 60) for i in range(100)], pause=0.0005)
    await all_stored(assembled, b"clk;", 100)
    stats = (await api.get("/api/v1/stats")).json()
    assert stats["datagrams_received"] >= sent_during - 10 + 100
    assert stats["stored"] == stats["datagrams_received"]


@pytest.mark.slow
async def test_a_pipeline_crash_is_logged_restarted_and_loses_nothing(
        station: Station, assembled: Assembly, errors: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    health = HealthLog(station)
    pipeline = assembled.ingest.pipeline
    assert pipeline is not None
    parse = pipeline_module.parse_guarded
    calls = 0

    def failing(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 150:
            raise RuntimeError("injected pipeline failure")
        return parse(*args)

    monkeypatch.setattr(pipeline_module, "parse_guarded", failing)
    folded = pipeline.messages
    port = station.bound["udp"]["port"]
    await asyncio.to_thread(send_udp, port, [b"bnc;%d;" % i for i in range(400)], pause=0.0002)
    await all_stored(assembled, b"bnc;", 400)
    await wait_until(health.green_after_red, 10, "health green again")
    # The restarted thread went on where the failed one stopped: each datagram once.
    await wait_until(lambda: pipeline.messages - folded == 400, 10, "all 400 folded")
    red = health.red()
    assert red is not None and "injected pipeline failure" in red["reason"]
    crash = [r for r in errors.records if r.getMessage().startswith(
        "ingest pipeline thread failed")]
    assert len(crash) == 1 and crash[0].exc_info is not None
    assert "injected pipeline failure" in str(crash[0].exc_info[1])
    seqs = stored_like(assembled, b"bnc;")
    assert len(seqs) == len(set(seqs)) == 400  # none lost, none stored twice
    assert assembled.ingest.health()["restarts"] == {"receiver": 0, "pipeline": 1}


@pytest.mark.slow
async def test_a_corrupt_pipe_is_reported_and_the_receiver_restarted(
        station: Station, assembled: Assembly,
        errors: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    health = HealthLog(station)
    real = process_module.read_message  # type: ignore[attr-defined]
    calls = 0

    def corrupting(stream: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise RestrikeError("corrupt frame: a batch of 4294967295 bytes (injected)")
        return real(stream)

    monkeypatch.setattr(process_module, "read_message", corrupting)
    port = station.bound["udp"]["port"]
    for i in range(8):
        send_udp(port, [b"bnc;%d;" % i])
        await asyncio.sleep(0.05)
    red = await wait_until(health.red, 10, "health turning red")
    assert "corrupt frame" in red["reason"] and "was killed" in red["reason"]
    await wait_until(health.green_after_red, 15, "health green again")
    send_udp(port, [b"clk;0:%02d;" % i for i in range(50)], pause=0.0005)
    await all_stored(assembled, b"clk;", 50)
    assert assembled.ingest.health()["restarts"]["receiver"] == 1


@pytest.mark.slow
async def test_a_thread_receiver_that_dies_is_restarted(
        thread_station: Assembly, errors: pytest.LogCaptureFixture) -> None:
    assembled = thread_station
    station = assembled.station
    health = HealthLog(station)
    receiver = assembled.ingest.receiver
    assert receiver is not None
    inbox = receiver.out

    class Failing:
        """The inbox, failing once at the hand-over."""

        def __init__(self) -> None:
            self.failed = False

        def put(self, item: Any, *args: Any) -> None:
            if not self.failed:
                self.failed = True
                raise RuntimeError("injected receiver failure")
            inbox.put(item)

    receiver.out = Failing()  # type: ignore[assignment]
    port = station.bound["udp"]["port"]
    send_udp(port, [b"bnc;first;"])
    red = await wait_until(health.red, 10, "health turning red")
    assert "injected receiver failure" in red["reason"]
    await wait_until(health.green_after_red, 10, "health green again")
    assert any(r.getMessage() == "UDP receiver thread failed" and r.exc_info
               for r in errors.records)
    send_udp(port, [b"clk;0:%02d;" % i for i in range(50)], pause=0.0005)
    await all_stored(assembled, b"clk;", 50)
    assert assembled.view.stats()["datagrams_received"] == 51  # the failed hand-over counted


def test_a_pipeline_that_died_before_the_stop_still_stores_what_it_held(
        errors: pytest.LogCaptureFixture) -> None:
    stored: list[int] = []
    failed = False

    def submit(seq: int, received_at: float, source: str, data: bytes,
               messages: Sequence[Parsed]) -> None:
        nonlocal failed
        if seq == 3 and not failed:
            failed = True
            raise RuntimeError("injected store failure")
        stored.append(seq)

    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    pipeline = Pipeline(inbox, default_schema(), submit, lambda *_: None)
    for i in range(5):
        inbox.put((1000.0 + i, b"clk;1:%02d;" % i, ("127.0.0.1", 1)))
    pipeline.start()
    wait_until_sync(lambda: not pipeline.running, 5, "the pipeline to stop on the failure")
    assert "injected store failure" in str(pipeline.failure)
    assert stored == [1, 2]
    assert pipeline.stop(5.0)
    assert stored == [1, 2, 3, 4, 5] and pipeline.seq == 5


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_sigterm_to_the_process_group_leaves_the_receiver_to_the_station(
        assembled: Assembly) -> None:
    """A service manager (or `timeout`) signals the whole group: the station stops its
    receiver itself, after draining; the receiver must not die first (it did, and the
    supervisor started another one while the station stopped)."""
    receiver = assembled.ingest.receiver
    pid = getattr(receiver, "pid", None)
    assert pid is not None
    os.kill(pid, signal.SIGTERM)
    send_udp(assembled.station.bound["udp"]["port"], [b"clk;1:%02d;" % i for i in range(20)])
    await all_stored(assembled, b"clk;", 20)
    assert getattr(receiver, "pid", None) == pid and psutil.pid_exists(pid)
    assert assembled.ingest.health()["restarts"]["receiver"] == 0
