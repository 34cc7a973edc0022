"""`restrike bench ingest --compare-receivers`: which receiver keeps up with a flood?

Three ways to take datagrams off the socket, each feeding the same pipeline thread
(parse + reduce, storage left out) while the event loop does API-like work (2 ms of
JSON every 10 ms):

* ``asyncio``: a ``DatagramProtocol`` on the event loop;
* ``thread``: `UdpReceiver`, a blocking ``recvfrom`` in a dedicated thread;
* ``process``: `ProcessReceiver`, a child process shipping ~1 ms batches.

A spawned sender sends ``rate`` datagrams/s for ``seconds``; printed: received, lost
(kernel drops), and the time the pipeline needed to catch up.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import queue
import time
from typing import Any

from restrike.bench.ingest import _sender
from restrike.ingest.pipeline import Pipeline
from restrike.ingest.process import ProcessReceiver
from restrike.ingest.receiver import UdpReceiver, kernel_drops, open_udp_socket
from restrike.protocol import MatchState, default_schema, state_to_json

__all__ = ["compare", "report"]

RATES = (10_000, 30_000, 50_000)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, inbox: queue.SimpleQueue[Any]) -> None:
        self.inbox = inbox
        self.received = 0

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received += 1
        self.inbox.put((time.time(), data, addr))


async def _loop_load(stop: asyncio.Event) -> None:
    state = state_to_json(MatchState())
    while not stop.is_set():
        until = time.perf_counter() + 0.002
        while time.perf_counter() < until:
            json.dumps(state)
        await asyncio.sleep(0.008)


async def _one(mode: str, rate: int, seconds: float) -> dict[str, Any]:
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    pipeline = Pipeline(inbox, default_schema(), lambda *a: None, lambda *a: None)
    pipeline.start()
    receiver: Any = None
    transport: Any = None
    protocol: _Protocol | None = None
    if mode == "asyncio":
        sock, _ = open_udp_socket("127.0.0.1", 0, 8 << 20)
        transport, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: _Protocol(inbox), sock=sock)
        port = sock.getsockname()[1]
    elif mode == "thread":
        sock, _ = open_udp_socket("127.0.0.1", 0, 8 << 20)
        receiver = UdpReceiver(sock, inbox)
        receiver.start()
        port = receiver.address[1]
    else:
        receiver = ProcessReceiver("127.0.0.1", 0, 8 << 20, inbox)
        await asyncio.to_thread(receiver.start)
        port = receiver.address[1]
    stop = asyncio.Event()
    load = asyncio.ensure_future(_loop_load(stop))
    ctx = multiprocessing.get_context("spawn")
    sent = ctx.Value("q", 0)
    sender = ctx.Process(target=_sender, args=(("127.0.0.1", port), rate, seconds, 1 << 30,
                                               sent, time.time() + 1.0))
    sender.start()
    await asyncio.to_thread(sender.join)
    done_sending = time.monotonic()
    await asyncio.sleep(0.5)
    drops = kernel_drops(port)
    stop.set()
    await load
    if mode == "asyncio":
        assert protocol is not None
        received = protocol.received
        transport.close()
    else:
        receiver.stop()
        received = receiver.received
    await asyncio.to_thread(pipeline.stop, 120.0)
    catch_up = time.monotonic() - done_sending
    return {"mode": mode, "rate": rate, "sent": int(sent.value), "received": received,
            "lost": int(sent.value) - received, "kernel_drops": drops,
            "catch_up_s": round(catch_up, 1)}


def compare(rates: tuple[int, ...] = RATES, seconds: float = 3.0) -> list[dict[str, Any]]:
    rows = []
    for rate in rates:
        for mode in ("asyncio", "thread", "process"):
            rows.append(asyncio.run(_one(mode, rate, seconds)))
    return rows


def report(rate: float = 0, seconds: float = 3.0) -> bool:
    rates = (int(rate),) if rate and rate != 1000 else RATES
    rows = compare(rates, min(seconds, 5.0))
    print(f"{'receiver':8} {'rate/s':>8} {'sent':>9} {'received':>9} {'lost':>8}  catch-up")
    for row in rows:
        print(f"{row['mode']:8} {row['rate']:>8,} {row['sent']:>9,} {row['received']:>9,} "
              f"{row['lost']:>8,}  {row['catch_up_s']} s")
    return True

