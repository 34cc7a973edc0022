"""One court's upload step: read what follows the cursor, send it, move the cursor.

Shared by the station's hub link (on a worker thread) and ``restrike bench hub`` (which
drives many courts' stores at once), so the benchmark measures the link's own path.
The first upload of a run carries no rows: the hub answers with the newest id it
holds of this station, and the link goes on from there — a hub restored from an
older backup gets the rows again, a station restarted after the hub took rows it
had not yet recorded sends nothing twice. Each upload names the cursor it follows
(``after``), so a hub that holds less stores nothing and says where it is.

While catching up (a full batch), the station does not wait for the hub's answer
before sending the next batch: batch N+1 goes on a second connection while the hub
stores batch N (the hub parses and checks N+1 while PostgreSQL copies N), and batch
N+2 is read and encoded on a thread of its own meanwhile. Order and exactly-once stay
the hub's: it stores a station's uploads one at a time under the lock of its row and
only rows after what it holds, and N+1 names the cursor it follows (N's last row), so
if N was not stored, N+1 stores no feed rows and answers where the hub is. The
answers are read in the order sent; the one to N+1 is used only if N's was the one
expected, and any failure or unexpected answer drops what is in flight (waiting for
it) and the read-ahead, so the next upload starts from what the hub said it holds.

The rows that change (match, athletes, day, tournament, clips) are read again with
every batch that refers to them; those the hub already holds exactly so are left
out, which keeps a live court's uploads small. What was sent is forgotten whenever
an upload fails or the hub answers a cursor other than expected, so a hub that lost
rows gets them again.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, TypeVar

from restrike.errors import HubError
from restrike.hub.client import HubClient, encode
from restrike.hub.outbox import Batch, read_batch
from restrike.hub.wire import FORMAT

__all__ = ["Uploader"]

T = TypeVar("T")
ReadCall = Callable[[Callable[[sqlite3.Connection], T]], T]
#: (datagram cursor, event cursor, clips from, datagrams at most): what a read depends on.
Key = tuple[int, int, int, int]
#: The tables whose rows change, and are sent again only when they did.
CHANGING = ("tournaments", "days", "athletes", "matches", "clips")


@dataclass
class _Sent:
    """An upload on its way: the batch, and the hub's answer to come."""

    batch: Batch
    answer: Future[dict[str, Any]]


