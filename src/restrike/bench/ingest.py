"""`restrike bench ingest`: drive a station over UDP from another process and measure.

The station is a subprocess started here (or a running one: ``--url``/``--udp``).
A spawned sender process sends a feed-like mix at a fixed rate; every Nth datagram
is a probe ``bnc;<seq>;<send time ns>`` (an unknown code, stored like any other).
This process listens on ``/ws/live``: each committed probe comes back in an
``events`` message carrying the commit time, which gives send→committed, and its
arrival gives send→WebSocket client. A third process polls ``GET /api/v1/state``
for its latency. Loss = sent − stored (after the station drained). RSS and CPU come from
``GET /api/v1/diagnostics``.

Targets (issue 3, 2-core machine): zero loss at 50,000 msg/s for 10 s; p99
send→committed ≤ 5 ms at 1,000 msg/s; RSS ≤ 80 MB idle with one console client;
``GET /api/v1/state`` p99 ≤ 2 ms under 1,000 msg/s. Issue 15: peak RSS (station +
receiver process, sampled every 50 ms during the send and the drain) ≤ 150 MB at
50,000 msg/s for 10 s; the sustained end-to-end rate (stored / first send → last
commit) raised from ≈19,500 msg/s.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from restrike.bench._peak import PeakRss, tree_rss

__all__ = ["Result", "run_rate", "run_scenarios"]

TARGET_LOSS_RATE = 50_000
TARGET_COMMIT_P99_MS = 5.0
TARGET_RSS_MB = 80.0
TARGET_STATE_P99_MS = 2.0
TARGET_PEAK_RSS_MB = 150.0
#: The sustained end-to-end rate before issue 15 (the store alone: 96,000 datagrams/s).
BEFORE_SUSTAINED_RATE = 19_500


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _intake_ok(health: dict[str, Any]) -> bool:
    """The parts the bench measures run (a failing plugin does not stop the bench)."""
    parts = health.get("components", {})
    return all(parts.get(name, {}).get("ok") for name in ("store", "ingest", "api"))


def _percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


# --- the sender (a separate process) ----------------------------------------------------


def _sender(target: tuple[str, int], rate: float, seconds: float, probe_every: int,
            sent_out: Any, start_at: float, began_out: Any = None) -> None:
    from restrike.bench.parse import realistic_mix

    mix = realistic_mix(datagrams=5000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    total = int(rate * seconds)
    while time.time() < start_at:
        time.sleep(0.001)
    began = time.perf_counter()
    if began_out is not None:  # a loaded machine may start this process late
        began_out.value = time.time()
    sent = 0
    sendto = sock.sendto
    while sent < total:
        due = min(total, int((time.perf_counter() - began) * rate) + 1)
        while sent < due:
            if sent % probe_every == 0:
                data = b"bnc;%d;%d\r\n" % (sent, time.time_ns())
            else:
                data = mix[sent % len(mix)]
            try:
                sendto(data, target)
            except OSError:
                time.sleep(0.0005)  # ENOBUFS: the send side is full; retry this one
                continue
            sent += 1
        time.sleep(0.0005)
    sent_out.value = sent
    sock.close()


# --- the station under test ------------------------------------------------------------


class StationUnderTest:
    """A station subprocess on free ports, or the one at ``url``/``udp``."""

    def __init__(self, url: str | None = None, udp: str | None = None) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if url:
            self.url = url.rstrip("/")
            host, _, port = (udp or "127.0.0.1:6000").rpartition(":")
            self.udp = (host or "127.0.0.1", int(port))
        else:
            self.url = ""
            self.udp = ("127.0.0.1", 0)

    def start(self) -> None:
        if self.url:
            return
        self._tmp = tempfile.TemporaryDirectory(prefix="restrike-bench-")
        udp_port, http_port = _free_port(socket.SOCK_DGRAM), _free_port(socket.SOCK_STREAM)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("RESTRIKE_") or k == "RESTRIKE_UDP_RECEIVER"}
        env["RESTRIKE_LOG_LEVEL"] = "WARNING"
        env["RESTRIKE_PLAYBACK_ENABLED"] = "false"  # no idle mpv next to the figures
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "restrike", "run", "--no-browser", "--data-dir",
             self._tmp.name, "--udp-host", "127.0.0.1", "--udp-port", str(udp_port),
             "--http-host", "127.0.0.1", "--http-port", str(http_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        self.url = f"http://127.0.0.1:{http_port}"
        self.udp = ("127.0.0.1", udp_port)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError):
                if _intake_ok(self.get("/api/health")):
                    return
            if self.proc.poll() is not None:
                raise RuntimeError(f"station exited with {self.proc.returncode}")
            time.sleep(0.1)
        raise RuntimeError("station did not start in 30 s")

    def get(self, path: str) -> Any:
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80,
                                          timeout=120)  # late under a flood: a figure
        try:
            conn.request("GET", path)
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def rss_now(self) -> float:
        """Bytes the station and its receiver process hold now."""
        if self.proc is not None:
            return tree_rss(self.proc.pid)
        return float(self.get("/api/v1/diagnostics")["process"]["total_rss_mb"]) * 1_048_576

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self._tmp is not None:
            self._tmp.cleanup()


# --- one measured run ------------------------------------------------------------------


@dataclass
class Result:
    rate: float
    seconds: float
    sent: int = 0
    received: int = 0
    stored: int = 0
    dropped: int = 0
    commit_ms: list[float] = field(default_factory=list)
    ws_ms: list[float] = field(default_factory=list)
    state_ms: list[float] = field(default_factory=list)
    state_client: str = "raw"
    rss_mb: float | None = None
    cpu_percent: float | None = None
    drain_seconds: float = 0.0
    resyncs: int = 0
    peak_rss_mb: float | None = None
    sustained_rate: float | None = None  # stored / (first send → everything stored)

    @property
    def lost(self) -> int:
        return self.sent - self.stored


def _poll_state(url: str, start_at: float, seconds: float, interval: float,
                out: Any, client: str = "raw") -> None:
    """In its own process (so the bench's WebSocket client does not slow it down).

    ``raw``: one keep-alive socket, the request bytes built once, the response read up
    to its Content-Length — the time is the round trip, with as little client work as
    possible. ``http.client``: the standard library's client (~0.1–0.2 ms of its own
    per request on this machine), kept to compare.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = _state_request if client == "raw" else _state_request_http_client
    times: list[float] = []
    with request(host, port) as get:
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        try:
            while time.time() < end:
                started = time.perf_counter()
                get()
                times.append((time.perf_counter() - started) * 1000)
                time.sleep(interval)
        finally:
            out.put(times)


