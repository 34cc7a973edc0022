"""The processing thread: parse → store → reduce → tell the loop, batch by batch.

It takes what the receiver queued, as many datagrams at a time as are waiting (so a
burst costs one hand-off to the event loop, not thousands), and for each datagram:

1. parses it (`restrike.protocol.parse`, never raises: bad bytes become `Invalid`);
2. submits it to the store (``Store.submit`` never blocks and never drops), before
   anything that could fail, so every datagram is stored with its reason — unless
   the receiver process stored it already (`restrike.ingest.follow`);
3. folds its messages into the live `MatchState` (pure reducer, time = arrival time).

Then one ``call_soon_threadsafe`` hands the batch and the new state to the loop,
which publishes `MessagesParsed` and `StateChanged` on the bus. A batch from the
receiver process that does not decode is reported (its whole frames are kept).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from restrike.ingest._wire import Datagram, decode_batch
from restrike.protocol import Invalid, MatchState, Parsed, Schema, Unknown, parse, reduce

__all__ = ["Inbox", "InboxItem", "Item", "Pipeline", "Submitter", "parse_guarded"]

log = logging.getLogger(__name__)

#: One datagram after the pipeline: (seq, received_at, source, data, messages).
Item = tuple[int, float, str, bytes, Sequence[Parsed]]
#: A datagram the receiver process stored already: (seq, received_at, source, data).
StoredDatagram = tuple[int, float, str, bytes]
#: What the receivers queue: one datagram (thread receiver), a batch of them as the
#: receiver process framed it, datagrams it stored (`restrike.ingest.follow`), or None
#: (stop).
InboxItem = Datagram | bytes | list[StoredDatagram] | None
Deliver = Callable[[list[Item], MatchState, int], None]

#: Datagrams per batch: one loop callback each, short enough not to stall the loop.
_MAX_BATCH = 256


def parse_guarded(data: bytes, schema: Schema) -> Sequence[Parsed]:
    """`parse`, which never raises: should a bug make it, the datagram is still stored,
    as invalid with the reason."""
    try:
        return parse(data, schema)
    except Exception as err:
        log.exception("parser failed on %r", data[:80])
        return [Invalid(None, data.decode("utf-8", "replace"), f"parser failed: {err}")]


class Submitter(Protocol):
    def __call__(self, seq: int, received_at: float, source: str, data: bytes,
                 messages: Sequence[Parsed]) -> None: ...


class Inbox(Protocol):
    """What the receivers fill: a `queue.SimpleQueue`, or a bounded `queue.Queue`."""

    def get(self, block: bool = True, timeout: float | None = None) -> InboxItem: ...

    def get_nowait(self) -> InboxItem: ...

    def put(self, item: InboxItem, block: bool = True, timeout: float | None = None
            ) -> None: ...

    def qsize(self) -> int: ...


class Pipeline:
    """Owns the live state while running; ``deliver`` is called in this thread.

    Restartable: if its thread ends by an error (`failure` says which), `start` runs a
    new one that first processes what the old one had taken but not finished, so a
    crash loses no datagram and stores none twice.
    """

    def __init__(self, inbox: Inbox, schema: Schema, submit: Submitter, deliver: Deliver,
                 *, state: MatchState | None = None, last_seq: int = 0,
                 wait_room: Callable[[], object] | None = None,
                 on_cut: Callable[[set[str]], None] | None = None) -> None:
        self.inbox = inbox
        self._on_cut = on_cut  # codes of the batch's messages the sender cut short
        self._wait_room = wait_room  # blocks while the store is full (`restrike.ingest.flow`)
        self.schema = schema
        self._submit = submit
        self._deliver = deliver
        self.state = state if state is not None else MatchState()
        self.seq = last_seq
        self._thread: threading.Thread | None = None
        self._held: list[Datagram | StoredDatagram] = []  # taken, not yet processed
        self._stop_seen = False
        self.failure: str | None = None
        self.messages = 0
        self.invalid = 0
        self.unknown = 0
        self.datagrams = 0
        self.reduce_errors = 0
        self.corrupt_batches = 0
        self.batches = 0
        self.busy_seconds = 0.0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def backlog(self) -> int:
        """Items waiting (a datagram, or a batch of them from the receiver process)."""
        return self.inbox.qsize() + len(self._held)

    def start(self) -> None:
        self.failure = None
        self._thread = threading.Thread(target=self._guarded,
                                        name="restrike-ingest-pipeline", daemon=True)
        self._thread.start()

    def _guarded(self) -> None:
        try:
            self._run()
        except BaseException as err:
            self.failure = f"pipeline thread failed: {type(err).__name__}: {err}"
            log.exception("ingest pipeline thread failed (%d datagrams held for its restart)",
                          len(self._held))

    def _run(self) -> None:
        while self._held or not self._stop_seen:
            if not self._held:
                self._take()
            if self._held:
                if self._wait_room is not None:
                    self._wait_room()
                self._process()

    def _take(self) -> None:
        """Move what waits (up to _MAX_BATCH datagrams) to `_held`; waits for the first."""
        inbox = self.inbox
        held = self._held
        item = inbox.get()
        while True:
            if item is None:
                self._stop_seen = True
                return
            if isinstance(item, list):  # stored by the receiver process (`follow`)
                held.extend(item)
            elif isinstance(item, bytes):  # a batch from the receiver process
                frames, problem = decode_batch(item)
                held.extend(frames)
                if problem is not None:
                    self.corrupt_batches += 1
                    log.error("corrupt batch from the receiver process (%d datagrams "
                              "decoded before it): %s", len(frames), problem)
            else:
                held.append(item)
            if len(held) >= _MAX_BATCH:
                return
            try:
                item = inbox.get_nowait()
            except queue.Empty:
                return

    def _process(self) -> None:
        """Parse, store and reduce every held datagram, then hand the batch to the loop.

        Whatever was stored leaves `_held` even if something fails half-way; the error
        then ends the thread and the rest waits for the restart.
        """
        started = time.perf_counter()
        held = self._held
        schema = self.schema
        state = self.state
        seq = self.seq
        submit = self._submit
        items: list[Item] = []
        cut: set[str] = set()
        try:
            for entry in held:
                if len(entry) == 4:  # the receiver process stored it already
                    seq, received_at, source, data = entry
                    messages = parse_guarded(data, schema)
                else:
                    received_at, data, addr = entry
                    source = f"{addr[0]}:{addr[1]}"
                    messages = parse_guarded(data, schema)
                    submit(seq + 1, received_at, source, data, messages)
                    seq += 1
                items.append((seq, received_at, source, data, messages))
                for msg in messages:
                    if isinstance(msg, Invalid):
                        self.invalid += 1
                    elif isinstance(msg, Unknown):
                        self.unknown += 1
                    elif msg.truncated:
                        cut.add(msg.code)
                    try:
                        state = reduce(state, msg, received_at)
                    except Exception:
                        self.reduce_errors += 1
                        log.exception("reducer failed on %s", getattr(msg, "raw", msg))
                self.messages += len(messages)
        finally:
            self.state = state
            self.seq = seq
            del held[:len(items)]
            self.datagrams += len(items)
            if cut and self._on_cut is not None:  # before the hand-off, which may wait
                self._on_cut(cut)
            if items:
                self.batches += 1
                self._deliver(items, state, seq)
            self.busy_seconds += time.perf_counter() - started

    def stop(self, timeout: float = 5.0) -> bool:
        """Process everything queued so far, then stop; True if it finished in time."""
        thread = self._thread
        if thread is None:
            return True
        if not thread.is_alive():  # ended by an error, not restarted yet: once more
            if not (self._held or self.inbox.qsize()):
                return True
            log.warning("ingest pipeline was not running at stop; starting it for %d held "
                        "datagrams and %d queued items", len(self._held), self.inbox.qsize())
            self.start()
            thread = self._thread
            assert thread is not None
        with contextlib.suppress(queue.Full):
            self.inbox.put(None, timeout=timeout)
        thread.join(timeout)
        if thread.is_alive():
            log.warning("ingest pipeline still has %d items after %.1f s",
                        self.backlog(), timeout)
            return False
        return True
