"""The receiving child process (``python -m restrike.ingest._child HOST PORT BUFFER``).

Standard library only, so it starts fast and small. Reads the feed socket, writes
framed batches to stdout, takes commands on stdin (one per line):
``send <host> <port> <hex bytes>`` sends a datagram from the feed socket (pull
requests), ``stop`` drains the socket and ends. End of stdin (the station went away,
even by ``kill -9``) ends it too, so it never outlives the station.

Out: messages ``<type: 1 byte><length: uint32 LE><payload>``; type ``D`` is a batch
(header ``<Id4sH``: count; time, address and port of the last datagram; then frames
``<d4sHI`` + bytes), type ``C`` a JSON message (``ready``, ``error``, ``log``).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import signal
import socket
import struct
import sys
import threading
import time
from typing import Any, BinaryIO

FRAME = struct.Struct("<d4sHI")
HEADER = struct.Struct("<Id4sH")
MESSAGE = struct.Struct("<cI")
BATCH_AGE = 0.001  # a batch leaves at most this old
BATCH_BYTES = 256 * 1024
_MAX_DATAGRAM = 65535


def open_udp_socket(host: str, port: int, receive_buffer: int) -> tuple[socket.socket, int]:
    """A bound IPv4 UDP socket accepting broadcasts; returns it and its effective buffer.

    Asks for ``receive_buffer`` bytes; as root on Linux ``SO_RCVBUFFORCE`` lifts the
    system cap (``net.core.rmem_max``), otherwise the kernel gives what it allows.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if receive_buffer > 0:
            forced = False
            force = getattr(socket, "SO_RCVBUFFORCE", None)
            if force is not None:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, force, receive_buffer)
                    forced = True
                except OSError:
                    forced = False
            if not forced:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock, sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)


class _Out:
    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def message(self, kind: bytes, payload: bytes | bytearray) -> None:
        with self.lock:
            self.stream.write(MESSAGE.pack(kind, len(payload)))
            self.stream.write(payload)
            self.stream.flush()

    def tell(self, **fields: Any) -> None:
        self.message(b"C", json.dumps(fields).encode())


def _commands(sock: socket.socket, out: _Out, stop: threading.Event) -> None:
    """Stdin: pull requests to send, ``stop``; EOF means the station is gone."""
    for raw in sys.stdin.buffer:
        words = raw.decode("ascii", "replace").split()
        if not words:
            continue
        if words[0] == "stop":
            break
        if words[0] == "send" and len(words) == 4:
            try:
                sock.sendto(bytes.fromhex(words[3]), (words[1], int(words[2])))
            except (OSError, ValueError) as err:
                out.tell(type="log", message=f"send to {words[1]}:{words[2]} failed: {err}")
    stop.set()


def serve(host: str, port: int, receive_buffer: int, stream: BinaryIO) -> None:
    out = _Out(stream)
    nice = getattr(os, "nice", None)  # ahead of the station's busy threads where allowed
    if nice is not None:
        with contextlib.suppress(OSError):
            nice(-10)
    try:
        sock, effective = open_udp_socket(host, port, receive_buffer)
    except OSError as err:
        out.tell(type="error", message=str(err.strerror or err))
        return
    sock.setblocking(False)
    out.tell(type="ready", port=sock.getsockname()[1], buffer=effective)
    stop = threading.Event()
    threading.Thread(target=_commands, args=(sock, out, stop), name="commands",
                     daemon=True).start()
    # Batches go out through a writer thread: when the station is slow to read the
    # pipe, the writer waits and batches queue up here, while this loop keeps
    # emptying the socket (the kernel buffer is the small one).
    pending: queue.SimpleQueue[bytearray | None] = queue.SimpleQueue()
    writer = threading.Thread(target=_writer, args=(pending, out), name="writer",
                              daemon=True)
    writer.start()
    pack = FRAME.pack
    aton = socket.inet_aton
    clock = time.time
    empty = bytes(HEADER.size)
    batch = bytearray(empty)
    count = 0
    last: tuple[float, bytes, int] = (0.0, b"\0\0\0\0", 0)
    started = last_flush = 0.0
    stopping = False

    def flush() -> None:
        nonlocal batch, count, last_flush
        if count:
            HEADER.pack_into(batch, 0, count, *last)
            pending.put(batch)
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
                started = now
            ip = aton(addr[0])
            batch += pack(now, ip, addr[1], len(payload))
            batch += payload
            count += 1
            last = (now, ip, addr[1])
            got += 1
            if len(batch) >= BATCH_BYTES:
                flush()
        now = clock()
        # A quiet feed leaves at once; a busy one (a flush less than half a batch age
        # ago) in batches at most BATCH_AGE old: at most ~2,000 hand-offs a second.
        if count and (stopping or now - last_flush >= BATCH_AGE / 2
                      or now - started >= BATCH_AGE):
            flush()
        if stopping:
            break
        if stop.is_set():
            stopping = True  # one more pass drains what the kernel holds
            continue
        wait = max(0.0, started + BATCH_AGE - now) if count else 0.05
        with contextlib.suppress(OSError, ValueError):
            select.select([sock], [], [], wait)
    sock.close()
    pending.put(None)
    writer.join()


def _writer(pending: queue.SimpleQueue[bytearray | None], out: _Out) -> None:
    while True:
        batch = pending.get()
        if batch is None:
            return
        try:
            out.message(b"D", batch)
        except (BrokenPipeError, OSError, ValueError):
            return  # the station is gone


def main() -> None:
    # Ctrl-C (and SIGHUP when the terminal closes) reach the whole process group: the
    # station decides when this ends (``stop`` or the end of stdin), so the kernel
    # buffer is drained first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    hup = getattr(signal, "SIGHUP", None)
    if hup is not None:
        signal.signal(hup, signal.SIG_IGN)
    host, port, receive_buffer = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        serve(host, port, receive_buffer, sys.stdout.buffer)
    with contextlib.suppress(OSError):
        sys.stdout.flush()
    # The stdin reader may still be blocked in read(): leave without joining it.
    os._exit(0)


if __name__ == "__main__":
    main()
