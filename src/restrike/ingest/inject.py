"""Datagrams the station writes itself, and state edits, in order with the court's.

Manual scoring (docs/manual-scoring.md) needs two things of the intake, both asked
for on the bus so no part holds another: `InjectRequested` puts a datagram into the
pipeline's inbox like one from the receiver (parsed, stored, folded, published like
any), and `StateEditRequested` replaces the pipeline's state between two batches.

`EditingInbox` wraps the inbox the pipeline reads. The pipeline calls the blocking
``get`` only when it holds nothing (every datagram taken so far is folded and its
``state``/``seq`` are final), so that is where an edit is applied, in the pipeline
thread; an edit met by ``get_nowait`` (the pipeline still holds datagrams) waits for
that next ``get``. The receivers keep filling the inner queue.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from typing import Protocol

from restrike.bus import InjectRequested, StateEditRequested
from restrike.ingest.pipeline import Inbox, InboxItem
from restrike.protocol import MatchState

__all__ = ["EditingInbox", "StateHolder"]

log = logging.getLogger(__name__)


class StateHolder(Protocol):
    """What an edit changes: the pipeline's state and the last folded datagram."""

    state: MatchState
    seq: int


class EditingInbox:
    """The pipeline's inbox, with manual datagrams and state edits merged in order."""

    def __init__(self, inner: Inbox, publish: Callable[[MatchState, int], None]) -> None:
        self.inner = inner
        self.holder: StateHolder | None = None  # the pipeline, once made
        self._publish = publish  # hands a replaced state to the loop (pipeline thread)
        self._waiting: StateEditRequested | None = None

    def get(self, block: bool = True, timeout: float | None = None) -> InboxItem:
        while True:
            edit, self._waiting = self._waiting, None
            if edit is not None:
                self._apply(edit)
            item = self.inner.get(block, timeout)
            if not isinstance(item, StateEditRequested):
                return item
            self._waiting = item

    def get_nowait(self) -> InboxItem:
        if self._waiting is not None:
            raise queue.Empty
        item = self.inner.get_nowait()
        if isinstance(item, StateEditRequested):
            self._waiting = item
            raise queue.Empty
        return item

    def put(self, item: InboxItem, block: bool = True, timeout: float | None = None) -> None:
        self.inner.put(item, block, timeout)

    def qsize(self) -> int:
        return self.inner.qsize() + (self._waiting is not None)

    def inject(self, event: InjectRequested) -> None:
        """Queue a datagram of the station's own (on the loop; never blocks: a full
        inbox during a flood refuses it, logged, and the caller times out)."""
        try:
            self.inner.put((event.at, event.data, (event.host, event.port)), block=False)
        except queue.Full:
            log.warning("pipeline inbox full: datagram from %s:%d not taken", event.host,
                        event.port)

    def request_edit(self, event: StateEditRequested) -> None:
        """Queue a state edit behind everything received so far (on the loop)."""
        try:
            # An edit is not an InboxItem: only this wrapper ever takes it out.
            self.inner.put(event, block=False)  # type: ignore[arg-type]
        except queue.Full:
            event.done.set_result(False)

    def _apply(self, edit: StateEditRequested) -> None:
        holder = self.holder
        replaced = holder is not None and holder.seq == edit.expected_seq
        if replaced and holder is not None:
            holder.state = edit.state
            self._publish(edit.state, holder.seq)
        if not edit.done.done():
            edit.done.set_result(replaced)
