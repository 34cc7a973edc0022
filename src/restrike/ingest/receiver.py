"""The UDP receiver: one dedicated thread on one blocking socket.

Why a thread: a blocking ``recvfrom`` releases the GIL and returns as soon as a
datagram is there, so the kernel buffer is emptied even while the event loop is busy
serving HTTP or the parser is chewing a burst (measured in docs/station.md). The
thread only stamps each datagram with its arrival time and sender and hands it to a
`queue.SimpleQueue`; everything else happens in the pipeline thread.

Stopping is portable: a wake-up datagram from a private socket unblocks ``recvfrom``,
then whatever the kernel still holds is drained and handed on, so nothing that reached
the socket is lost at shutdown.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import platform
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from restrike.errors import RestrikeError
from restrike.ingest._wire import MAX_DATAGRAM, Datagram

if TYPE_CHECKING:
    from restrike.ingest.pipeline import Inbox

__all__ = ["Datagram", "UdpReceiver", "kernel_drops", "listen_udp", "open_udp_socket"]

log = logging.getLogger(__name__)

#: A failing ``recvfrom`` is retried after this long at first, doubling up to _RETRY_MAX.
_RETRY_FIRST = 0.05
_RETRY_MAX = 2.0
#: While receiving keeps failing, say so again this often (seconds), with a count.
_FAILING_LOG_EVERY = 60.0


#: Linux's SO_RCVBUFFORCE where it has the generic number (Python's socket module does
#: not name it); alpha, MIPS, PA-RISC and SPARC number their options differently.
_RCVBUFFORCE_GENERIC = 33
_GENERIC_MACHINES = ("x86_64", "amd64", "i386", "i486", "i586", "i686", "aarch64", "arm",
                     "riscv", "ppc", "s390")


def _rcvbufforce() -> int | None:
    """The option that lifts the system's cap on a receive buffer, where there is one."""
    option = getattr(socket, "SO_RCVBUFFORCE", None)
    if option is None and sys.platform.startswith("linux") and \
            platform.machine().lower().startswith(_GENERIC_MACHINES):
        option = _RCVBUFFORCE_GENERIC
    return option if isinstance(option, int) else None


def _exclusive(sock: socket.socket) -> None:
    """No other socket may share the port: a second station would otherwise bind too and
    take the feed (Linux delivers unicast datagrams to one of them) while this one looks
    healthy. POSIX shares a UDP port only when every socket asks for SO_REUSEADDR, so
    this one asks for nothing; Windows lets a later SO_REUSEADDR socket take the port
    unless the first holds it with SO_EXCLUSIVEADDRUSE."""
    exclusive = getattr(socket, "SO_EXCLUSIVEADDRUSE", None)
    if exclusive is not None:
        sock.setsockopt(socket.SOL_SOCKET, exclusive, 1)


