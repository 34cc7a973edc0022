"""The pipe between the receiver process and the station: message layout and reading.

Standard library only (the child imports it). A message is ``<kind: 1 byte><length:
uint32 LE><body>``. Kind ``D`` is a batch of datagrams: a header ``<Id4sH>`` (count;
time, address and port of the last datagram) and then, per datagram, a frame
``<d4sHI>`` (arrival time, IPv4 address, port, length) and its bytes. Kind ``C`` is a
JSON note (``ready``, ``stats``, ``log``, ``error``, ``committed``). Kind ``I`` goes
the other way, only to a receiver process that stores the feed: a datagram of the
station's own (``<dH>``: time, length of its source text; the source; the bytes).

A pipe read may return fewer bytes than asked for at any time, so `read_exactly`
loops; lengths are checked against what the child can ever send, so a stream that
lost its framing is reported as corrupt instead of being read as garbage.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import IO, Any

from restrike.errors import RestrikeError

__all__ = [
    "BATCH_BYTES",
    "FRAME",
    "HEADER",
    "INJECTED",
    "MAX_BATCH",
    "MAX_DATAGRAM",
    "MAX_NOTE",
    "MESSAGE",
    "Datagram",
    "decode_batch",
    "decode_injected",
    "injected",
    "note",
    "read_exactly",
    "read_message",
]

FRAME = struct.Struct("<d4sHI")
HEADER = struct.Struct("<Id4sH")
MESSAGE = struct.Struct("<cI")
INJECTED = struct.Struct("<dH")
#: A batch is sent once its frames reach this size (one datagram can take it past).
BATCH_BYTES = 256 * 1024
MAX_DATAGRAM = 65535
#: The largest batch body the child can send: just under BATCH_BYTES, plus one frame
#: of the largest datagram.
MAX_BATCH = HEADER.size + BATCH_BYTES + FRAME.size + MAX_DATAGRAM
MAX_NOTE = 1 << 20

Datagram = tuple[float, bytes, tuple[str, int]]  # (received_at, data, (host, port))


def read_exactly(stream: IO[bytes], size: int) -> bytes:
    """``size`` bytes from ``stream``; fewer only when the stream ended."""
    data = stream.read(size) or b""
    if len(data) == size or not data:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = stream.read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def read_message(stream: IO[bytes]) -> tuple[bytes, bytes] | None:
    """The next ``(kind, body)``; None at the end of the stream between two messages.

    RestrikeError when the stream ends inside a message or a header is impossible
    (unknown kind, a length the child never sends): the framing is lost.
    """
    head = read_exactly(stream, MESSAGE.size)
    if not head:
        return None
    if len(head) < MESSAGE.size:
        raise RestrikeError(f"the stream ended inside a message header ({len(head)} bytes)")
    kind, length = MESSAGE.unpack(head)
    if kind == b"D":
        if not HEADER.size <= length <= MAX_BATCH:
            raise RestrikeError(f"corrupt frame: a batch of {length} bytes "
                                f"(possible: {HEADER.size}..{MAX_BATCH})")
    elif kind == b"C":
        if length > MAX_NOTE:
            raise RestrikeError(f"corrupt frame: a note of {length} bytes (at most {MAX_NOTE})")
    else:
        raise RestrikeError(f"corrupt frame: unknown message kind {kind!r} "
                            f"(length field {length})")
    body = read_exactly(stream, length)
    if len(body) < length:
        raise RestrikeError(f"the stream ended inside a message ({len(body)} of {length} "
                            f"bytes)")
    return kind, body


def note(**fields: Any) -> bytes:
    """A kind ``C`` message: a JSON note (``type`` says which)."""
    body = json.dumps(fields).encode()
    return MESSAGE.pack(b"C", len(body)) + body


def injected(at: float, source: str, data: bytes) -> bytes:
    """A kind ``I`` message: one datagram of the station's own, with its source text."""
    name = source.encode("utf-8")[:255]
    body = INJECTED.pack(at, len(name)) + name + data
    return MESSAGE.pack(b"I", len(body)) + body


def decode_injected(body: bytes) -> Datagram | None:
    """``(at, data, (host, port))`` of a kind ``I`` body (the source split at its last
    colon, as the station wrote it); None if it is too short."""
    if len(body) < INJECTED.size:
        return None
    at, size = INJECTED.unpack_from(body, 0)
    start = INJECTED.size + size
    if len(body) < start:
        return None
    host, _, port = body[INJECTED.size:start].decode("utf-8", "replace").rpartition(":")
    return at, body[start:], (host, int(port) if port.isdigit() else 0)


def decode_batch(body: bytes) -> tuple[list[Datagram], str | None]:
    """The datagrams of a batch body, and why decoding stopped early (None if it did not).

    Total: a frame that runs past the body or a count that does not match is reported,
    and every whole frame before it is still returned.
    """
    if len(body) < HEADER.size:
        return [], f"batch of {len(body)} bytes is shorter than its header"
    count = HEADER.unpack_from(body, 0)[0]
    out: list[Datagram] = []
    size = FRAME.size
    unpack = FRAME.unpack_from
    ntoa = socket.inet_ntoa
    offset = HEADER.size
    end = len(body)
    while offset < end:
        if offset + size > end:
            return out, f"frame header cut at byte {offset} of {end}"
        t, ip, port, length = unpack(body, offset)
        offset += size
        if offset + length > end:
            return out, f"frame of {length} bytes runs past the batch at byte {offset} of {end}"
        out.append((t, body[offset:offset + length], (ntoa(ip), port)))
        offset += length
    if len(out) != count:
        return out, f"batch says {count} datagrams, holds {len(out)}"
    return out, None
