"""The processing thread: parse → store → reduce → tell the loop, batch by batch.

It takes what the receiver queued, as many datagrams at a time as are waiting (so a
burst costs one hand-off to the event loop, not thousands), and for each datagram:

1. parses it (`restrike.protocol.parse`, never raises: bad bytes become `Invalid`);
2. submits it to the store (``Store.submit`` never blocks and never drops), before
   anything that could fail, so every datagram is stored with its reason;
3. folds its messages into the live `MatchState` (pure reducer, time = arrival time).

Then one ``call_soon_threadsafe`` hands the batch and the new state to the loop,
which publishes `MessagesParsed` and `StateChanged` on the bus.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from restrike.ingest.process import BATCH_START, iter_frames
from restrike.ingest.receiver import Datagram
from restrike.protocol import Invalid, MatchState, Schema, Unknown, parse, reduce

__all__ = ["Pipeline", "Submitter"]

log = logging.getLogger(__name__)

Item = tuple[int, float, str, bytes, Sequence[Any]]
Deliver = Callable[[list[Item], MatchState, int], None]

_MAX_BATCH = 4096


class Submitter(Protocol):
    def __call__(self, seq: int, received_at: float, source: str, data: bytes,
                 messages: Sequence[Any]) -> None: ...


class Pipeline:
    """Owns the live state while running; ``deliver`` is called in this thread."""

    def __init__(self, inbox: queue.SimpleQueue[Any], schema: Schema,
                 submit: Submitter, deliver: Deliver, *, state: MatchState | None = None,
                 last_seq: int = 0) -> None:
        self.inbox = inbox
        self.schema = schema
        self._submit = submit
        self._deliver = deliver
        self.state = state if state is not None else MatchState()
        self.seq = last_seq
        self._thread: threading.Thread | None = None
        self.messages = 0
        self.invalid = 0
        self.unknown = 0
        self.datagrams = 0
        self.reduce_errors = 0
        self.batches = 0
        self.busy_seconds = 0.0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def backlog(self) -> int:
        """Items waiting (a datagram, or a batch of them from the receiver process)."""
        return self.inbox.qsize()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="restrike-ingest-pipeline",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        inbox = self.inbox
        stop = False
        while not stop:
            first = inbox.get()
            if first is None:
                break
            batch: list[Datagram] = []
            item = first
            try:
                while True:
                    if isinstance(item, bytes):  # a batch from the receiver process
                        batch.extend(iter_frames(item, BATCH_START))
                    else:
                        batch.append(item)
                    if len(batch) >= _MAX_BATCH:
                        break
                    item = inbox.get_nowait()
                    if item is None:
                        stop = True
                        break
            except queue.Empty:
                pass
            try:
                self._process(batch)
            except Exception:  # a bug must not stop intake; the store has the bytes
                log.exception("ingest pipeline failed on a batch of %d", len(batch))

    def _process(self, batch: list[Datagram]) -> None:
        started = time.perf_counter()
        schema = self.schema
        state = self.state
        seq = self.seq
        submit = self._submit
        items: list[Item] = []
        for received_at, data, addr in batch:
            seq += 1
            source = f"{addr[0]}:{addr[1]}"
            try:
                messages: Sequence[Any] = parse(data, schema)
            except Exception as err:  # parse is total; this is a guard against a bug
                log.exception("parser failed on %r", data[:80])
                messages = [Invalid(None, data.decode("utf-8", "replace"),
                                    f"parser failed: {err}")]
            submit(seq, received_at, source, data, messages)
            self.datagrams += 1
            for msg in messages:
                self.messages += 1
                if isinstance(msg, Invalid):
                    self.invalid += 1
                elif isinstance(msg, Unknown):
                    self.unknown += 1
                try:
                    state = reduce(state, msg, received_at)
                except Exception:
                    self.reduce_errors += 1
                    log.exception("reducer failed on %s", getattr(msg, "raw", msg))
            items.append((seq, received_at, source, data, messages))
        self.state = state
        self.seq = seq
        self.batches += 1
        self._deliver(items, state, seq)
        self.busy_seconds += time.perf_counter() - started

    def stop(self, timeout: float = 5.0) -> bool:
        """Process everything queued so far, then stop; True if it finished in time."""
        thread = self._thread
        if thread is None:
            return True
        self.inbox.put(None)
        thread.join(timeout)
        if thread.is_alive():
            log.warning("ingest pipeline still has %d datagrams after %.1f s",
                        self.inbox.qsize(), timeout)
            return False
        return True
