"""What the receiver process holds for the station, with bounded memory.

Standard library only (it runs in the child; paths are ``os.path`` strings, since
pathlib alone would add ~0.9 MB to the child's RSS). The receive loop must never wait for
the station: when the station reads the pipe slower than the feed arrives, messages
wait here. Up to ``ram_limit`` bytes wait in memory; beyond that they are appended to
a spool file, and a marker in the writer's queue keeps each one's place, so order
holds and nothing is lost. Should the spool file fail (disk full), messages wait in
memory instead, and the failure is reported.

The spool file starts with ``<4sIQ>`` (magic, version, offset of the first unsent
message) followed by the messages exactly as they go down the pipe. The offset is
written after each message from the file has been sent, so a receiver process that
is killed leaves the file for the next one, which sends the rest first (a message
sent just before the kill may be sent twice, none is lost).
"""

from __future__ import annotations

import contextlib
import os
import queue
import struct
import threading
from collections import deque
from typing import IO, Any

from restrike.ingest._wire import MAX_BATCH, MESSAGE

__all__ = ["Outbox", "Spool", "waiting_bytes"]

_HEAD = struct.Struct("<4sIQ")
_MAGIC = b"RSPL"
_VERSION = 1
_SPOOLED, _OVERFLOW, _CLOSE = object(), object(), object()  # markers in the queue

Message = bytes | bytearray


def waiting_bytes(path: str) -> int:
    """Bytes a spool file holds unsent (0 if there is none): read from the file, so the
    station sees it even while the pipe that carries the child's notes is stalled."""
    try:
        with open(path, "rb") as file:
            head = file.read(_HEAD.size)
            end = os.fstat(file.fileno()).st_size
    except OSError:
        return 0
    if len(head) < _HEAD.size:
        return 0
    magic, _version, offset = _HEAD.unpack(head)
    return max(0, end - offset) if magic == _MAGIC else 0


class Spool:
    """An append-only file of pipe messages with a read position that survives a kill."""

    def __init__(self, path: str, fallback: str | None = None) -> None:
        self.path = path
        self.fallback = fallback  # used if ``path`` cannot be created (data folder broken)
        self._file: IO[bytes] | None = None
        self._reader: IO[bytes] | None = None  # its own handle: reads need no lock
        self.read_pos = self.write_pos = _HEAD.size
        self.unread = 0
        self.discarded = 0  # bytes of a cut or foreign file found when resuming

    def resume(self) -> int:
        """Take over a file left by an earlier receiver process; returns its unsent count.

        Reads message headers only, so a large file costs no memory; a message cut by
        the kill (or a file that is not a spool) is dropped and counted in `discarded`.
        """
        if not os.path.exists(self.path):
            return 0
        file = self._file = self._create(self.path)
        end = os.fstat(file.fileno()).st_size
        file.seek(0)
        head = file.read(_HEAD.size)
        magic, version, stored = (_HEAD.unpack(head) if len(head) == _HEAD.size
                                  else (b"", 0, 0))
        if magic != _MAGIC or version != _VERSION:
            self.discarded += end
            self._reset()
            return 0
        pos = offset = max(_HEAD.size, min(stored, end))
        count = 0
        while pos + MESSAGE.size <= end:
            file.seek(pos)
            kind, length = MESSAGE.unpack(file.read(MESSAGE.size))
            if kind not in b"DI" or length > MAX_BATCH or pos + MESSAGE.size + length > end:
                break
            pos += MESSAGE.size + length
            count += 1
        self.discarded += end - pos
        if count == 0:
            self._reset()
            return 0
        file.truncate(pos)
        self.read_pos, self.write_pos, self.unread = offset, pos, count
        self._commit_offset()
        return count

    def _open(self) -> IO[bytes]:
        if self._file is not None:
            return self._file
        try:
            file = self._file = self._create(self.path)
        except OSError:
            if self.fallback is None:
                raise
            self.path, self.fallback = self.fallback, None
            file = self._file = self._create(self.path)
        if not self.unread:
            self._reset()  # a new file, or one whose messages were all sent
        return file

    @staticmethod
    def _create(path: str) -> IO[bytes]:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        return open(path, "r+b" if os.path.exists(path) else "w+b", buffering=0)

    def _reset(self) -> None:
        file = self._open()
        file.truncate(0)
        file.seek(0)
        file.write(_HEAD.pack(_MAGIC, _VERSION, _HEAD.size))
        self.read_pos = self.write_pos = _HEAD.size

    def _commit_offset(self) -> None:
        file = self._open()
        file.seek(0)
        file.write(_HEAD.pack(_MAGIC, _VERSION, self.read_pos))

    @property
    def size(self) -> int:
        """Bytes waiting in the file."""
        return self.write_pos - self.read_pos

    def append(self, message: Message) -> None:
        file = self._open()
        file.seek(self.write_pos)
        written = file.write(message)
        if written != len(message):  # a full disk may take part of it before failing
            raise OSError(f"only {written} of {len(message)} bytes written")
        self.write_pos += len(message)
        self.unread += 1

    def take(self) -> bytes:
        """The next unsent message (it stays unsent in the file until `sent`)."""
        message = self.read_at(self.read_pos)
        self.taken(len(message))
        return message

    def read_at(self, pos: int) -> bytes:
        """The message at ``pos``, read through a handle of its own: the writer thread
        reads while the receive loop appends under the lock (the two touch different
        bytes of the file)."""
        reader = self._reader
        if reader is None or reader.name != self.path:
            if reader is not None:
                reader.close()
            reader = self._reader = open(self.path, "rb", buffering=0)  # noqa: SIM115
        reader.seek(pos)
        head = reader.read(MESSAGE.size)
        return head + reader.read(MESSAGE.unpack(head)[1])

    def taken(self, length: int) -> None:
        """The message at `read_pos` (``length`` bytes) was read for sending."""
        self.read_pos += length
        self.unread -= 1

    def sent(self) -> None:
        """The message last taken reached the pipe: move the offset, empty the file if
        nothing is left."""
        if self.unread:
            self._commit_offset()
        else:
            self._reset()

    def close(self) -> None:
        """Close; the file is removed unless it still holds unsent messages."""
        if self._reader is not None:
            self._reader.close()  # before the unlink (Windows keeps an open file)
            self._reader = None
        if self._file is None:
            return
        self._file.close()
        self._file = None
        if not self.unread:
            with contextlib.suppress(OSError):
                os.unlink(self.path)


