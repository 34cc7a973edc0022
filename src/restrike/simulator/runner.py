"""The UDP side of the simulator: paced sending, and answers to pull requests.

One IPv4 UDP socket does both, like tkStrike: datagrams go from it to the target,
and a pull request (`clock`, `scores`, ...) arriving on it is answered by re-sending
the last datagram of those codes to whoever asked.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from restrike.errors import SimulatorError
from restrike.protocol import MatchState, Message, Schema, Style, default_schema, parse, reduce
from restrike.simulator._items import Item, Step, encode_items

__all__ = ["Progress", "Runner", "steps_to_datagrams"]

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.1  # seconds of wall time between progress callbacks


@dataclass(frozen=True, slots=True)
class Progress:
    """What the progress line shows: the board as the station should now see it."""

    match: str | None
    round: int | None
    clock: int | None
    scores: tuple[int, int]
    datagrams: int
    elapsed: float
    matches_done: int = 0
    note: str = ""


@dataclass(slots=True)
class _Counters:
    datagrams: int = 0
    messages: int = 0
    requests: int = 0
    answers: int = 0
    errors: int = 0
    matches_done: int = 0
    last: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # code → (seq, datagram)


def steps_to_datagrams(steps: Iterable[Step], style: Style = "real",
                       schema: Schema | None = None) -> Iterable[tuple[float, bytes]]:
    """(time, datagram) pairs of a timeline, in sending order."""
    for step in steps:
        for data in encode_items(step.items, style, schema):
            yield step.t, data


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.runner._answer(data, (str(addr[0]), int(str(addr[1]))))

    def pause_writing(self) -> None:
        self.runner._writable.clear()

    def resume_writing(self) -> None:
        self.runner._writable.set()

    def error_received(self, exc: Exception) -> None:
        self.runner.counters.errors += 1
        log.debug("UDP error: %s", exc)


class Runner:
    """An open simulator socket: `send` now, `play` on a schedule, answers pulls meanwhile.

    Use as `async with Runner(("127.0.0.1", 6000)) as runner:`.
    """

    def __init__(self, target: tuple[str, int], *, style: Style = "real", speed: float = 1.0,
                 listen: tuple[str, int] | None = None, schema: Schema | None = None,
                 progress: Callable[[Progress], None] | None = None,
                 stop: asyncio.Event | None = None) -> None:
        if speed <= 0:
            raise SimulatorError("--speed must be greater than 0")
        if style not in ("real", "documented"):
            raise SimulatorError(f"unknown style {style!r} (real or documented)")
        self.target = target
        self.style: Style = style
        self.speed = speed
        self.listen = listen or ("0.0.0.0", 0)
        self.schema = schema or default_schema()
        self.progress = progress
        self.stop = stop or asyncio.Event()
        self.counters = _Counters()
        self.state = MatchState()
        self.listen_address: tuple[str, int] = self.listen
        self._transport: asyncio.DatagramTransport | None = None
        self._addr: tuple[str, int] = target
        self._started = time.monotonic()
        self._last_progress = 0.0
        self._seq = 0
        self.max_late = 0.0  # worst delay of a datagram behind its schedule (seconds)
        self._writable = asyncio.Event()
        self._writable.set()

    async def __aenter__(self) -> Runner:
        loop = asyncio.get_running_loop()
        host, port = self.target
        try:
            infos = await loop.getaddrinfo(host, port, family=socket.AF_INET,
                                           type=socket.SOCK_DGRAM)
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Protocol(self), local_addr=self.listen, family=socket.AF_INET,
                allow_broadcast=True)
        except OSError as err:
            raise SimulatorError(f"cannot open UDP {self.listen[0]}:{self.listen[1]} "
                                 f"towards {host}:{port}: {err}") from err
        self._addr = (str(infos[0][4][0]), int(infos[0][4][1]))
        self._transport = transport
        sockname = transport.get_extra_info("sockname")
        self.listen_address = (str(sockname[0]), int(sockname[1]))
        self._started = time.monotonic()
        log.info("simulator sending to %s:%s, pull requests on %s:%s", host, port,
                 *self.listen_address)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
            await asyncio.sleep(0)

    # --- sending ---------------------------------------------------------------------------

    def send(self, data: bytes, codes: tuple[str, ...] | None = None) -> None:
        """Send one datagram now and remember it for pull requests.

        Without `codes` the datagram is parsed and the board followed (for progress);
        callers that know the codes (random load) pass them and skip that work.
        """
        if self._transport is None:
            raise SimulatorError("the simulator socket is not open")
        self._transport.sendto(data, self._addr)
        c = self.counters
        c.datagrams += 1
        self._seq += 1
        if codes is not None:
            c.messages += len(codes)
            for code in codes:
                c.last[code] = (self._seq, data)
        else:
            for msg in parse(data, self.schema):
                c.messages += 1
                if isinstance(msg, Message):
                    if msg.code in self.schema.messages:
                        c.last[msg.code] = (self._seq, data)
                    if msg.kind == "winner_shown":
                        c.matches_done += 1
                self.state = reduce(self.state, msg, 0.0)
        self._report()

    def send_items(self, items: Iterable[Item]) -> None:
        for data in encode_items(list(items), self.style, self.schema):
            self.send(data)

    async def play(self, steps: Iterable[Step]) -> bool:
        """Send a timeline at `speed`; False if stopped before the end."""
        return await self.play_datagrams(steps_to_datagrams(steps, self.style, self.schema))

    async def play_datagrams(self, timed: Iterable[tuple[float, bytes]]
                             | Iterable[tuple[float, bytes, tuple[str, ...]]], *,
                             scale: bool = True) -> bool:
        """Send each datagram at its time (seconds from now, divided by `speed`).

        The schedule is absolute, so sleeping late never accumulates drift; a backlog
        is sent at once. Returns False if `stop` was set.
        """
        loop = asyncio.get_running_loop()
        origin = loop.time()
        factor = 1.0 / self.speed if scale else 1.0
        burst = 0
        for t, data, *known in timed:
            due = origin + t * factor
            while True:
                if self.stop.is_set():
                    return False
                delay = due - loop.time()
                if delay <= 0:
                    break
                burst = 0
                await asyncio.sleep(min(delay, 0.25))
            late = loop.time() - due
            if late > self.max_late:
                self.max_late = late
            await self._backpressure()
            self.send(data, known[0] if known else None)
            burst += 1
            if burst >= 64:  # let pull requests (and a local receiver) in during bursts
                burst = 0
                await asyncio.sleep(0)
        return not self.stop.is_set()

    async def _backpressure(self) -> None:
        """The transport queues what the socket cannot take; wait for it to drain."""
        if not self._writable.is_set():
            await self._writable.wait()

    # --- pull requests ----------------------------------------------------------------------

    def _answer(self, data: bytes, addr: tuple[str, int]) -> None:
        text = data.decode("utf-8", errors="replace").strip()
        requests = self.schema.requests
        key = text if text in requests else (text + ";" if text + ";" in requests
                                             else text.rstrip(";"))
        codes = requests.get(key)
        if codes is None or self._transport is None:
            log.debug("ignored %r from %s:%s", text[:40], *addr)
            return
        self.counters.requests += 1
        c = self.counters
        packets = sorted({c.last[code] for code in codes if code in c.last})
        for _seq, packet in packets:
            self._transport.sendto(packet, addr)
            c.answers += 1

    # --- progress ----------------------------------------------------------------------------

    def snapshot(self, note: str = "") -> Progress:
        s = self.state
        return Progress(s.match.number, s.round, s.clock.seconds, s.scores,
                        self.counters.datagrams, time.monotonic() - self._started,
                        self.counters.matches_done, note)

    def _report(self, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_progress >= PROGRESS_EVERY:
            self._last_progress = now
            self.progress(self.snapshot())

    def report(self, note: str = "") -> None:
        if self.progress is not None:
            self.progress(self.snapshot(note))
