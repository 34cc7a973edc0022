"""The UDP receiver in its own process, for floods the GIL cannot follow.

Measured (docs/station.md): a receiving *thread* beats the event loop, but at
50,000 datagrams/s it has to win the GIL back after every ``recvfrom`` while the
parser and the store writer hold it, and the kernel drops. This receiver reads in a
child process (``restrike.ingest._child``, standard library only) with its own GIL,
which stamps each datagram with its arrival time and sender and ships them in
batches at most ~1 ms old through a pipe; a drainer thread here reads a whole batch
per GIL acquisition and queues it undecoded for the pipeline thread.

Pull requests are sent by the child from the feed socket, so the scoring software's
answers come back to the feed port. The child ends when its stdin closes, so it
never outlives the station, not even after ``kill -9``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import socket
import subprocess
import sys
import threading
from typing import IO, Any

from restrike.errors import RestrikeError
from restrike.ingest._child import FRAME, HEADER, MESSAGE

__all__ = ["BATCH_START", "ProcessReceiver", "iter_frames"]

log = logging.getLogger(__name__)

BATCH_START = HEADER.size


def iter_frames(chunk: bytes, offset: int = 0) -> list[tuple[float, bytes, tuple[str, int]]]:
    """Decode a batch's frames into (received_at, data, (host, port)) tuples."""
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


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    data = stream.read(size)
    if data is None or len(data) < size:
        return None  # end of stream
    return data


def _grow_pipe(stream: IO[bytes]) -> None:
    """A 1 MB pipe on Linux (default 64 kB), so a busy station rarely stalls the child."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
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
        self._proc: subprocess.Popen[bytes] | None = None
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
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return (self._thread is not None and self._thread.is_alive()
                and self._proc is not None and self._proc.poll() is None)

    def start(self) -> None:
        """Start the child and wait until its socket is bound (RestrikeError if not)."""
        proc = subprocess.Popen(
            [sys.executable, "-m", "restrike.ingest._child", self.host, str(self.port),
             str(self.receive_buffer)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self._proc = proc
        assert proc.stdout is not None
        _grow_pipe(proc.stdout)
        reply = self._read_message()
        if reply is None or reply[0] != b"C":
            proc.kill()
            proc.wait(5)
            raise RestrikeError("the UDP receiver process did not start")
        message = json.loads(reply[1])
        if message.get("type") != "ready":
            proc.wait(5)
            raise RestrikeError(f"cannot listen on UDP {self.host}:{self.port}: "
                                f"{message.get('message')}")
        self.port = int(message["port"])
        self.effective_buffer = int(message["buffer"])
        self._thread = threading.Thread(target=self._drain, name="restrike-udp-drainer",
                                        daemon=True)
        self._thread.start()

    def _read_message(self) -> tuple[bytes, bytes] | None:
        assert self._proc is not None and self._proc.stdout is not None
        head = _read_exactly(self._proc.stdout, MESSAGE.size)
        if head is None:
            return None
        kind, length = MESSAGE.unpack(head)
        body = _read_exactly(self._proc.stdout, length) if length else b""
        return None if body is None else (kind, body)

    def _drain(self) -> None:
        out = self.out
        while True:
            try:
                message = self._read_message()
            except (OSError, ValueError):
                break
            if message is None:
                break
            kind, body = message
            if kind == b"C":
                note = json.loads(body)
                log.warning("UDP receiver: %s", note.get("message"))
                continue
            count, last_at, ip, port = HEADER.unpack_from(body, 0)
            self.batches += 1
            self.received += count
            self.bytes += len(body)
            self.last_at, self.last_addr = last_at, (socket.inet_ntoa(ip), port)
            out.put(body)  # decoded by the pipeline thread, not this one

    def _command(self, line: str) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.poll() is not None:
            raise OSError("the UDP receiver process is not running")
        with self._send_lock:
            proc.stdin.write(line.encode("ascii") + b"\n")
            proc.stdin.flush()

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        """Send a datagram from the feed socket (pull requests)."""
        self._command(f"send {addr[0]} {int(addr[1])} {data.hex()}")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop reading: the child drains the kernel buffer, flushes, exits."""
        proc = self._proc
        if proc is None:
            return
        with contextlib.suppress(OSError):
            self._command("stop")
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("UDP receiver process did not stop; killing it")
            proc.kill()
            proc.wait(2)
        if proc.stdout is not None:
            proc.stdout.close()