def open_udp_socket(host: str, port: int, receive_buffer: int) -> tuple[socket.socket, int]:
    """A bound IPv4 UDP socket accepting broadcasts, the port held exclusively; returns
    it and its effective buffer (OSError EADDRINUSE when another socket has the port).

    Asks for ``receive_buffer`` bytes; on Linux with CAP_NET_ADMIN (root, usually)
    ``SO_RCVBUFFORCE`` lifts the system cap (``net.core.rmem_max``), otherwise the
    kernel gives what it allows. (Linux counts each datagram's bookkeeping too: a
    5-byte datagram takes ~830 bytes, so 8 MiB asked, 16 MiB granted, hold ~20,000.)
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        _exclusive(sock)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if receive_buffer > 0:
            forced = False
            force = _rcvbufforce()
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


def listen_udp(host: str, port: int, receive_buffer: int) -> tuple[socket.socket, int]:
    """`open_udp_socket`, its failure as a RestrikeError naming the port (and, when the
    port is taken, what to do: the station then exits with 1)."""
    try:
        return open_udp_socket(host, port, receive_buffer)
    except OSError as err:
        detail = err.strerror or str(err)
        # Windows answers EACCES (WSAEACCES) when another socket holds it exclusively.
        if err.errno == errno.EADDRINUSE or (sys.platform == "win32"
                                             and err.errno == errno.EACCES):
            detail += (f": another program (another station?) already listens on UDP port "
                       f"{port}; stop it or choose another port (--udp-port, udp.port)")
        raise RestrikeError(f"cannot listen on UDP {host}:{port}: {detail}") from err


def kernel_drops(port: int) -> int | None:
    """Datagrams the kernel dropped on sockets bound to UDP ``port`` (Linux; else None)."""
    if not sys.platform.startswith("linux"):
        return None
    suffix = f":{port:04X}"
    total = None
    try:
        for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
            fields = line.split()
            if len(fields) > 12 and fields[1].endswith(suffix):
                total = (total or 0) + int(fields[12])
    except (OSError, ValueError):
        return None
    return total


class UdpReceiver:
    """Receives on ``sock`` in a thread and puts `Datagram` tuples on ``out``."""

    def __init__(self, sock: socket.socket, out: Inbox,
                 *, clock: Callable[[], float] = time.time) -> None:
        self.sock = sock
        self.out = out
        self._clock = clock
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._wake_token = b"restrike-wake-" + secrets.token_hex(8).encode()
        self.received = 0
        self.bytes = 0
        self.last_at: float | None = None
        self.last_addr: tuple[str, int] | None = None
        self.errors = 0
        self.failure: str | None = None  # why the thread ended, if it ended by itself

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.sock.getsockname()[:2]
        return str(host), int(port)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._guarded, name="restrike-udp-receiver",
                                        daemon=True)
        self._thread.start()

    def restart(self) -> None:
        """After the thread ended by itself: a new one on the same socket."""
        self.failure = None
        self.start()

    def join(self, timeout: float) -> None:
        """Wait until the thread has queued everything it received."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _guarded(self) -> None:
        try:
            self._run()
        except BaseException as err:
            self.failure = f"receiver thread failed: {type(err).__name__}: {err}"
            log.exception("UDP receiver thread failed")

    def _take(self, data: bytes, addr: tuple[str, int], now: float) -> None:
        self.received += 1
        self.bytes += len(data)
        self.last_at = now
        self.last_addr = addr
        self.out.put((now, data, addr))

    def _run(self) -> None:
        sock = self.sock
        clock = self._clock
        take = self._take
        token = self._wake_token
        stopping = self._stopping
        delay = 0.0  # > 0 while receiving fails
        failing_since = 0.0
        last_logged: float | None = None  # across failing spells: a flapping socket too
        unlogged = errors_before = 0
        while True:
            try:
                data, addr = sock.recvfrom(MAX_DATAGRAM)
            except ConnectionResetError:
                # Windows reports an ICMP "port unreachable" of an earlier sendto here.
                continue
            except OSError:
                if stopping.is_set():
                    break
                self.errors += 1
                mono = time.monotonic()
                if not delay:
                    failing_since, errors_before = mono, self.errors - 1
                if last_logged is None or mono - last_logged >= _FAILING_LOG_EVERY:
                    log.exception("UDP receive failed (%d more errors since last logged; "
                                  "retrying with backoff up to %g s)", unlogged, _RETRY_MAX)
                    last_logged, unlogged = mono, 0
                else:
                    unlogged += 1
                delay = min(delay * 2, _RETRY_MAX) if delay else _RETRY_FIRST
                stopping.wait(delay)  # stop() wakes it
                continue
            if delay:
                log.info("UDP receive works again after %d errors in %.1f s",
                         self.errors - errors_before, time.monotonic() - failing_since)
                delay = 0.0
            now = clock()
            if data == token and stopping.is_set():
                break
            take(data, addr, now)
        self._drain()

    def _drain(self) -> None:
        """Hand on what the kernel still holds, without waiting for more."""
        try:
            self.sock.setblocking(False)
        except OSError:
            return
        while True:
            try:
                data, addr = self.sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionResetError:
                continue
            except OSError:
                break
            if data != self._wake_token:
                self._take(data, addr, self._clock())

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        """Send from the receiving socket (pull requests are answered to this port)."""
        self.sock.sendto(data, addr)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop receiving (drains the kernel buffer first); the socket is then closed."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._stopping.set()
            host, port = self.address
            target = "127.0.0.1" if host in ("0.0.0.0", "") else host
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as waker:
                deadline = time.monotonic() + timeout
                while thread.is_alive() and time.monotonic() < deadline:
                    with contextlib.suppress(OSError):
                        waker.sendto(self._wake_token, (target, port))
                    thread.join(0.1)
            if thread.is_alive():
                log.warning("UDP receiver thread did not stop within %.1f s", timeout)
        self.sock.close()
