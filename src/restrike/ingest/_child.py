"""The receiving child process (``python -m restrike.ingest._child``).

Standard library only, so it starts fast and small (``--store DB`` adds the parser
and SQLite: then it stores the feed itself, `restrike.ingest._storing`). The station
opens the UDP socket and hands it over (an inherited descriptor, ``--fd N``; on
Windows ``--shared``: the `socket.share` bytes, hex, on the first line of stdin),
so the socket outlives this process: when it dies, datagrams wait in the kernel
buffer for the next one.

It stamps each datagram with its arrival time and sender and writes batches to
stdout (layout in `restrike.ingest._wire`) through a writer thread and an `Outbox`
with at most ``--ram-limit`` bytes in memory and the rest in the ``--spool`` file, so
the receive loop never waits for the station (a spool folder that cannot be created
falls back to ``--fallback``). ``stop`` on stdin drains the socket,
sends everything and ends; the end of stdin (the station went away, even by
``kill -9``) ends it too, so it never outlives the station (with ``--store``, after
committing the batch in hand: the spool file keeps the rest for the next start).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from restrike.ingest._spool import Outbox, Spool
from restrike.ingest._wire import BATCH_BYTES, FRAME, HEADER, MAX_DATAGRAM, MESSAGE, note

if TYPE_CHECKING:
    from restrike.ingest._storing import FeedStore

BATCH_AGE = 0.001  # a batch leaves at most this old
STATS_EVERY = 0.5  # seconds between stats notes, when they changed
_START = MESSAGE.size + HEADER.size  # a batch is built in place, message header first


def _commands(stop: threading.Event, outbox: Outbox, feed: FeedStore | None,
              notify: Callable[[bytes], None]) -> None:
    """Stdin lines: ``stop``; with ``--store`` also ``schema <hex text>`` (a new protocol
    definition) and ``inject <hex message>`` (a datagram of the station's own, queued
    behind what was received). Its end without ``stop``: the station is gone."""
    for raw in sys.stdin.buffer:
        word, _, arg = raw.strip().partition(b" ")
        if word == b"stop":
            break
        try:
            if word == b"inject":
                outbox.put(bytes.fromhex(arg.decode("ascii")))
            elif word == b"schema" and feed is not None:
                feed.set_schema(bytes.fromhex(arg.decode("ascii")).decode("utf-8"))
        except Exception as err:  # a bad line must not end the commands
            notify(note(type="log", message=f"command {word!r} failed: {err}"))
    else:
        if feed is not None:
            feed.gone.set()
    stop.set()


def _write(outbox: Outbox, stream: BinaryIO) -> None:
    while (message := outbox.get()) is not None:
        try:
            stream.write(message)
            stream.flush()
        except (OSError, ValueError):
            return  # the station is gone; the spool file keeps its part
        outbox.sent()


def receive(sock: socket.socket, outbox: Outbox, stop: threading.Event,
            notify: Callable[[bytes], None] | None = None,
            store_error: Callable[[], str | None] | None = None) -> None:
    """Empty the socket into batches until ``stop``, then drain it once more."""
    sock.setblocking(False)
    notify = notify or outbox.note
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
            if store_error is not None:
                current["store_error"] = store_error()
            if current != stats:
                stats = current
                notify(note(type="stats", **current))
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
    feed = None
    try:
        sock = _socket(opts)  # first: on Windows its line comes first on stdin
        if "store" in opts:
            feed = _feed_store(opts["store"], stream)
    except Exception as err:  # before the writer runs: told directly
        stream.write(note(type="error", message=f"cannot start: {err}"))
        stream.flush()
        return 1
    # Storing, nothing but notes goes down the pipe: they go at once, not behind the
    # data queue (whose writer may wait for the database).
    notify = outbox.note if feed is None else feed.tell
    quick = outbox.note if feed is None else feed.tell_soon
    writer = threading.Thread(target=_write if feed is None else feed.run,
                              args=(outbox,) if feed is not None else (outbox, stream),
                              name="writer", daemon=True)
    code = 0
    try:
        resumed = outbox.resume()
        notify(note(type="ready", resumed=resumed, discarded=outbox.spool.discarded))
        writer.start()
        stop = threading.Event()
        threading.Thread(target=_commands, args=(stop, outbox, feed, notify),
                         name="commands", daemon=True).start()
        receive(sock, outbox, stop, quick, feed.error if feed is not None else None)
        sock.close()
    except Exception:
        import traceback  # only now: it costs memory in a process meant to be small

        code = 1
        message = traceback.format_exc()
        sys.stderr.write(message)  # the station's stderr, should the pipe be stuck
        notify(note(type="error", message=message))
        if not writer.is_alive():
            writer.start()
    outbox.close()
    writer.join(None if code == 0 else 2.0)
    if not writer.is_alive():  # else it may be inside a spooled message: leave the file
        outbox.finish()
    return code


def _feed_store(db_path: str, stream: BinaryIO) -> FeedStore:
    """With ``--store``: the `restrike.ingest._storing.FeedStore` on the station's
    database, with the definition from the first stdin line (``schema <hex>``)."""
    from restrike.ingest._storing import FeedStore  # the parser and SQLite: this mode only

    word, _, arg = sys.stdin.buffer.readline().strip().partition(b" ")
    if word != b"schema":
        raise ValueError(f"expected the protocol definition first, got {word[:20]!r}")
    return FeedStore(db_path, bytes.fromhex(arg.decode("ascii")).decode("utf-8"), stream)


def main() -> None:
    # Ctrl-C, SIGHUP when the terminal closes and SIGTERM sent to the process group (a
    # service manager, `timeout`) reach this process too: the station decides when it
    # ends (``stop`` or the end of stdin), so the kernel buffer is drained and stored
    # first. (SIGTERM killed it while the station stopped, and the station's
    # supervisor started another one.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
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
