"""Issue 11's flood against the real station: real UDP, the real receiver process.

20,000 datagrams of random sizes up to 65,507 bytes (the largest IPv4 UDP payload),
then 100 valid ones: intake must survive, every datagram the kernel delivered must be
stored, and all 100 valid ones must arrive. (Before the fix a short pipe read was
taken for the end of the stream: 0 of the 100 arrived.)
"""

from __future__ import annotations

import asyncio
import random
import socket
import sqlite3
import sys
import time

import pytest

from restrike.assembly import Assembly
from tests.helpers import wait_until
from tests.station.fixtures import settled

pytestmark = pytest.mark.slow

FLOOD = 20_000
VALID = [b"clk;1:%02d;" % (59 - i % 60) for i in range(100)]


def flood(port: int, seed: int = 11) -> list[int]:
    """Send the burst (sizes 0 and 65,507 included); returns the sizes sent."""
    rng = random.Random(seed)
    sizes = [0, 65507] + [rng.randint(0, 65507) for _ in range(FLOOD - 2)]
    rng.shuffle(sizes)
    # Bytes without separators: one Unknown message each, cheap to parse, so the test
    # measures intake (random letters cost the parser up to 50 ms per 64 kB).
    blob = (b"0123456789abcdef" * 4096)[:65507]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        for size in sizes:
            s.sendto(blob[:size], ("127.0.0.1", port))
        time.sleep(0.5)
        for data in VALID:
            s.sendto(data, ("127.0.0.1", port))
            time.sleep(0.001)
    return sizes


def count_valid(assembled: Assembly) -> int:
    with sqlite3.connect(f"file:{assembled.store.path}?mode=ro", uri=True) as db:
        (count,) = db.execute("SELECT count(*) FROM datagrams WHERE substr(data, 1, 4) = ?",
                              (b"clk;",)).fetchone()
    db.close()
    return int(count)


async def test_a_flood_of_every_size_never_stops_intake(assembled: Assembly) -> None:
    station = assembled.station
    port = station.bound["udp"]["port"]
    await asyncio.to_thread(flood, port)
    total = FLOOD + len(VALID)
    stats = await wait_until(
        lambda: settled(s := assembled.view.stats(), s["datagrams_received"])
        and count_valid(assembled) == len(VALID) and s, 180, "the flood stored")
    health = assembled.ingest.health()
    assert health["ok"] and health["state"] == "running", health
    assert health["restarts"] == {"receiver": 0, "pipeline": 0}
    assert health["corrupt_batches"] == 0 and health["last_failure"] is None
    assert count_valid(assembled) == len(VALID)
    assert station.live.state.clock is not None
    assert stats["stored"] == stats["datagrams_received"]
    if sys.platform.startswith("linux"):  # the kernel's drop counter is Linux only
        assert stats["datagrams_received"] + stats["dropped"] == total
