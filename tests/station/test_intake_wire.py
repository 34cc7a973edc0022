"""The receiver pipe's framing: partial reads, any datagram size, corrupt frames.

Unit tests of `restrike.ingest._wire` with streams that return one byte per read,
and the real receiver child (its socket lent by descriptor, as the station does)
read through such a stream.
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from restrike.errors import RestrikeError
from restrike.ingest._wire import (
    BATCH_BYTES,
    FRAME,
    HEADER,
    MAX_BATCH,
    MAX_DATAGRAM,
    MESSAGE,
    decode_batch,
    read_exactly,
    read_message,
)
from restrike.ingest.receiver import open_udp_socket


class Trickle(io.RawIOBase):
    """A raw stream that returns at most ``step`` bytes per read, like a busy pipe."""

    def __init__(self, data: bytes, step: int = 1) -> None:
        self.data = data
        self.pos = 0
        self.step = step
        self.reads = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        n = self.step if size < 0 else min(self.step, size)
        chunk = self.data[self.pos:self.pos + n]
        self.pos += len(chunk)
        return chunk


def batch(datagrams: list[bytes], port: int = 6000) -> bytes:
    """A ``D`` message as the child sends it."""
    frames = b"".join(FRAME.pack(1000.0 + i, b"\x7f\0\0\x01", port, len(d)) + d
                      for i, d in enumerate(datagrams))
    body = HEADER.pack(len(datagrams), 1000.0, b"\x7f\0\0\x01", port) + frames
    return MESSAGE.pack(b"D", len(body)) + body


def test_read_exactly_collects_a_trickle_and_stops_at_the_end() -> None:
    stream = Trickle(b"abcdef")
    assert read_exactly(stream, 4) == b"abcd"  # type: ignore[arg-type]
    assert stream.reads == 4
    assert read_exactly(stream, 4) == b"ef"  # type: ignore[arg-type]
    assert read_exactly(stream, 4) == b""  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
# At most three datagrams of the largest size: the child sends a batch once its frames
# reach BATCH_BYTES, so a fourth one never joins them (MAX_BATCH is the bound read_message
# enforces; a larger batch is a corrupt stream, tested below).
@given(st.lists(st.integers(0, MAX_DATAGRAM), min_size=1, max_size=3), st.integers(1, 7))
def test_messages_of_any_size_survive_reads_of_a_few_bytes(sizes: list[int], step: int) -> None:
    datagrams = [bytes([i % 251]) * size for i, size in enumerate(sizes)]
    note = b'{"type": "stats"}'
    wire = batch(datagrams) + MESSAGE.pack(b"C", len(note)) + note
    stream = Trickle(wire, step=step * 997)  # many short reads per big message
    message = read_message(stream)  # type: ignore[arg-type]
    assert message is not None
    kind, body = message
    frames, problem = decode_batch(body)
    assert kind == b"D" and problem is None
    assert [f[1] for f in frames] == datagrams
    assert frames[0][2] == ("127.0.0.1", 6000)
    assert read_message(stream) == (b"C", note)  # type: ignore[arg-type]
    assert read_message(stream) is None  # type: ignore[arg-type]


def test_one_byte_at_a_time_reads_a_batch_past_batch_bytes() -> None:
    # Just under BATCH_BYTES of frames, then the largest datagram: the biggest batch.
    filler = BATCH_BYTES - FRAME.size - 1
    wire = batch([b"a" * filler, b"b" * MAX_DATAGRAM])
    assert MESSAGE.unpack_from(wire)[1] == MAX_BATCH - 1
    stream = Trickle(wire)
    message = read_message(stream)  # type: ignore[arg-type]
    assert message is not None and stream.reads >= len(wire)
    kind, body = message
    assert kind == b"D"
    frames, problem = decode_batch(body)
    assert problem is None and [len(f[1]) for f in frames] == [filler, MAX_DATAGRAM]


@pytest.mark.parametrize(("head", "says"), [
    (MESSAGE.pack(b"D", MAX_BATCH + 1), "a batch of"),
    (MESSAGE.pack(b"D", HEADER.size - 1), "a batch of"),
    (MESSAGE.pack(b"C", (1 << 20) + 1), "a note of"),
    (MESSAGE.pack(b"X", 10), "unknown message kind"),
])
def test_an_impossible_header_is_reported_as_corrupt(head: bytes, says: str) -> None:
    with pytest.raises(RestrikeError, match=f"corrupt frame: .*{says}"):
        read_message(Trickle(head + bytes(64)))  # type: ignore[arg-type]


def test_a_stream_that_ends_inside_a_message_is_reported() -> None:
    wire = batch([b"clk;1:00;"])
    with pytest.raises(RestrikeError, match="ended inside a message"):
        read_message(Trickle(wire[:-3]))  # type: ignore[arg-type]
    with pytest.raises(RestrikeError, match="inside a message header"):
        read_message(Trickle(wire[:3]))  # type: ignore[arg-type]


def test_a_corrupt_batch_keeps_its_whole_frames_and_says_why() -> None:
    body = batch([b"one", b"two"])[MESSAGE.size:]
    frames, problem = decode_batch(body[:-1])
    assert [f[1] for f in frames] == [b"one"] and "runs past the batch" in str(problem)
    lying = HEADER.pack(5, 0.0, b"\0\0\0\0", 0) + body[HEADER.size:]
    frames, problem = decode_batch(lying)
    assert len(frames) == 2 and problem == "batch says 5 datagrams, holds 2"
    assert decode_batch(b"\0")[1] == "batch of 1 bytes is shorter than its header"


@pytest.mark.skipif(sys.platform == "win32", reason="descriptor passing (Windows shares)")
def test_the_real_child_sends_every_size_through_a_trickling_reader(tmp_path: Path) -> None:
    sock, _ = open_udp_socket("127.0.0.1", 0, 4 << 20)
    port = sock.getsockname()[1]
    sizes = [0, 1, 65507, 2, 40000, 65507, 65507, 65507, 65507, 17]
    datagrams = [bytes([65 + i]) * size for i, size in enumerate(sizes)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "restrike.ingest._child", "--fd", str(sock.fileno()),
         "--spool", str(tmp_path / "spool.bin")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0,
        pass_fds=(sock.fileno(),))
    assert proc.stdin is not None and proc.stdout is not None
    try:
        ready = read_message(proc.stdout)
        assert ready is not None and b'"ready"' in ready[1]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for data in datagrams:
                sender.sendto(data, ("127.0.0.1", port))
        proc.stdin.write(b"stop\n")
        proc.stdin.close()
        wire = proc.stdout.read()  # everything, until the child ends
        assert proc.wait(10) == 0
    finally:
        proc.kill()
        proc.wait(5)
        proc.stdout.close()
        sock.close()
    stream = Trickle(wire)
    got: list[bytes] = []
    while (message := read_message(stream)) is not None:  # type: ignore[arg-type]
        if message[0] == b"D":
            frames, problem = decode_batch(message[1])
            assert problem is None
            got += [f[1] for f in frames]
    assert got == datagrams
    assert not (tmp_path / "spool.bin").exists()
