"""Fixtures of the review tests: a store-backed archive, fakes, and a fed Review."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from restrike.bus import Broadcast, Bus
from restrike.protocol import parse
from restrike.review.archive import Archive
from restrike.review.component import Review
from restrike.review.options import ReviewOptions
from restrike.store import Received, Store
from tests.helpers import wait_until as until  # noqa: F401 - the review tests' poller
from tests.review.fakes import FakePlayer, FakePool


class Clock:
    """A settable clock; starts at the real time (the store opens its day by real time)."""

    def __init__(self, t: float | None = None) -> None:
        self.t = time.time() if t is None else t

    def __call__(self) -> float:
        return self.t


class Court:
    """Feeds datagrams to the store (for event ids) and to the review, at set times."""

    def __init__(self, store: Store, review: Review, clock: Clock) -> None:
        self.store = store
        self.review = review
        self.clock = clock
        self.seq = 0

    def send(self, line: bytes, at: float | None = None) -> None:
        at = self.clock.t if at is None else at
        self.clock.t = max(self.clock.t, at)
        self.seq += 1
        messages = parse(line)
        self.store.submit(Received(self.seq, at, "court", line, list(messages)))
        for msg in messages:
            self.review.on_message(msg, at)


MATCH = [b"pre;FightLoaded", b"at1;DESMOND;N. DESMOND;FRA;at2;LEE;LEE Dae;KOR",
         b"mch;101;Final;M -80kg;;#00f;#fff;#f00;#fff;9001;Senior;3;120;cntDown;1;1",
         b"rdy;FightReady", b"clk;2:00;start"]


async def settle(review: Review, rounds: int = 200) -> None:
    """Wait until the workflow queue, its tasks and the archive thread are idle."""
    for _ in range(rounds):
        await asyncio.sleep(0.01)
        queue = review._queue
        busy = (queue is not None and queue.qsize() > 0) or review._pending or any(
            t.get_name() != "review-workflow" for t in review._tasks)
        if not busy:
            await asyncio.sleep(0.02)
            if queue is None or queue.qsize() == 0:
                return
    raise AssertionError("review did not settle")


async def load_match(rig: dict[str, Any]) -> None:
    """The championship match of MATCH through the rig's court, then settled."""
    for line in MATCH:
        rig["court"].send(line)
    await settle(rig["review"])


def review_errors(rig: dict[str, Any]) -> list[Broadcast]:
    """The ``review_error`` messages the rig's review published on the bus."""
    return [b for b in rig["broadcasts"] if b.body["event"] == "review_error"]


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
    archive = Archive(store, run="test")
    options = ReviewOptions(recordings_root=tmp_path / "rec", tournament="Open")
    review = Review(options, obs=pool, player=player, archive=archive, bus=bus, clock=clock)
    await review.start()
    court = Court(store, review, clock)
    yield {"review": review, "pool": pool, "player": player, "archive": archive,
           "court": court, "clock": clock, "broadcasts": broadcasts, "store": store}
    await review.stop()
    archive.close()
