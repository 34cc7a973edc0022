"""The receiver process's second job: parse and store the feed itself.

Measured (docs/station.md, "Issue 15"): with every plugin, the station's one GIL gave
each datagram ~200 µs — parser, store writer, event loop, analytics and tagger in
turn — so a flood drained at ~5,000 datagrams/s. Here the parser and the store writer
for the feed run in the receiver process, on a GIL (and a core) of their own: each
batch of the pipe is parsed, committed to the station's SQLite file and only then
confirmed to the spool file, so a kill at any point loses nothing the spool holds.
Instead of the datagrams, the station gets a ``committed`` note per commit and
follows the file by cursor (`restrike.ingest.follow`), as fast as its own parts
allow; what it has not read yet waits on disk, in order.

Imported only with ``--store``: the plain receiver stays standard library only.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from typing import Any, BinaryIO

from restrike.ingest._spool import Outbox
from restrike.ingest._wire import MESSAGE, Datagram, decode_batch, decode_injected
from restrike.ingest.pipeline import parse_guarded
from restrike.protocol import Schema, default_schema, parse_schema
from restrike.store.types import Committed, Received
from restrike.store.writer import Store

__all__ = ["NOTES_WAITING", "FeedStore"]

#: Notes waiting for the pipe at most (a commit's note then waits for room).
NOTES_WAITING = 1024


def _note(fields: dict[str, Any]) -> bytes:
    body = json.dumps(fields).encode()
    return MESSAGE.pack(b"C", len(body)) + body


def schema_of(text: str) -> Schema:
    """The definition the station sent (empty: the shipped one)."""
    return parse_schema(text, "<station>") if text else default_schema()


class FeedStore:
    """Parse each batch, commit it, confirm it, tell the station.

    ``seq`` continues from the last stored datagram, so a restarted receiver process
    numbers on where the one before stopped.
    """

    def __init__(self, db_path: str, schema_text: str, stream: BinaryIO) -> None:
        from pathlib import Path  # only in this mode (see `restrike.ingest._spool`)

        self.schema = schema_of(schema_text)
        # StoreError when it cannot be opened: the process reports it and ends.
        self.store = Store(Path(db_path), rows=False)
        with self.store.reader() as reader:
            self.seq = reader.last_datagram()[1]
        self.store.subscribe_commits(self._committed)
        self.gone = threading.Event()  # the station went away: stop after this batch
        # Notes go down the pipe from a thread of their own, so neither the receive
        # loop nor a commit waiting for the database holds them up.
        self._notes: queue.Queue[bytes | None] = queue.Queue(NOTES_WAITING)
        self._sender = threading.Thread(target=self._send, args=(stream,), name="notes",
                                        daemon=True)
        self._sender.start()
        self.received = 0
        self.bytes = 0
        self.last: tuple[float, str] | None = None

    def set_schema(self, text: str) -> None:
        """A new definition from the station (its commands thread); the next batch
        is parsed with it."""
        self.schema = schema_of(text)

    def error(self) -> str | None:
        """Why the database cannot be written now (None when fine)."""
        return self.store.stats().error

    def run(self, outbox: Outbox) -> None:
        """The writer thread: until the outbox closes, or the station is gone."""
        try:
            while not self.gone.is_set() and (message := outbox.get()) is not None:
                body = bytes(message[MESSAGE.size:])
                if message[:1] == b"I":
                    one = decode_injected(body)
                    self._store([one] if one is not None else [], None, received=False)
                else:
                    self._store(*decode_batch(body), received=True)
                outbox.sent()  # only now may the spool file forget it
        finally:
            self.store.close()
            self._notes.put(None)
            self._sender.join(5.0)

    def _store(self, frames: list[Datagram], problem: str | None, *,
               received: bool) -> None:
        """Parse, queue and commit ``frames``; ``received``: from the court network
        (counted, and the last one is the feed's latest sign of life), else the
        station's own."""
        schema = self.schema
        store = self.store
        seq = self.seq
        for received_at, data, (host, port) in frames:
            seq += 1
            source = f"{host}:{port}"
            store.submit(Received(seq, received_at, source, data,
                                  list(parse_guarded(data, schema))))
        self.seq = seq
        if frames and received:
            self.bytes += sum(len(frame[1]) for frame in frames)
            self.received += len(frames)
            host, port = frames[-1][2]
            self.last = (frames[-1][0], f"{host}:{port}")
        if problem is not None:
            self.tell(_note({"type": "log", "message": f"corrupt batch ({len(frames)} "
                                                         f"datagrams decoded): {problem}"}))
        store.write_queued()

    def _committed(self, batch: Committed) -> None:
        """After each commit (this thread): what the station needs to follow it."""
        ids = batch.event_ids
        self.tell(_note({
            "type": "committed", "first_seq": batch.first_seq, "last_seq": batch.last_seq,
            "count": batch.count, "at": batch.committed_at, "ms": batch.duration_ms,
            "events": [ids.start, ids.stop] if ids else None,
            "matches": sorted(batch.match_ids), "received": self.received,
            "bytes": self.bytes, "last": self.last}))

    def tell(self, message: bytes) -> None:
        """A note to the station, behind the ones before it; waits while `NOTES_WAITING`
        wait (the station reads slower than this process commits: it may wait)."""
        if not self.gone.is_set():
            self._notes.put(message)

    def tell_soon(self, message: bytes) -> None:
        """A note that may be left out (the receive loop's stats): never waits."""
        with contextlib.suppress(queue.Full):
            self._notes.put_nowait(message)

    def _send(self, stream: BinaryIO) -> None:
        while (message := self._notes.get()) is not None:
            try:
                stream.write(message)
                stream.flush()
            except (OSError, ValueError):  # the station is gone: stop after this batch
                self.gone.set()
                while self._notes.get() is not None:
                    pass
                return
