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
import queue
import threading
from typing import BinaryIO

from restrike.ingest._spool import Message, Outbox
from restrike.ingest._wire import MESSAGE, Datagram, decode_batch, decode_injected, note
from restrike.ingest.pipeline import parse_guarded
from restrike.protocol import Parsed, Schema, default_schema, parse_schema
from restrike.store.types import Committed, Received
from restrike.store.writer import Store

__all__ = ["COMMIT_DATAGRAMS", "NOTES_WAITING", "FeedStore"]

#: Notes waiting for the pipe at most (a commit's note then waits for room).
NOTES_WAITING = 1024
#: Parsed datagrams kept (of at most PARSED_BYTES each; all dropped when full): a
#: feed repeats itself — clock ticks each round, the same score and penalty lines, a
#: looping or hostile sender — and a repeated datagram then costs a dictionary lookup
#: instead of ~17 µs of parsing. The messages are immutable and only read.
PARSED_ENTRIES = 8192
PARSED_BYTES = 256
#: Datagrams taken off the outbox for one commit, at most, and the time one may take
#: (the station's own writer waits meanwhile).
COMMIT_DATAGRAMS = 2048
COMMIT_MS = 30.0


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
        self._parsed: dict[bytes, list[Parsed]] = {}  # see PARSED_ENTRIES
        # StoreError when it cannot be opened: the process reports it and ends.
        self.store = Store(Path(db_path), rows=False, batch_rows=COMMIT_DATAGRAMS,
                           batch_ms=COMMIT_MS)
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
        self._parsed = {}

    def error(self) -> str | None:
        """Why the database cannot be written now (None when fine)."""
        return self.store.stats().error

    def run(self, outbox: Outbox) -> None:
        """The writer thread: until the outbox closes, or the station is gone."""
        try:
            while not self.gone.is_set() and (message := outbox.get()) is not None:
                # A backlog is committed in larger transactions: what waits now, up to
                # COMMIT_DATAGRAMS (one commit per pipe batch costs ~15 % more).
                count = self._queue(message)
                while count < COMMIT_DATAGRAMS and (more := outbox.get(block=False)):
                    count += self._queue(more)
                self.store.write_queued()
                outbox.sent()  # only now may the spool file forget them
        finally:
            self.store.close()
            self._notes.put(None)
            self._sender.join(5.0)

    def _queue(self, message: Message) -> int:
        """Parse a message's datagrams and queue them for the store; how many."""
        body = bytes(message[MESSAGE.size:])
        if message[:1] == b"I":
            one = decode_injected(body)
            return self._submit([one] if one is not None else [], None, received=False)
        return self._submit(*decode_batch(body), received=True)

    def _submit(self, frames: list[Datagram], problem: str | None, *,
                received: bool) -> int:
        """Parse and queue ``frames``; ``received``: from the court network (counted,
        and the last one is the feed's latest sign of life), else the station's own."""
        schema = self.schema
        submit = self.store.submit
        parsed = self._parsed
        seq = self.seq
        for received_at, data, (host, port) in frames:
            seq += 1
            messages = parsed.get(data)
            if messages is None:
                messages = list(parse_guarded(data, schema))
                if len(data) <= PARSED_BYTES:
                    if len(parsed) >= PARSED_ENTRIES:
                        parsed.clear()
                    parsed[data] = messages
            submit(Received(seq, received_at, f"{host}:{port}", data, messages))
        self.seq = seq
        if frames and received:
            self.bytes += sum(len(frame[1]) for frame in frames)
            self.received += len(frames)
            host, port = frames[-1][2]
            self.last = (frames[-1][0], f"{host}:{port}")
        if problem is not None:
            self.tell(note(type="log", message=f"corrupt batch ({len(frames)} datagrams "
                                                f"decoded): {problem}"))
        return len(frames)

    def _committed(self, batch: Committed) -> None:
        """After each commit (this thread): what the station needs to follow it."""
        ids = batch.event_ids
        self.tell(note(
            type="committed", first_seq=batch.first_seq, last_seq=batch.last_seq,
            count=batch.count, at=batch.committed_at, ms=batch.duration_ms,
            events=[ids.start, ids.stop] if ids else None,
            matches=sorted(batch.match_ids), received=self.received, bytes=self.bytes,
            last=self.last))

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
