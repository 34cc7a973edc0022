"""The UDP receiver in its own process, for floods the GIL cannot follow.

Measured (docs/station.md): a receiving *thread* beats the event loop, but at
50,000 datagrams/s it has to win the GIL back after every ``recvfrom`` while the
parser and the store writer hold it, and the kernel drops. This receiver reads in a
child process (``restrike.ingest._child``, standard library only) with its own GIL,
which stamps each datagram with its arrival time and sender and ships them in
batches at most ~1 ms old through a pipe; a drainer thread here reads a whole batch
per GIL acquisition and queues it undecoded for the pipeline thread.

With ``store`` (`FeedStoring`: the station's database is open) the child also parses
and stores the feed (`restrike.ingest._storing`): then only notes come down the pipe,
a ``committed`` one per commit, handed to ``store``; `inject` and `set_schema` tell
the child what the station adds or changes.

The station opens the socket and lends it to the child, so a child that dies loses
nothing the kernel still holds: `restart` starts another on the same socket (and the
same spool file, whose unsent part it sends first). Pull requests are sent from the
station's copy of the socket, so the scoring software's answers come back to the
feed port. The child ends when its stdin closes, so it never outlives the station,
not even after ``kill -9``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from restrike.errors import RestrikeError
from restrike.ingest._spool import waiting_bytes
from restrike.ingest._wire import HEADER, injected, read_message
from restrike.ingest.receiver import listen_udp

if TYPE_CHECKING:
    from restrike.ingest.pipeline import Inbox

__all__ = ["RAM_LIMIT", "SPOOL_FILE", "FeedStoring", "ProcessReceiver", "describe_exit"]

log = logging.getLogger(__name__)

#: What the child keeps in memory for a slow station before it spools to disk.
RAM_LIMIT = 4 << 20
#: The spool file's name in the data folder.
SPOOL_FILE = "ingest-spool.bin"
_STOP_WAIT = 5.0


def describe_exit(code: int) -> str:
    """``exited with code 1`` / ``killed by signal 9 (SIGKILL)``."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "unknown signal"
        return f"killed by signal {-code} ({name})"
    return f"exited with code {code}"


class FeedStoring(Protocol):
    """The station's side of a child that stores the feed: the database, the definition
    it parses with, and what to do with its reports (drainer thread)."""

    path: Path

    def schema_text(self) -> str: ...

    def committed(self, note: dict[str, Any]) -> None: ...

    def failing(self, error: str | None) -> None: ...


