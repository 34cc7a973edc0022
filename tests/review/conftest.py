"""Fixtures of the review tests: a real store, fakes, the station's context, a fed Review."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from restrike.bus import Broadcast, Bus, MessagesParsed, StateChanged
from restrike.protocol import MatchState, parse, reduce
from restrike.review.component import Review
from restrike.review.options import ReviewOptions
from restrike.store import Received, Store
from tests.review.fakes import FakePlayer, FakePool

log = logging.getLogger(__name__)


class Clock:
    """A settable clock; starts at the real time (the store opens its day by real time)."""

    def __init__(self, t: float | None = None) -> None:
        self.t = time.time() if t is None else t

    def __call__(self) -> float:
        return self.t


@dataclass
class Live:
    state: MatchState = field(default_factory=MatchState)


class Context:
    """What the station gives a component's ``start``: its bus, routers, tasks and live
    state (tasks are cancelled by the component itself; failures are logged here, as the
    station logs them)."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.live = Live()
        self.routers: list[Any] = []

    def add_router(self, router: Any) -> None:
        self.routers.append(router)

    def create_task(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        task.add_done_callback(self._done)
        return task

    @staticmethod
    def _done(task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and (err := task.exception()) is not None:
            log.error("background task %s failed", task.get_name(), exc_info=err)


class Court:
    """Plays the station's intake for the review: each datagram goes to the store (for
    event ids), is folded into the match state, and is published on the bus as the
    pipeline does: ``MessagesParsed`` of the batch, then ``StateChanged``."""

    def __init__(self, store: Store, bus: Bus, clock: Clock) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.state = MatchState()
        self.seq = 0

    def send(self, line: bytes, at: float | None = None) -> None:
        self.batch([line], at)

    def batch(self, lines: Sequence[bytes], at: float | None = None, step: float = 0.001
              ) -> None:
        """Several datagrams received ``step`` s apart and handed over in one batch."""
        at = self.clock.t if at is None else at
        items = []
        for index, line in enumerate(lines):
            t = at + index * step
            self.clock.t = max(self.clock.t, t)
            self.seq += 1
            messages = parse(line)
            self.store.submit(Received(self.seq, t, "court", line, list(messages)))
            items.append((self.seq, t, "court", line, messages))
            for msg in messages:
                self.state = reduce(self.state, msg, t)
        self.bus.publish(MessagesParsed(items))
        self.bus.publish(StateChanged(self.state, self.seq, self.clock.t))


MATCH = [b"pre;FightLoaded", b"at1;DESMOND;N. DESMOND;FRA;at2;LEE;LEE Dae;KOR",
         b"mch;101;Final;M -80kg;;#00f;#fff;#f00;#fff;9001;Senior;3;120;cntDown;1;1",
         b"rdy;FightReady", b"clk;2:00;start"]


async def settle(review: Review, rounds: int = 200) -> None:
    """Wait until the workflow queue, its tasks and the archive thread are idle."""
    for _ in range(rounds):
        await asyncio.sleep(0.01)
        if review.idle():
            await asyncio.sleep(0.02)
            if review.idle():
                return
    raise AssertionError("review did not settle")


async def load_match(rig: dict[str, Any]) -> None:
    """The championship match of MATCH through the rig's court, then settled."""
    for line in MATCH:
        rig["court"].send(line)
    await settle(rig["review"])


def review_errors(rig: dict[str, Any]) -> list[Broadcast]:
    """The ``review_error`` messages the rig's review published on the bus."""
    return [b for b in rig["broadcasts"] if body(b)["event"] == "review_error"]


def body(message: Broadcast) -> dict[str, Any]:
    """A review message's JSON object (``Broadcast.body`` is any JSON-ready value)."""
    assert isinstance(message.body, dict), message
    return message.body


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "station.sqlite3", batch_ms=1.0)
    s.start()
    s.set_tournament("Open")
    yield s
    s.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def rig(tmp_path: Path, store: Store, clock: Clock) -> AsyncIterator[dict[str, Any]]:
    bus = Bus(asyncio.get_running_loop())
    broadcasts: list[Any] = []
    bus.subscribe(Broadcast, broadcasts.append)
    pool = FakePool(tmp_path / "obs-default")
    player = FakePlayer()
    options = ReviewOptions(recordings_root=tmp_path / "rec", tournament="Open")
    review = Review(options, store=store, obs=pool, player=player, clock=clock)
    ctx = Context(bus)
    await review.start(ctx)
    court = Court(store, bus, clock)
    yield {"review": review, "pool": pool, "player": player, "court": court, "clock": clock,
           "broadcasts": broadcasts, "store": store, "bus": bus, "ctx": ctx}
    await review.stop()
