"""Tournaments made by the simulator's generator, with the awkward cases a court
produces, stored in a real SQLite file: what the analytics tests feed and check.

`build_feed` plays matches one after another and can add: a match loaded twice (its
start, then the whole match again), an unfinished last match (cut before the winner),
clock corrections (``clk;M:SS;corr``), cancelled challenges (``chN`` then ``chN;-1``)
and a referee's score correction (``scN`` lower than before). The simulator itself
sends challenges won and lost, with score corrections after a won review.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from restrike.protocol import parse
from restrike.simulator import MatchSummary, Raw, Step, encode_items, iter_matches
from restrike.store import Received, Store

__all__ = ["BASE_T", "Feed", "build_feed", "store_feed"]

BASE_T = 1_780_000_000.0  # 2026-05-28 (UTC), any date works


@dataclass
class Feed:
    datagrams: list[tuple[float, bytes]] = field(default_factory=list)
    summaries: list[MatchSummary] = field(default_factory=list)  # the simulator's truth
    exact: list[bool] = field(default_factory=list)  # nothing added to that match's feed
    reloaded: int = 0  # matches loaded twice
    unfinished: bool = False


def _extras(rng: random.Random, steps: list[Step]) -> Iterator[Step]:
    """The steps with a clock correction and a cancelled challenge slipped in."""
    for step in steps:
        yield step
        texts = [m for m in step.items if not isinstance(m, Raw) and m.code == "clk"]
        if texts and rng.random() < 0.01:
            seconds = texts[0].fields.get("time")
            if isinstance(seconds, int) and seconds > 5:
                fixed = seconds - rng.randrange(1, 5)
                yield Step(step.t + 0.05, (Raw(f"clk;{fixed // 60}:{fixed % 60:02d};corr"),))
        elif rng.random() < 0.004:
            who = rng.choice((1, 2))
            yield Step(step.t + 0.01, (Raw(f"ch{who}"),))
            yield Step(step.t + 0.02, (Raw(f"ch{who};-1"),))


def build_feed(seed: int, matches: int, *, scenario: str = "basic", reload: bool = False,
               unfinished: bool = False, extras: bool = False, correction: bool = False
               ) -> Feed:
    rng = random.Random(seed)
    feed = Feed(reloaded=int(reload), unfinished=unfinished)
    t0 = BASE_T
    played = list(iter_matches(scenario, seed, count=matches))
    for index, (steps, summary) in enumerate(played):
        changed = False
        if reload and index == 0:  # loaded, a little played, then loaded again
            for step in steps[: max(3, len(steps) // 5)]:
                feed.datagrams += [(t0 + step.t, d) for d in encode_items(step.items)]
            t0 += steps[len(steps) // 5].t + 5
        if unfinished and index == len(played) - 1:
            steps = steps[: len(steps) // 2]
            changed = True
        if extras:
            steps = list(_extras(rng, steps))
            changed = True
        for step in steps:
            feed.datagrams += [(t0 + step.t - steps[0].t, d) for d in encode_items(step.items)]
        if correction and index == 0 and summary.scores[0] > 0:
            last_t = feed.datagrams[-1][0]
            feed.datagrams.append((last_t + 0.5, f"sc1;{summary.scores[0] - 1}\r\n".encode()))
            changed = True
        feed.summaries.append(summary)
        feed.exact.append(not changed)
        t0 = feed.datagrams[-1][0] + 10
    return feed


def store_feed(path: Path, datagrams: list[tuple[float, bytes]]) -> None:
    """The datagrams written to a real store at ``path`` (closed when done)."""
    store = Store(path)
    store.start()
    try:
        for seq, (t, data) in enumerate(datagrams, start=1):
            store.submit(Received(seq, t, "127.0.0.1:50000", data, parse(data)))
    finally:
        store.close(timeout=30)
