"""The receiving child process (``python -m restrike.ingest._child``).

Standard library only, so it starts fast and small. The station opens the UDP socket
and hands it over (an inherited descriptor, ``--fd N``; on Windows ``--shared``: the
`socket.share` bytes, hex, on the first line of stdin), so the socket outlives this
process: when it dies, datagrams wait in the kernel buffer for the next one.

It stamps each datagram with its arrival time and sender and writes batches to
stdout (layout in `restrike.ingest._wire`) through a writer thread and an `Outbox`
with at most ``--ram-limit`` bytes in memory and the rest in the ``--spool`` file, so
the receive loop never waits for the station (a spool folder that cannot be created
falls back to ``--fallback``). ``stop`` on stdin drains the socket,
sends everything and ends; the end of stdin (the station went away, even by
``kill -9``) ends it too, so it never outlives the station.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
import threading
import time
from typing import Any, BinaryIO

from restrike.ingest._spool import Outbox, Spool
from restrike.ingest._wire import BATCH_BYTES, FRAME, HEADER, MAX_DATAGRAM, MESSAGE

BATCH_AGE = 0.001  # a batch leaves at most this old
STATS_EVERY = 0.5  # seconds between stats notes, when they changed
_START = MESSAGE.size + HEADER.size  # a batch is built in place, message header first


def note(**fields: Any) -> bytes:
    body = json.dumps(fields).encode()
    return MESSAGE.pack(b"C", len(body)) + body


def _commands(stop: threading.Event) -> None:
    """Stdin: ``stop``; its end means the station is gone."""
    for raw in sys.stdin.buffer:
        if raw.strip() == b"stop":
            break
    stop.set()


def _write(outbox: Outbox, stream: BinaryIO) -> None:
    while (message := outbox.get()) is not None:
        try:
            stream.write(message)
            stream.flush()
        except (OSError, ValueError):
            return  # the station is gone; the spool file keeps its part
        outbox.sent()


def receive(sock: socket.socket, outbox: Outbox, stop: threading.Event) -> None:
    """Empty the socket into batches until ``stop``, then drain it once more."""
    sock.setblocking(False)
    pack = FRAME.pack
    aton = socket.inet_aton
    clock = time.time
    empty = bytes(_START)
    batch = bytearray(empty)
    count = 0
    last: tuple[float, bytes, int] = (0.0, b"\0\0\0\0", 0)
    started = last_flush = last_stats = 0.0
    stats: dict[str, Any] = {}
    stopping = False

    def flush() -> None:
        nonlocal batch, count, last_flush
        if count:
            MESSAGE.pack_into(batch, 0, b"D", len(batch) - MESSAGE.size)
            HEADER.pack_into(batch, MESSAGE.size, count, *last)
            outbox.put(batch)
            batch = bytearray(empty)
            count = 0
        last_flush = clock()

    while True:
        got = 0
        while got < 4096:
            try:
                payload, addr = sock.recvfrom(MAX_DATAGRAM)
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
            if len(batch) - _START >= BATCH_BYTES:
                flush()
        now = clock()
        # A quiet feed leaves at once; a busy one (a flush less than half a batch age
        # ago) in batches at most BATCH_AGE old: at most ~2,000 hand-offs a second.
        if count and (stopping or now - last_flush >= BATCH_AGE / 2
                      or now - started >= BATCH_AGE):
            flush()
        if now - last_stats >= STATS_EVERY:
            last_stats = now
            current = outbox.stats()
            if current != stats:
                stats = current
                outbox.note(note(type="stats", **current))
        if stopping:
            return
        if stop.is_set():
            stopping = True  # one more pass drains what the kernel holds
            continue
        wait = max(0.0, started + BATCH_AGE - now) if count else 0.05
        with contextlib.suppress(OSError, ValueError):
            select.select([sock], [], [], wait)


def options(argv: list[str]) -> dict[str, str]:
    """``--name value`` pairs and the flag ``--shared``, as the station writes them
    (no argparse: it would double the start-up time of this small process)."""
    out: dict[str, str] = {}
    words = iter(argv)
    for word in words:
        if not word.startswith("--"):
            raise ValueError(f"unexpected argument {word!r}")
        out[word[2:]] = "1" if word == "--shared" else next(words)
    return out


def _socket(opts: dict[str, str]) -> socket.socket:
    """The station's socket: an inherited descriptor, or (Windows) shared on stdin."""
    if sys.platform == "win32" and "shared" in opts:
        line = sys.stdin.buffer.readline().decode("ascii")
        return socket.fromshare(bytes.fromhex(line))
    return socket.socket(fileno=int(opts["fd"]))


def serve(opts: dict[str, str], stream: BinaryIO) -> int:
    """Run until stopped; the exit code (1: failed, the error went to the station)."""
    nice = getattr(os, "nice", None)  # ahead of the station's busy threads where allowed
    if nice is not None:
        with contextlib.suppress(OSError):
            nice(-10)
    fallback = opts.get("fallback")
    outbox = Outbox(Spool(opts["spool"], fallback), int(opts.get("ram-limit", 4 << 20)))
    writer = threading.Thread(target=_write, args=(outbox, stream), name="writer",
                              daemon=True)
    writer.start()
    code = 0
    try:
        resumed = outbox.resume()
        sock = _socket(opts)
        outbox.note(note(type="ready", resumed=resumed, discarded=outbox.spool.discarded))
        stop = threading.Event()
        threading.Thread(target=_commands, args=(stop,), name="commands", daemon=True).start()
        receive(sock, outbox, stop)
        sock.close()
    except Exception:
        import traceback  # only now: it costs memory in a process meant to be small

        code = 1
        message = traceback.format_exc()
        sys.stderr.write(message)  # the station's stderr, should the pipe be stuck
        outbox.note(note(type="error", message=message))
    outbox.close()
    writer.join(None if code == 0 else 2.0)
    if not writer.is_alive():  # else it may be inside a spooled message: leave the file
        outbox.finish()
    return code


def main() -> None:
    # Ctrl-C (and SIGHUP when the terminal closes) reach the whole process group: the
    # station decides when this ends (``stop`` or the end of stdin), so the kernel
    # buffer is drained first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    hup = getattr(signal, "SIGHUP", None)
    if hup is not None:
        signal.signal(hup, signal.SIG_IGN)
    code = 1
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        code = serve(options(sys.argv[1:]), sys.stdout.buffer)
    with contextlib.suppress(OSError):
        sys.stdout.flush()
    # The stdin reader may still be blocked in read(): leave without joining it.
    os._exit(code)


if __name__ == "__main__":
    main()