class Outbox:
    """The writer thread's queue, in arrival order: messages in memory up to
    ``ram_limit`` bytes, the rest in the spool file with a marker holding their place.

    One `queue.SimpleQueue` carries messages and markers, so the writer waits in C
    and order holds by construction; a lock guards the byte counts, the offsets and
    the appends. The writer reads the file without it (`Spool.read_at`): a slow disk
    read never stalls the receive loop, which must empty the socket in time.
    """

    def __init__(self, spool: Spool, ram_limit: int) -> None:
        self.spool = spool
        self.ram_limit = ram_limit
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._overflow: deque[Message] = deque()  # when the spool cannot be written
        self.ram_bytes = 0
        self.overflow_bytes = 0
        self.spool_error: str | None = None
        self.spooled = 0  # messages ever put in the spool file
        self.spooled_bytes = 0
        self._from_spool = False  # a message taken since the last `sent` came from the file
        self._closed = False  # `get` met the end

    def resume(self) -> int:
        """Take over an earlier process's spool file, to be sent first (a file that
        cannot be read is reported in `spool_error` and left alone)."""
        with self._lock:
            try:
                count = self.spool.resume()
            except OSError as err:
                self.spool_error = f"spool file {self.spool.path}: {err}"
                return 0
            for _ in range(count):
                self._queue.put(_SPOOLED)
        return count

    def note(self, message: bytes) -> None:
        """A control message (kind ``C``): in order with the data, never spooled."""
        self._queue.put(message)

    def put(self, message: Message) -> None:
        """Queue a data message (kind ``D``, or ``I``) behind everything before it;
        never waits."""
        size = len(message)
        with self._lock:
            if self.ram_bytes + size <= self.ram_limit:
                self.ram_bytes += size
                self._queue.put(message)
                return
            if self.spool_error is None:
                try:
                    self.spool.append(message)
                except OSError as err:
                    self.spool_error = f"spool file {self.spool.path}: {err}"
                else:
                    self.spooled += 1
                    self.spooled_bytes += size
                    self._queue.put(_SPOOLED)
                    return
            self._overflow.append(message)
            self.overflow_bytes += size
            self._queue.put(_OVERFLOW)

    def get(self, block: bool = True) -> Message | None:
        """The next message to write (waits); None once closed and everything is sent,
        or, with ``block`` False, when none waits now."""
        if self._closed:
            return None
        try:
            item = self._queue.get(block)
        except queue.Empty:
            return None
        if item is _CLOSE:
            self._closed = True
            return None
        if item is _SPOOLED:  # the file is read outside the lock the receive loop takes
            with self._lock:
                pos = self.spool.read_pos
            spooled = self.spool.read_at(pos)
            with self._lock:
                self.spool.taken(len(spooled))
                self._from_spool = True
            return spooled
        with self._lock:
            if item is _OVERFLOW:
                message: Message = self._overflow.popleft()
                self.overflow_bytes -= len(message)
                if not self._overflow:
                    self.spool_error = None  # try the file again
                return message
            if item[:1] != b"C":
                self.ram_bytes -= len(item)
            return item  # type: ignore[no-any-return]

    def sent(self) -> None:
        """The messages from `get` are in the pipe (or stored)."""
        if self._from_spool:
            with self._lock:
                self._from_spool = False
                self.spool.sent()

    def close(self) -> None:
        """No more messages: `get` returns None once the rest is sent."""
        self._queue.put(_CLOSE)

    def finish(self) -> None:
        """After the writer ended: close the spool file (kept if it holds messages)."""
        with self._lock:
            if self._from_spool:  # taken, never confirmed: the file keeps them for next time
                self.spool.unread += 1
            self.spool.close()

    def stats(self) -> dict[str, int | str | None]:
        with self._lock:
            return {"ram_bytes": self.ram_bytes, "overflow_bytes": self.overflow_bytes,
                    "spool_bytes": self.spool.size, "spooled": self.spooled,
                    "spooled_bytes": self.spooled_bytes, "spool_error": self.spool_error,
                    "spool_path": self.spool.path}
