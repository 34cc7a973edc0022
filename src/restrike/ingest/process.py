"""The UDP receiver in its own process, for floods the GIL cannot follow.

Measured (docs/station.md): a receiving *thread* wins the race against the event
loop at court rates, but at 50,000 datagrams/s it has to win the GIL back after every
``recvfrom`` while the parser and the store writer hold it, and the kernel drops.
This receiver reads in a child process with its own GIL, stamps each datagram with
its arrival time and sender, and ships them in framed batches (at most ~1 ms old)
through a pipe; a drainer thread in the station reads a whole batch per GIL
acquisition. Pull requests are sent from the child's socket (on command), so the
scoring software's answers come back to the feed port.

A batch is ``D``, a header (count; time and sender of the last datagram), then
frames ``<d4sHI`` (arrival time, IPv4 address, port, length) each followed by the
bytes; ``C`` + pickle is a message from the child (ready, error, log, end).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import queue
import select
import socket
import struct
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from restrike.errors import RestrikeError

__all__ = ["FRAME", "ProcessReceiver", "iter_frames"]

log = logging.getLogger(__name__)

FRAME = struct.Struct("<d4sHI")
HEADER = struct.Struct("<Id4sH")  # datagrams in the batch; time and sender of the last
BATCH_START = 1 + HEADER.size
_MAX_DATAGRAM = 65535
_BATCH_AGE = 0.001  # a batch leaves the child at most this old
_BATCH_BYTES = 256 * 1024


def iter_frames(chunk: bytes, offset: int = 0) -> list[tuple[float, bytes, tuple[str, int]]]:
    """Decode a batch into (received_at, data, (host, port)) tuples."""
    out = []
    size = FRAME.size
    unpack = FRAME.unpack_from
    ntoa = socket.inet_ntoa
    end = len(chunk)
    while offset < end:
        t, ip, port, length = unpack(chunk, offset)
        offset += size
        out.append((t, chunk[offset:offset + length], (ntoa(ip), port)))
        offset += length
    return out


def _child(host: str, port: int, receive_buffer: int, data: Connection,
           control: Connection) -> None:
    """The receiving process: socket → framed batches on ``data``."""
    from restrike.ingest.receiver import open_udp_socket

    # Ahead of the station's busy threads for the CPU where the OS lets us (root on
    # Unix); elsewhere the kernel buffer has to absorb the bursts.
    nice = getattr(os, "nice", None)
    if nice is not None:
        with contextlib.suppress(OSError):
            nice(-10)

    def tell(*message: Any) -> None:
        data.send_bytes(b"C" + pickle.dumps(message))

    try:
        sock, effective = open_udp_socket(host, port, receive_buffer)
    except OSError as err:
        tell("error", f"{err.strerror or err}")
        return
    sock.setblocking(False)
    tell("ok", sock.getsockname()[1], effective)
    pack = FRAME.pack
    aton = socket.inet_aton
    clock = time.time
    empty = b"D" + bytes(HEADER.size)
    batch = bytearray(empty)
    count = 0
    last: tuple[float, bytes, int] = (0.0, b"\0\0\0\0", 0)
    batch_started = 0.0
    last_flush = 0.0
    stopping = False
    sent = 0

    def flush() -> None:
        nonlocal batch, last_flush, count
        if count:
            HEADER.pack_into(batch, 1, count, *last)
            data.send_bytes(batch)
            batch = bytearray(empty)
            count = 0
        last_flush = clock()

    while True:
        got = 0
        while got < 4096:
            try:
                payload, addr = sock.recvfrom(_MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionResetError:
                continue  # Windows: ICMP port unreachable of an earlier pull request
            now = clock()
            if not count:
                batch_started = now
            ip = aton(addr[0])
            batch += pack(now, ip, addr[1], len(payload))
            batch += payload
            count += 1
            last = (now, ip, addr[1])
            got += 1
            if len(batch) >= _BATCH_BYTES:
                flush()
        now = clock()
        # A quiet feed leaves at once; a busy one (a flush less than half a batch age
        # ago) in batches at most _BATCH_AGE old: at most ~2,000 hand-offs a second.
        if count and (stopping or now - last_flush >= _BATCH_AGE / 2
                      or now - batch_started >= _BATCH_AGE):
            flush()
        if stopping:
            break
        while control.poll():
            command = control.recv()
            if command[0] == "stop":
                stopping = True
            elif command[0] == "send":
                for payload, target in command[1]:
                    try:
                        sock.sendto(payload, target)
                        sent += 1
                    except OSError as err:
                        tell("log", f"pull request to {target} failed: {err}")
        if stopping:
            continue  # one more pass drains what the kernel holds
        wait = max(0.0, batch_started + _BATCH_AGE - now) if count else 0.05
        with contextlib.suppress(OSError, ValueError):
            select.select([sock], [], [], wait)
    flush()
    tell("end")
    sock.close()


def _grow_pipe(conn: Connection) -> None:
    """A 1 MB pipe on Linux (default 64 kB), so a busy station rarely stalls the child."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (OSError, ValueError):
        pass


