"""The pipeline's inbox while the receiver process stores the feed: the file, by cursor.

The receiver process commits each datagram before the station sees it
(`restrike.ingest._storing`) and sends a note per commit. `StoreFollower` is what the
pipeline thread reads then: after a note it reads the next datagrams from the
database in id order, up to one batch at a time, and the pipeline folds, publishes
and hands them on as before — without storing them again. A station slower than the
feed therefore holds no backlog in memory: it waits in the file, in order.

It also carries what the pipeline's inbox carries besides datagrams: state edits
(`restrike.ingest.inject`), queued in order, and the stop (``None``: everything
committed is read first). A datagram of the station's own (manual scoring) goes to
the receiver process, which stores it behind what it received.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from restrike.errors import RestrikeError
from restrike.ingest._wire import Datagram
from restrike.store.reader import Reader

__all__ = ["CHUNK", "StoreFollower", "Stored"]

log = logging.getLogger(__name__)

#: Datagrams read per query: one pipeline batch.
CHUNK = 256
#: Seconds between two looks at the file without a note (a note lost to a restart of
#: the receiver process is not waited for longer).
_POLL = 0.5


class Stored(NamedTuple):
    """A datagram as the receiver process stored it."""

    seq: int
    received_at: float
    source: str
    data: bytes


class StoreFollower:
    """Reads what the receiver process committed, after ``after_id``; the pipeline's
    `restrike.ingest.pipeline.Inbox` (``put`` of a datagram: ``inject`` it)."""

    def __init__(self, open_reader: Callable[[], Reader], after_id: int,
                 inject: Callable[[Datagram], None]) -> None:
        self._open_reader = open_reader
        self._reader: Reader | None = None
        self.after_id = after_id  # the last datagram read
        self._inject = inject
        self._items: collections.deque[Any] = collections.deque()  # state edits, in order
        self._wake = threading.Condition()
        self._new = True  # a commit since the last read that found nothing
        self._stopping = False
        self.committed_seq = 0  # the last datagram the receiver process committed
        self.read_seq = 0  # the last one handed to the pipeline

    def committed(self, last_seq: int) -> None:
        """A commit note (drainer thread): there is more to read."""
        with self._wake:
            self.committed_seq = max(self.committed_seq, last_seq)
            self._new = True
            self._wake.notify()

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """A state edit, a list of `Stored` datagrams, or None once stopped and every
        committed datagram was read; `queue.Empty` when ``block`` is False and there is
        nothing."""
        while True:
            with self._wake:
                if self._items:
                    return self._items.popleft()
                look = self._new or self._stopping
                self._new = False
            if look:
                rows = self._read()
                if rows:
                    with self._wake:
                        self._new = True  # maybe more than one chunk
                    return rows
                if self._stopping:
                    return None
            if not block:
                raise queue.Empty
            with self._wake:
                if not (self._items or self._new or self._stopping):
                    self._wake.wait(_POLL if timeout is None else min(timeout, _POLL))
                self._new = True  # woken or not: look at the file again

    def get_nowait(self) -> Any:
        return self.get(block=False)

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        """None: stop once everything committed is read; a datagram: to the receiver
        process; anything else (a state edit) is handed back in order."""
        if item is None:
            with self._wake:
                self._stopping = True
                self._wake.notify()
        elif isinstance(item, tuple):
            try:
                self._inject(item)
            except RestrikeError as err:  # the caller waits for it in vain: say why
                log.warning("datagram from %s:%d not taken: %s", *item[2], err)
        else:
            with self._wake:
                self._items.append(item)
                self._wake.notify()

    def qsize(self) -> int:
        """Datagrams committed and not read yet, and edits waiting."""
        return max(0, self.committed_seq - self.read_seq) + len(self._items)

    def _read(self) -> list[Stored]:
        reader = self._reader
        if reader is None:
            reader = self._reader = self._open_reader()
        rows = reader.datagrams_after(self.after_id, CHUNK)
        if not rows:
            return []
        self.after_id = rows[-1][0]
        out = [Stored(seq, t, source, bytes(data)) for _id, seq, t, source, data in rows]
        self.read_seq = out[-1].seq
        return out

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