@contextlib.contextmanager
def _state_request(host: str, port: int) -> Any:
    """``GET /api/v1/state`` over one keep-alive socket; yields a function doing one."""
    sock = socket.create_connection((host, port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    raw = f"GET /api/v1/state HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    buffer = bytearray()

    def get() -> bytes:
        sock.sendall(raw)
        while (end := buffer.find(b"\r\n\r\n")) < 0:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the station closed the connection")
            buffer.extend(chunk)
        head = bytes(buffer[:end]).lower()
        start = head.find(b"content-length:")
        if start < 0:
            raise ConnectionError("response without Content-Length")
        length = int(head[start + 15:].split(b"\r\n", 1)[0])
        total = end + 4 + length
        while len(buffer) < total:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the station closed the connection")
            buffer.extend(chunk)
        body = bytes(buffer[end + 4:total])
        del buffer[:total]
        if not head.startswith(b"http/1.1 200"):
            raise ConnectionError(f"GET /api/v1/state: {head[:40]!r}")
        return body

    try:
        yield get
    finally:
        sock.close()


@contextlib.contextmanager
def _state_request_http_client(host: str, port: int) -> Any:
    conn = http.client.HTTPConnection(host, port, timeout=10)

    def get() -> bytes:
        conn.request("GET", "/api/v1/state")
        return conn.getresponse().read()

    try:
        yield get
    finally:
        conn.close()


async def _listen(url: str, result: Result, stop: asyncio.Event) -> None:
    import websockets

    ws_url = "ws" + url[len("http"):] + "/ws/live"
    async with websockets.connect(ws_url, max_size=None) as ws:
        await ws.recv()  # snapshot
        stop_task = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                recv = asyncio.ensure_future(ws.recv())
                done, _ = await asyncio.wait({recv, stop_task},
                                             return_when=asyncio.FIRST_COMPLETED)
                if recv not in done:
                    recv.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await recv
                    break
                arrived = time.time()
                message = json.loads(recv.result())
                if message.get("type") == "resync":
                    result.resyncs += 1
                if message.get("type") != "events":
                    continue
                committed = message.get("committed_at")
                for event in message["events"]:
                    if event.get("code") != "bnc":
                        continue
                    parts = event["raw"].split(";")
                    sent_at = int(parts[2]) / 1e9
                    if committed:
                        result.commit_ms.append((committed - sent_at) * 1000)
                    result.ws_ms.append((arrived - sent_at) * 1000)
        finally:
            stop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stop_task


async def _run_async(sut: StationUnderTest, rate: float, seconds: float,
                     poll_state: bool, listen: bool, state_client: str = "raw") -> Result:
    result = Result(rate, seconds, state_client=state_client)
    before = sut.get("/api/v1/stats")
    sut.get("/api/v1/diagnostics")  # starts the CPU % window
    stop = asyncio.Event()
    listener = asyncio.ensure_future(_listen(sut.url, result, stop)) if listen else None
    await asyncio.sleep(0.3)
    probe_every = max(1, int(rate // 200))
    ctx = multiprocessing.get_context("spawn")
    sent_value = ctx.Value("q", 0)
    began_value = ctx.Value("d", 0.0)
    start_at = time.time() + 1.5
    sender = ctx.Process(target=_sender, args=(sut.udp, rate, seconds, probe_every,
                                               sent_value, start_at, began_value),
                         name="bench-sender")
    peak = PeakRss(sut.rss_now)
    peak.start()
    sender.start()
    poller = None
    polled = ctx.Queue()
    if poll_state:
        poller = ctx.Process(target=_poll_state, name="bench-state-poller",
                             args=(sut.url, start_at, seconds, 0.005, polled, state_client))
        poller.start()
    await asyncio.to_thread(sender.join)
    result.sent = int(sent_value.value)
    sent_done = time.monotonic()
    figures = sut.get("/api/v1/diagnostics")["process"]
    result.cpu_percent = figures["cpu_percent"]
    expected = before["stored"] + result.sent
    last, last_change = -1, time.monotonic()
    while True:
        stats = sut.get("/api/v1/stats")
        if stats["stored"] >= expected:
            break
        if stats["stored"] != last:
            last, last_change = stats["stored"], time.monotonic()
        elif time.monotonic() - last_change > 10:
            break
        await asyncio.sleep(0.1)
    stored_at = time.time()
    result.drain_seconds = time.monotonic() - sent_done
    if poller is not None:
        result.state_ms = await asyncio.to_thread(polled.get, True, 60)
        await asyncio.to_thread(poller.join)
    peak.stop()
    result.peak_rss_mb = peak.peak_mb
    elapsed = stored_at - (began_value.value or start_at)  # within 0.1 s (the polling)
    if elapsed > 0:
        result.sustained_rate = (stats["stored"] - before["stored"]) / elapsed
    await asyncio.sleep(0.3)
    stop.set()
    if listener is not None:
        await listener
    result.received = stats["datagrams_received"] - before["datagrams_received"]
    result.stored = stats["stored"] - before["stored"]
    result.dropped = stats["dropped"] - before["dropped"]
    figures = sut.get("/api/v1/diagnostics")["process"]
    result.rss_mb = figures.get("total_rss_mb", figures["rss_mb"])
    return result


def run_rate(sut: StationUnderTest, rate: float, seconds: float,
             poll_state: bool = True, listen: bool = True, state_client: str = "raw") -> Result:
    return asyncio.run(_run_async(sut, rate, seconds, poll_state, listen, state_client))


async def _idle_rss(sut: StationUnderTest, wait: float = 3.0) -> float:
    import websockets

    ws_url = "ws" + sut.url[len("http"):] + "/ws/live"
    async with websockets.connect(ws_url) as ws:
        await ws.recv()
        await asyncio.sleep(wait)
        figures = sut.get("/api/v1/diagnostics")["process"]
        # The station and its receiving child process together.
        return float(figures.get("total_rss_mb", figures["rss_mb"]))


# --- printing --------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} ms"


def print_result(result: Result) -> None:
    print(f"rate {result.rate:,.0f} msg/s for {result.seconds:g} s")
    print(f"  sent {result.sent:,}  received {result.received:,}  stored {result.stored:,}  "
          f"lost {result.lost:,}  kernel drops {result.dropped:,}  "
          f"(drained {result.drain_seconds:.1f} s after the last send)")
    print(f"  send→committed p50 {_ms(_percentile(result.commit_ms, 50))}  "
          f"p99 {_ms(_percentile(result.commit_ms, 99))}  ({len(result.commit_ms)} probes)")
    print(f"  send→WebSocket p50 {_ms(_percentile(result.ws_ms, 50))}  "
          f"p99 {_ms(_percentile(result.ws_ms, 99))}  (client resyncs {result.resyncs})")
    if result.state_ms:
        print(f"  GET /api/v1/state p50 {_ms(statistics.median(result.state_ms))}  "
              f"p99 {_ms(_percentile(result.state_ms, 99))}  ({len(result.state_ms)} requests, "
              f"{result.state_client} client)")
    print(f"  station RSS {result.rss_mb} MB after the drain, peak {result.peak_rss_mb} MB "
          f"(target <= {TARGET_PEAK_RSS_MB:g} MB; with its receiver process)  CPU "
          f"{result.cpu_percent}% of one core during the send (main process)")
    if result.sustained_rate is not None:
        print(f"  sustained end-to-end {result.sustained_rate:,.0f} msg/s (first send → "
              f"last stored; before issue 15 ≈{BEFORE_SUSTAINED_RATE:,})")


def run_scenarios(sut: StationUnderTest, seconds: float = 10.0,
                  state_client: str = "raw") -> bool:
    """The issue's four targets, on one station: idle, 1,000 msg/s, 50,000 msg/s."""
    rows: list[tuple[str, str, str, bool]] = []
    idle = asyncio.run(_idle_rss(sut))
    rows.append(("RSS idle, one console client", f"{idle:.1f} MB", f"<= {TARGET_RSS_MB:g} MB",
                 idle <= TARGET_RSS_MB))
    slow = run_rate(sut, 1_000, seconds, poll_state=True, state_client=state_client)
    print_result(slow)
    p99 = _percentile(slow.commit_ms, 99)
    rows.append(("p99 send→committed @1,000 msg/s", _ms(p99),
                 f"<= {TARGET_COMMIT_P99_MS:g} ms", p99 is not None
                 and p99 <= TARGET_COMMIT_P99_MS))
    state_p99 = _percentile(slow.state_ms, 99)
    rows.append(("p99 GET /api/v1/state @1,000 msg/s", _ms(state_p99),
                 f"<= {TARGET_STATE_P99_MS:g} ms", state_p99 is not None
                 and state_p99 <= TARGET_STATE_P99_MS))
    # The loss run measures the station, not a console following 50,000 events/s.
    fast = run_rate(sut, TARGET_LOSS_RATE, seconds, poll_state=False, listen=False)
    print_result(fast)
    rows.append((f"lost @{TARGET_LOSS_RATE:,} msg/s for {seconds:g} s",
                 f"{fast.lost:,} of {fast.sent:,}", "0", fast.lost == 0 and fast.sent > 0))
    rows.append((f"peak RSS @{TARGET_LOSS_RATE:,} msg/s", f"{fast.peak_rss_mb} MB",
                 f"<= {TARGET_PEAK_RSS_MB:g} MB", fast.peak_rss_mb is not None
                 and fast.peak_rss_mb <= TARGET_PEAK_RSS_MB))
    sustained = fast.sustained_rate or 0.0
    rows.append(("sustained end-to-end rate", f"{sustained:,.0f} msg/s",
                 f"> {BEFORE_SUSTAINED_RATE:,}", sustained > BEFORE_SUSTAINED_RATE))
    print()
    print(f"{'target':40} {'measured':>18}  {'wanted':>10}  ok")
    for name, value, wanted, ok in rows:
        print(f"{name:40} {value:>18}  {wanted:>10}  {'yes' if ok else 'NO'}")
    return all(ok for *_, ok in rows)