class ProcessReceiver:
    """Same surface as `UdpReceiver`, the socket living in a child process."""

    def __init__(self, host: str, port: int, receive_buffer: int,
                 out: queue.SimpleQueue[Any]) -> None:
        self.host = host
        self.port = port
        self.receive_buffer = receive_buffer
        self.out = out
        self.effective_buffer: int | None = None
        self._proc: Any = None
        self._data: Connection | None = None
        self._control: Connection | None = None
        self._thread: threading.Thread | None = None
        self._send_lock = threading.Lock()
        self.received = 0
        self.bytes = 0
        self.batches = 0
        self.last_at: float | None = None
        self.last_addr: tuple[str, int] | None = None

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def running(self) -> bool:
        return (self._thread is not None and self._thread.is_alive()
                and self._proc is not None and self._proc.is_alive())

    def start(self, timeout: float = 15.0) -> None:
        ctx = multiprocessing.get_context("spawn")
        data_parent, data_child = ctx.Pipe(duplex=False)
        control_child, control_parent = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child, name="restrike-udp-receiver",
                                 args=(self.host, self.port, self.receive_buffer, data_child,
                                       control_child), daemon=True)
        self._proc.start()
        data_child.close()
        control_child.close()
        self._data, self._control = data_parent, control_parent
        _grow_pipe(data_parent)
        if not data_parent.poll(timeout):
            self._proc.kill()
            raise RestrikeError("the UDP receiver process did not start")
        reply = pickle.loads(data_parent.recv_bytes()[1:])
        if reply[0] != "ok":
            self._proc.join(5)
            raise RestrikeError(f"cannot listen on UDP {self.host}:{self.port}: {reply[1]}")
        _, self.port, self.effective_buffer = reply
        self._thread = threading.Thread(target=self._drain, name="restrike-udp-drainer",
                                        daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        conn = self._data
        assert conn is not None
        out = self.out
        while True:
            try:
                chunk = conn.recv_bytes()
            except (EOFError, OSError):
                break
            if chunk[:1] == b"C":  # a message from the child
                message = pickle.loads(chunk[1:])
                if message[0] == "end":
                    break
                if message[0] == "log":
                    log.warning("%s", message[1])
                continue
            count, last_at, ip, port = HEADER.unpack_from(chunk, 1)
            self.batches += 1
            self.received += count
            self.bytes += len(chunk)
            self.last_at, self.last_addr = last_at, (socket.inet_ntoa(ip), port)
            out.put(chunk)  # decoded by the pipeline thread, off this one

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        self.send_many([(data, addr)])

    def send_many(self, items: list[tuple[bytes, tuple[str, int]]]) -> None:
        if self._control is None:
            raise OSError("the receiver is not running")
        with self._send_lock:
            self._control.send(("send", items))

    def stop(self, timeout: float = 5.0) -> None:
        """Stop reading: the child drains the kernel buffer, flushes, exits."""
        if self._control is not None:
            with contextlib.suppress(OSError, BrokenPipeError):
                self._control.send(("stop",))
        if self._thread is not None:
            self._thread.join(timeout)
        if self._proc is not None:
            self._proc.join(timeout)
            if self._proc.is_alive():
                log.warning("UDP receiver process did not stop; killing it")
                self._proc.kill()
                self._proc.join(2)
        for conn in (self._data, self._control):
            if conn is not None:
                conn.close()