class Uploader:
    """``upload(live)``: one batch to the hub; ``cursor`` is the newest id it holds.

    ``close()`` when done (it stops its threads and closes its second connection).
    """

    def __init__(self, client: HubClient, read: ReadCall[Any], *, court: str, station: str,
                 batch_rows: int, cursor: int = 0, clips_from: int = 0) -> None:
        self.client = client
        self.read = read
        self.court = court
        self.station = station
        self.batch_rows = batch_rows
        self.hint: int | None = None  # the hub's wish for the next upload's size
        self.cursor = cursor
        self.event_cursor = 0  # the newest event id the hub holds (from its replies)
        self.clips_from = clips_from
        self.known = False  # the cursor came from the hub in this run
        self.host = socket.gethostname()
        self._ahead: tuple[Key, Future[tuple[Batch, bytes]]] | None = None
        self._sent: dict[tuple[str, int], list[Any]] = {}  # (table, id) -> row as sent
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="hub-read")
        # Two connections, taken in turn: at most two uploads are on their way at once.
        self._clients = (client, client.twin())
        self._turn = 0
        self._poster = ThreadPoolExecutor(2, thread_name_prefix="hub-send")
        self._next: _Sent | None = None  # sent before the previous batch's answer came
        self._posts: list[Future[dict[str, Any]]] = []  # answers not yet read
        self._closed = False

    @property
    def limit(self) -> int:
        """Datagrams in the next upload at most: the setting, or fewer if the hub asks."""
        return min(self.batch_rows, self.hint) if self.hint else self.batch_rows

    def upload(self, live: dict[str, Any] | None) -> tuple[Batch, bool]:
        """Send the next batch; (the batch, whether the cursors moved). HubError."""
        try:
            return self._upload(live)
        except Exception:  # HubError, StoreError: nothing in flight is trusted any more
            self.known = False
            self._forget()
            raise

    def _upload(self, live: dict[str, Any] | None) -> tuple[Batch, bool]:
        if not self.known:
            self.cursor = self._checked(self.client.post(self._head(None, live)))
            self.known = True
        sent, self._next = self._next, None
        if sent is None:
            sent = self._send((self.cursor, self.event_cursor, self.clips_from, self.limit),
                              live)
        batch = sent.batch
        if batch.full and not self._closed:  # catching up: the next goes before the answer
            self._next = self._send((batch.last_id, batch.last_event, batch.clips_from,
                                     self.limit), live)
        held = self._checked(sent.answer.result())
        self._posts.remove(sent.answer)
        if held != batch.last_id or self.event_cursor != batch.last_event:
            self._forget()  # the hub holds other than expected: send everything again
        moved = held != self.cursor or batch.clips_from != self.clips_from
        self.cursor, self.clips_from = held, batch.clips_from
        return batch, moved

    def more(self, batch: Batch) -> bool:
        """True when the batch was full: more rows are waiting."""
        return batch.full

    def close(self) -> None:
        """Stop the threads (an upload on its way is not waited for: closing the
        connections ends it; the first client is its owner's to close)."""
        self._closed = True
        self._ahead = None
        self._reader.shutdown(wait=True, cancel_futures=True)
        self._poster.shutdown(wait=False, cancel_futures=True)
        self._clients[1].close()

    def _send(self, key: Key, live: dict[str, Any] | None) -> _Sent:
        """Post the batch at ``key`` on the next connection; its answer comes later."""
        batch, tables = self._batch(key)
        if batch.full and not self._closed:  # catching up: read ahead while the hub stores
            following = (batch.last_id, batch.last_event, batch.clips_from, self.limit)
            self._ahead = (following, self._reader.submit(self._read, following))
        head = encode(self._head(key[0], live))
        client, self._turn = self._clients[self._turn], 1 - self._turn
        client.send(head[:-1] + b"," + tables[1:])  # whole before the next: in order
        answer = self._poster.submit(client.answer)
        self._posts.append(answer)
        return _Sent(batch, answer)

    def _batch(self, key: Key) -> tuple[Batch, bytes]:
        """The batch at ``key``: the read-ahead if it is that one, else read now."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            if ahead[0] == key:
                return ahead[1].result()
            wait([ahead[1]])  # let it finish (it holds the reader), then drop it:
            self._sent.clear()  # the rows it marked as sent never were
        return self._read(key)

    def _forget(self) -> None:
        """Drop what is on its way (its answers unread), the read-ahead and what was sent
        (after it was filtered by it). Waits for each: a connection or the reader is used
        by one thread at a time."""
        posts, self._posts, self._next = self._posts, [], None
        ahead, self._ahead = self._ahead, None
        wait(posts)
        if ahead is not None:
            wait([ahead[1]])
        self._sent.clear()

    def _read(self, key: Key) -> tuple[Batch, bytes]:
        cursor, events, clips_from, limit = key
        batch: Batch = self.read(lambda conn: read_batch(conn, cursor, events, clips_from,
                                                         limit))
        for table in CHANGING:
            rows = [row for row in getattr(batch, table)
                    if self._sent.get((table, row[0])) != row]
            self._sent.update(((table, row[0]), row) for row in rows)
            setattr(batch, table, rows)
        return batch, encode(batch.body())

    def _checked(self, reply: dict[str, Any]) -> int:
        fmt = reply.get("format")
        if fmt != FORMAT:
            self.known = False
            raise HubError(f"the hub at {self.client.url} reads upload format {fmt}, this "
                           f"station sends {FORMAT}: "
                           + ("upgrade the hub" if isinstance(fmt, int) and fmt < FORMAT
                              else "upgrade the station"), status=426)
        last, event = reply.get("last_id"), reply.get("last_event")
        if not isinstance(last, int) or last < 0 or not isinstance(event, int) or event < 0:
            self.known = False
            raise HubError(f"the hub at {self.client.url} answered no cursor", status=426)
        hint = reply.get("batch_rows")
        self.hint = hint if isinstance(hint, int) and hint > 0 else None
        self.event_cursor = event
        return last

    def _head(self, after: int | None, live: dict[str, Any] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"format": FORMAT, "court": self.court,
                                "station": self.station, "host": self.host}
        if after is not None:
            body["after"] = after
        if live is not None:
            body["live"] = live
        return body
