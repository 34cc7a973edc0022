"""The receiver process's memory stays bounded while the feed cannot be stored.

The real station with its real receiver process, which stores the feed itself; the
station's own writer holds the database's write lock (a writer job that waits), so
the child's commits wait, its memory fills (4 MB) and the rest must go to the spool
file on disk. Measured with psutil.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from typing import Any

import psutil
import pytest

from restrike.assembly import Assembly
from restrike.ingest.process import RAM_LIMIT, SPOOL_FILE
from tests.helpers import wait_until

pytestmark = pytest.mark.slow

SIZE = 60_000
COUNT = 2_500  # 150 MB: far more than the inbox, the pipe and the child's memory


class PeakRss:
    """Samples a process's RSS every few milliseconds in a thread."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-rss-sampler")

    def _run(self) -> None:
        while not self._stop.wait(0.003):
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def send(port: int) -> int:
    """COUNT datagrams of SIZE bytes, in bursts the child can take off the socket."""
    data = b"z" * SIZE
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(COUNT):
            s.sendto(data, ("127.0.0.1", port))
            if i % 20 == 19:
                time.sleep(0.002)
    return COUNT


async def test_the_receiver_spools_to_disk_while_the_station_is_stalled(
        assembled: Assembly) -> None:
    station = assembled.station
    receiver: Any = assembled.ingest.receiver
    assert receiver is not None and assembled.ingest.child_store is not None
    release = threading.Event()
    held_lock = assembled.store.call(lambda _conn: release.wait(60))
    spool = station.data_dir / SPOOL_FILE
    baseline = psutil.Process(receiver.pid).memory_info().rss
    try:
        with PeakRss(receiver.pid) as rss:
            sent = await asyncio.to_thread(send, station.bound["udp"]["port"])
            await wait_until(lambda: receiver.spool_bytes > 50 * SIZE, 20,
                             "the child spooling")
            on_disk = receiver.spool_bytes
            held = rss.peak
            assert assembled.ingest.health()["spool_bytes"] >= on_disk  # fresh while stalled
            await wait_until(lambda: assembled.store.health()["error"], 30,
                             "the child's failing commits reported")
    finally:
        release.set()
    assert held_lock.result(10) is True
    # What the child holds in memory is capped; the backlog went to disk.
    assert on_disk > 50 * SIZE and spool.exists()
    assert held - baseline < RAM_LIMIT + 12 * 1024 * 1024, (baseline, held)
    assert held < 64 * 1024 * 1024
    # The receiver process counts a datagram as it stores it: wait for what was sent
    # (less what the kernel dropped, counted on Linux), not for its own count.
    def stored_all() -> Any:
        s: Any = assembled.view.stats()
        lost = s["dropped"] if sys.platform.startswith("linux") else 0
        return s if s["stored"] + lost >= sent and receiver.spool_bytes == 0 else None

    stats: Any = await wait_until(stored_all, 60, "the backlog stored")
    assert stats["stored"] == stats["datagrams_received"]
    if sys.platform.startswith("linux"):
        assert stats["datagrams_received"] + stats["dropped"] == sent
    await wait_until(lambda: assembled.ingest.health()["spooled"] > 0, 5, "spooled counted")
    health = assembled.ingest.health()
    assert health["ok"] and health["spool_error"] is None
    assert health["spool_path"] == str(spool)
