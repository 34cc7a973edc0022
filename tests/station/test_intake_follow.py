"""The receiver process stores the feed; the station follows the file.

A real station with its real receiver process. The station's pipeline thread is held
still (its parser waits): the feed is committed all the same — counted, its events
published — and the station catches up from the file once it runs again, every
datagram folded once, in order, into the live state.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import restrike.ingest.pipeline as pipeline_module
from restrike.assembly import Assembly
from restrike.bus import EventsCommitted
from tests.helpers import wait_until
from tests.station.fixtures import send_udp

COUNT = 2_000


async def test_the_feed_is_stored_while_the_station_is_held_still(
        assembled: Assembly, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest, view = assembled.ingest, assembled.view
    pipeline = ingest.pipeline
    assert pipeline is not None and ingest.child_store is not None
    held = threading.Event()
    release = threading.Event()
    parse = pipeline_module.parse_guarded

    def waiting(*args: Any) -> Any:
        held.set()
        release.wait(60)
        return parse(*args)

    published: list[EventsCommitted] = []
    assembled.station.bus.subscribe(EventsCommitted, published.append)
    monkeypatch.setattr(pipeline_module, "parse_guarded", waiting)
    folded = pipeline.messages
    port = assembled.station.bound["udp"]["port"]
    try:
        clocks = [b"clk;%d:%02d;" % divmod(119 - i % 120, 60) for i in range(COUNT - 1)]
        await asyncio.to_thread(send_udp, port, [*clocks, b"clk;0:07;"], pause=0.0001)
        stats = await wait_until(lambda: (s := view.stats())["stored"] >= COUNT and s, 30,
                                 "the feed stored while the station is held")
        assert held.is_set() and pipeline.messages == folded  # nothing folded yet
        # Stored, not yet folded (the note's seq reaches the count a moment after).
        await wait_until(lambda: view.stats()["queue_depth"] >= COUNT - 1, 10, "the lag")
        assert stats["stored"] >= COUNT
        # Published as they were stored (the loop runs the bus a moment after).
        await wait_until(lambda: sum(e.count for e in published) >= COUNT, 10,
                         "every commit published")
        assert pipeline.messages == folded
        assert len(published[-1].rows) >= 1  # their rows read back from the file
    finally:
        release.set()
    await wait_until(lambda: view.stats()["queue_depth"] == 0, 30, "the station caught up")
    assert pipeline.messages - folded == COUNT
    assert assembled.station.live.state.clock.seconds == 7
    health = ingest.health()
    assert health["ok"] and health["backlog"] == 0 and health["receiver_stores"] is True