def _command(word: str, payload: bytes) -> bytes:
    """One stdin line for the child: ``word <payload as hex>``."""
    return word.encode("ascii") + b" " + payload.hex().encode("ascii") + b"\n"


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
    """Same surface as `UdpReceiver`, the reading done by a child process.

    ``spool_dir`` holds the child's spool file (`SPOOL_FILE`, taken over by the next
    child or the next station); without it a file of its own in the temp folder.
    """

    def __init__(self, host: str, port: int, receive_buffer: int,
                 out: Inbox, *,
                 spool_dir: Path | None = None, ram_limit: int = RAM_LIMIT,
                 store: FeedStoring | None = None) -> None:
        self.host = host
        self.store = store  # the child stores the feed itself (`restrike.ingest._storing`)
        self._stdin_lock = threading.Lock()
        self.port = port
        self.receive_buffer = receive_buffer
        self.out = out
        self.ram_limit = ram_limit
        # A file of its own in the temp folder: the spool without a data folder, or
        # when the data folder cannot be written.
        self._temp_spool = (Path(tempfile.gettempdir())
                            / f"restrike-{SPOOL_FILE[:-4]}-{secrets.token_hex(6)}.bin")
        self.spool_path = spool_dir / SPOOL_FILE if spool_dir is not None else self._temp_spool
        self.effective_buffer: int | None = None
        self._sock: socket.socket | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.failure: str | None = None  # why the last child or drainer ended
        self.child: dict[str, Any] = {}  # the running child's last stats note
        self._spooled_before = 0  # spooled by children that ended
        self._counted_before = (0, 0)  # received, bytes: by storing children that ended
        self.resumed = 0
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
        """The drainer reads; it ends only after its child ended (or was killed)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def spool_bytes(self) -> int:
        """Bytes waiting in the child's spool file now."""
        return waiting_bytes(str(self.child.get("spool_path") or self.spool_path))

    @property
    def spooled(self) -> int:
        """Batches every child of this receiver put in its spool file."""
        return self._spooled_before + int(self.child.get("spooled", 0))

    def start(self) -> None:
        """Bind the socket, start the child; RestrikeError if either fails."""
        self._sock, self.effective_buffer = listen_udp(self.host, self.port,
                                                       self.receive_buffer)
        self.port = int(self._sock.getsockname()[1])
        try:
            self._spawn()
        except RestrikeError:
            self._sock.close()
            raise

    def restart(self) -> None:
        """After the child or the drainer ended: a new child on the same socket."""
        if self.running:
            raise RestrikeError("the UDP receiver is still running")
        self._reap()
        self._spooled_before += int(self.child.get("spooled", 0))
        self._counted_before = (self.received, self.bytes)
        self.child = {}
        self._spawn()
        self.failure = None

    def _spawn(self) -> None:
        sock = self._sock
        assert sock is not None
        windows = sys.platform == "win32"  # no descriptor passing: socket.share instead
        args = [sys.executable, "-m", "restrike.ingest._child", "--spool",
                str(self.spool_path), "--ram-limit", str(self.ram_limit)]
        if self.spool_path.parent != self._temp_spool.parent:
            args += ["--fallback", str(self._temp_spool)]
        args += ["--shared"] if windows else ["--fd", str(sock.fileno())]
        if self.store is not None:
            args += ["--store", str(self.store.path)]
        try:
            proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    bufsize=0, pass_fds=() if windows else (sock.fileno(),))
        except OSError as err:
            raise RestrikeError(f"cannot start the UDP receiver process: {err}") from err
        self._proc = proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            if sys.platform == "win32":
                proc.stdin.write(sock.share(proc.pid).hex().encode("ascii") + b"\n")
            if self.store is not None:
                proc.stdin.write(_command("schema", self.store.schema_text().encode()))
            proc.stdin.flush()
            _grow_pipe(proc.stdout)
            reply = read_message(proc.stdout)
            note = json.loads(reply[1]) if reply is not None and reply[0] == b"C" else {}
        except (OSError, ValueError, RestrikeError) as err:
            note = {"type": "error", "message": str(err)}
        if note.get("type") != "ready":
            self._reap()
            raise RestrikeError("the UDP receiver process did not start: "
                                f"{note.get('message') or 'no answer'}")
        resumed = int(note.get("resumed", 0))
        if resumed or note.get("discarded"):
            log.warning("UDP receiver process took over %d batches left in %s "
                        "(%d bytes of a cut or foreign file discarded)", resumed,
                        self.spool_path, note.get("discarded", 0))
        self.resumed += resumed
        self._thread = threading.Thread(target=self._drain, args=(proc,),
                                        name="restrike-udp-drainer", daemon=True)
        self._thread.start()

    def _drain(self, proc: subprocess.Popen[bytes]) -> None:
        """Read the child's messages until it ends; say why it ended in `failure`."""
        assert proc.stdout is not None
        reason = ""
        try:
            self._read_all(proc.stdout)
        except RestrikeError as err:  # framing lost, or the child died mid-message
            reason = str(err)
        except Exception as err:
            log.exception("UDP receiver: the drainer thread failed")
            reason = f"drainer thread failed: {type(err).__name__}: {err}"
        try:
            code: int | None = proc.wait(2.0)
        except subprocess.TimeoutExpired:
            code = None
        if self._stopping and code is not None:
            return
        if code is None:  # alive, but its stream cannot be read any more
            self._kill(proc)
            self.failure = f"{reason or 'the drainer ended'}; the receiver process was killed"
        else:
            self.failure = f"receiver process {describe_exit(code)}" + (
                f" ({reason})" if reason else "")
        log.error("UDP receiver stopped: %s", self.failure)

    def _read_all(self, stream: IO[bytes]) -> None:
        out = self.out
        while (message := read_message(stream)) is not None:
            kind, body = message
            if kind == b"C":
                self._note(json.loads(body))
                continue
            count, last_at, ip, port = HEADER.unpack_from(body, 0)
            self.batches += 1
            self.received += count
            self.bytes += len(body)
            self.last_at, self.last_addr = last_at, (socket.inet_ntoa(ip), port)
            out.put(body)  # decoded by the pipeline thread; waits while its inbox is full

    def _note(self, note: dict[str, Any]) -> None:
        kind = note.pop("type", None)
        if kind == "committed":
            self.received = self._counted_before[0] + int(note["received"])
            self.bytes = self._counted_before[1] + int(note["bytes"])
            if note.get("last"):
                at, source = note["last"]
                host, _, port = source.rpartition(":")
                self.last_at, self.last_addr = float(at), (host, int(port))
            if self.store is not None:
                self.store.committed(note)
        elif kind == "stats":
            if self.store is not None:
                self.store.failing(note.get("store_error"))
            if note.get("spool_error") and not self.child.get("spool_error"):
                log.error("UDP receiver process: %s (holding the backlog in memory)",
                          note["spool_error"])
            self.child = note
        elif kind == "error":
            log.error("UDP receiver process failed:\n%s", note.get("message"))
        else:
            log.warning("UDP receiver process: %s %s", kind, note)

    def inject(self, received_at: float, data: bytes, addr: tuple[str, int]) -> None:
        """A datagram of the station's own, stored by the child behind what it received
        (with ``store`` only; RestrikeError when the child cannot be told)."""
        self._tell(_command("inject", injected(received_at, f"{addr[0]}:{addr[1]}", data)))

    def set_schema(self, text: str) -> None:
        """The child parses with this definition from its next batch on."""
        self._tell(_command("schema", text.encode()))

    def _tell(self, line: bytes) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise RestrikeError("the UDP receiver process is not running")
        try:
            with self._stdin_lock:
                proc.stdin.write(line)
                proc.stdin.flush()
        except (OSError, ValueError) as err:
            raise RestrikeError(f"the UDP receiver process cannot be told: {err}") from err

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        """Send a datagram from the feed socket (pull requests)."""
        if self._sock is None:
            raise OSError("the UDP receiver is not started")
        self._sock.sendto(data, addr)

    def _kill(self, proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)

    def _reap(self) -> None:
        """Make sure the last child is gone and its pipes closed."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            self._kill(proc)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def stop(self, timeout: float = _STOP_WAIT) -> None:
        """Stop reading: the child drains the kernel buffer, sends what it holds, exits
        (killed after ``timeout``: its spool file then waits for the next start)."""
        self._stopping = True
        proc = self._proc
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError, ValueError), self._stdin_lock:
                proc.stdin.write(b"stop\n")
                proc.stdin.close()
        if proc is not None:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("UDP receiver process did not stop within %.0f s; killing it "
                            "(what it holds on disk is sent after the next start)", timeout)
                self._kill(proc)
        self.join(timeout)
        self._reap()
        if self._sock is not None:
            self._sock.close()

    def join(self, timeout: float) -> None:
        """Wait until everything the child sent is queued for the pipeline."""
        if self._thread is not None:
            self._thread.join(timeout)
