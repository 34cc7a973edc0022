"""Public entry points: play a scenario, random load or a capture against a UDP target.

`play` is what `restrike demo` and other parts' tests call; `start_thread` runs it on
its own event loop for synchronous callers (the station's demo command, pytest).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restrike.errors import SimulatorError
from restrike.protocol import Message, Schema, Style, parse
from restrike.simulator._court import MatchSummary
from restrike.simulator._items import Raw, Step, make
from restrike.simulator.match import iter_matches
from restrike.simulator.replay import read_timed
from restrike.simulator.runner import Progress, Runner, steps_to_datagrams
from restrike.simulator.scenarios import get_scenario

__all__ = ["SimulationResult", "SimulatorThread", "play", "play_capture", "play_random",
           "play_sync", "start_thread"]

log = logging.getLogger(__name__)

MAX_RATE = 50_000  # datagrams per second in random mode
MAX_DURATION = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class SimulationResult:
    mode: str
    datagrams: int  # every datagram sent, including hel/bye and status lines
    messages: int
    requests_answered: int
    matches: tuple[MatchSummary, ...]
    elapsed: float
    completed: bool  # False when stopped before the end
    listen: tuple[str, int]  # where pull requests were answered
    skipped: tuple[str, ...] = field(default=())  # replay: lines that were not datagrams
    max_late: float = 0.0  # worst lag of a datagram behind its schedule, seconds


Target = tuple[str, int]
ProgressCallback = Callable[[Progress], None]


def _status(port: int, connected: bool) -> Raw:
    return Raw(f"Udp Port {port} {'connected' if connected else 'disconnected'};")


async def _session(mode: str, target: Target, body: Callable[[Runner], Awaitable[bool]], *,
                   style: Style, speed: float, listen: Target | None, stop: asyncio.Event | None,
                   progress: ProgressCallback | None, on_listen: Callable[[Target], None] | None,
                   schema: Schema | None, matches: list[MatchSummary] | None = None,
                   skipped: tuple[str, ...] = ()) -> SimulationResult:
    """Open the socket, say hello like tkStrike, run `body`, say goodbye (also when stopped)."""
    async with Runner(target, style=style, speed=speed, listen=listen, schema=schema,
                      progress=progress, stop=stop) as runner:
        if on_listen is not None:
            on_listen(runner.listen_address)
        runner.send_items([_status(target[1], True), make("hel", schema=schema)])
        completed = False
        try:
            completed = await body(runner)
        finally:
            runner.send_items([make("bye", schema=schema), _status(target[1], False)])
            runner.report("stopped" if not completed else "done")
        c = runner.counters
        log.info("simulation %s %s: %d datagrams, %d pull requests answered", mode,
                 "completed" if completed else "stopped", c.datagrams, c.requests)
        return SimulationResult(mode, c.datagrams, c.messages, c.requests, tuple(matches or ()),
                                runner.snapshot().elapsed, completed, runner.listen_address,
                                skipped, runner.max_late)


async def play(target: Target, *, scenario: str = "championship", seed: int = 1,
               speed: float = 1.0, matches: int = 1, style: Style = "real",
               listen: Target | None = None, stop: asyncio.Event | None = None,
               progress: ProgressCallback | None = None,
               on_listen: Callable[[Target], None] | None = None,
               schema: Schema | None = None) -> SimulationResult:
    """Play `matches` complete matches of `scenario` to `target` over UDP.

    `matches=0` plays new matches until `stop` is set (for demos).
    Same seed, same datagrams. `speed` divides all waits (100 plays a 10-minute match in
    6 s). Pull requests are answered on `listen` (default: any free port; `on_listen`
    gets the address once the socket is open). Set `stop` to end early (then `bye;`).
    """
    if matches < 0:
        raise SimulatorError("--matches must be 0 (endless) or more")
    get_scenario(scenario)  # an unknown name fails before anything is sent
    done: list[MatchSummary] = []

    def steps() -> Iterator[Step]:
        for match_steps, summary in iter_matches(scenario, seed, count=matches or None,
                                                 schema=schema):
            yield from match_steps
            done.append(summary)  # reached once the match's last step has been sent

    async def body(runner: Runner) -> bool:
        return await runner.play(steps())

    return await _session("demo", target, body, style=style, speed=speed, listen=listen,
                          stop=stop, progress=progress, on_listen=on_listen, schema=schema,
                          matches=done)


POOL = 20_000  # datagrams of generated matches kept and cycled by random mode


def random_datagrams(seed: int, style: Style, schema: Schema | None,
                     count: int) -> Iterator[tuple[bytes, tuple[str, ...]]]:
    """`count` datagrams of valid match traffic (championship matches, cycled), with codes.

    At most POOL datagrams are generated and parsed once, so a long or fast run costs
    neither memory nor generation time per datagram.
    """
    pool: list[tuple[bytes, tuple[str, ...]]] = []
    for steps, _summary in iter_matches("championship", seed, schema=schema):
        for _t, data in steps_to_datagrams(steps, style, schema):
            codes = tuple(str(m.code) for m in parse(data, schema) if isinstance(m, Message))
            pool.append((data, codes))
        if len(pool) >= min(count, POOL):
            break
    return itertools.islice(itertools.cycle(pool), count)


async def play_random(target: Target, *, rate: float, duration: float, seed: int = 1,
                      style: Style = "real", listen: Target | None = None,
                      stop: asyncio.Event | None = None, progress: ProgressCallback | None = None,
                      on_listen: Callable[[Target], None] | None = None,
                      schema: Schema | None = None) -> SimulationResult:
    """Exactly `round(rate * duration)` datagrams of valid traffic, one every 1/rate s.

    The schedule is absolute (no drift) and bounded: the rate is capped at MAX_RATE and
    traffic is generated lazily, so memory does not grow with the duration.
    """
    if not 0 < rate <= MAX_RATE:
        raise SimulatorError(f"--rate must be in (0, {MAX_RATE}] datagrams per second")
    if not 0 < duration <= MAX_DURATION:
        raise SimulatorError(f"--duration must be in (0, {MAX_DURATION:.0f}] seconds")
    count = round(rate * duration)

    traffic = random_datagrams(seed, style, schema, count)  # generated before the clock starts

    async def body(runner: Runner) -> bool:
        timed = ((k / rate, data, codes) for k, (data, codes) in enumerate(traffic))
        return await runner.play_datagrams(timed, scale=False)

    return await _session("random", target, body, style=style, speed=1.0, listen=listen,
                          stop=stop, progress=progress, on_listen=on_listen, schema=schema)


async def play_capture(target: Target, capture: Path | Iterable[bytes], *, speed: float = 1.0,
                       listen: Target | None = None, stop: asyncio.Event | None = None,
                       progress: ProgressCallback | None = None,
                       on_listen: Callable[[Target], None] | None = None,
                       schema: Schema | None = None) -> SimulationResult:
    """Re-send a capture with its original timing divided by `speed`.

    Accepts the capture format `restrike decode` reads (`{"t", "data"}` JSON Lines or
    plain text lines) and, as a convenience, `restrike decode`'s own output lines.
    """
    if isinstance(capture, Path):
        try:
            data = await asyncio.to_thread(capture.read_bytes)
            lines = data.splitlines(keepends=True)
        except OSError as err:
            raise SimulatorError(f"cannot read {capture}: {err.strerror}") from err
    else:
        lines = list(capture)
    timed, skipped = read_timed(lines)

    async def body(runner: Runner) -> bool:
        return await runner.play_datagrams(timed)

    return await _session("replay", target, body, style="real", speed=speed, listen=listen,
                          stop=stop, progress=progress, on_listen=on_listen, schema=schema,
                          skipped=tuple(skipped))


def play_sync(target: Target, **kwargs: Any) -> SimulationResult:
    """`play` for synchronous code (blocks until the matches are sent)."""
    return asyncio.run(play(target, **kwargs))


class SimulatorThread:
    """`play` (or `play_random`/`play_capture`) on its own thread and event loop."""

    def __init__(self, target: Target, *, function: Callable[..., Awaitable[SimulationResult]]
                 = play, **kwargs: Any) -> None:
        self._function = function
        self._target = target
        self._kwargs = kwargs
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.listen_address: Target | None = None
        self.result: SimulationResult | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="restrike-simulator", daemon=True)

    def start(self, timeout: float = 5.0) -> SimulatorThread:
        """Start and wait until the socket is open (`listen_address` is then known)."""
        self._thread.start()
        self._ready.wait(timeout)
        if self.error is not None:
            raise SimulatorError(f"the simulator did not start: {self.error}") from self.error
        return self

    def _run(self) -> None:
        async def main() -> SimulationResult:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()

            def ready(address: Target) -> None:
                self.listen_address = address
                self._ready.set()

            return await self._function(self._target, stop=self._stop, on_listen=ready,
                                        **self._kwargs)

        try:
            self.result = asyncio.run(main())
        except BaseException as err:  # reported to the thread that joins
            self.error = err
        finally:
            self._ready.set()

    @property
    def alive(self) -> bool:
        """The simulator's thread is still running."""
        return self._thread.is_alive()

    def stop(self) -> None:
        """Ask the simulator to stop (it still sends `bye;`)."""
        loop, event = self._loop, self._stop
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    def join(self, timeout: float | None = None) -> SimulationResult:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise SimulatorError("the simulator thread did not finish in time")
        if self.error is not None:
            raise SimulatorError(f"the simulator failed: {self.error}") from self.error
        assert self.result is not None
        return self.result


def start_thread(target: Target, **kwargs: Any) -> SimulatorThread:
    """Start `play(target, **kwargs)` on a background thread; `.stop()` then `.join()`."""
    return SimulatorThread(target, **kwargs).start()
