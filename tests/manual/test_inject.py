"""The ingest's hook for manual scoring with the real pipeline thread: a datagram of the
station's own goes through parse → store → reduce in order, and a state edit is applied
between batches only when nothing was folded after its expected datagram."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator, Sequence

import pytest

from restrike.bus import InjectRequested, StateEditRequested
from restrike.ingest.inject import EditingInbox
from restrike.ingest.pipeline import InboxItem, Item, Pipeline
from restrike.protocol import MatchState, Parsed, default_schema


class Recorder:
    def __init__(self) -> None:
        self.stored: list[tuple[int, str, bytes]] = []
        self.published: list[tuple[MatchState, int]] = []

    def submit(self, seq: int, received_at: float, source: str, data: bytes,
               messages: Sequence[Parsed]) -> None:
        self.stored.append((seq, source, data))

    def deliver(self, items: list[Item], state: MatchState, seq: int) -> None:
        pass

    def publish(self, state: MatchState, seq: int) -> None:
        self.published.append((state, seq))


Running = tuple["queue.SimpleQueue[InboxItem]", EditingInbox, Pipeline, Recorder]


@pytest.fixture
def running() -> Iterator[Running]:
    inner: queue.SimpleQueue[InboxItem] = queue.SimpleQueue()
    rec = Recorder()
    inbox = EditingInbox(inner, rec.publish)
    pipeline = Pipeline(inbox, default_schema(), rec.submit, rec.deliver)
    inbox.holder = pipeline
    pipeline.start()
    try:
        yield inner, inbox, pipeline, rec
    finally:
        assert pipeline.stop(5.0)


def test_an_injected_datagram_is_stored_and_folded_with_its_source(running: Running) -> None:
    inner, inbox, _, rec = running
    inner.put((time.time(), b"sc1;4;sc2;1;\r\n", ("10.0.0.5", 50000)))
    inbox.inject(InjectRequested(b"sc1;7;\r\n", "manual", 12, time.time()))
    edit = StateEditRequested(MatchState(), expected_seq=2)
    inbox.request_edit(edit)  # a barrier: answered once both are folded
    assert edit.done.result(5.0) is True
    assert [(seq, source) for seq, source, _ in rec.stored] == [(1, "10.0.0.5:50000"),
                                                                 (2, "manual:12")]


def test_an_edit_replaces_the_state_between_batches(running: Running) -> None:
    inner, inbox, pipeline, rec = running
    inner.put((1.0, b"sc1;4;\r\n", ("10.0.0.5", 50000)))
    edit = StateEditRequested(MatchState(scores=(9, 9)), expected_seq=1)
    inbox.request_edit(edit)
    inner.put((2.0, b"sc2;3;\r\n", ("10.0.0.5", 50000)))  # folded onto the replacement
    assert edit.done.result(5.0) is True
    late = StateEditRequested(MatchState(), expected_seq=1)  # a datagram came after 1
    inbox.request_edit(late)
    assert late.done.result(5.0) is False
    assert pipeline.state.scores == (9, 3) and pipeline.seq == 2
    assert [(s.scores, seq) for s, seq in rec.published] == [((9, 9), 1)]
