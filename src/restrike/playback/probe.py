"""How long a saved video file is, read from its container header (pure Python, no ffprobe).

Multi-angle review aligns the angles of a clip by their ends (each replay-buffer file
ends when its OBS was asked to save), so each file's length gives where it starts on
the common time line. OBS writes Matroska (its default) and MP4; both keep the length
in a header: Matroska's ``Segment/Info/Duration`` (scaled by ``TimestampScale``), MP4's
``moov/mvhd`` (``duration / timescale``). Anything else, or a file still being written,
is "unknown" (None) and the caller estimates.
"""

from __future__ import annotations

import io
import os
import struct
from typing import BinaryIO

__all__ = ["media_duration"]

_EBML = 0x1A45DFA3
_SEGMENT = 0x18538067
_INFO = 0x1549A966
_CLUSTER = 0x1F43B675
_TIMESTAMP_SCALE = 0x2AD7B1
_DURATION = 0x4489
#: Elements larger than this are not read into memory (Info is a few hundred bytes).
_MAX_INFO = 1 << 16


def media_duration(path: str | os.PathLike[str]) -> float | None:
    """Seconds of video in ``path`` by its container header; None if not known."""
    try:
        with open(path, "rb") as file:
            magic = file.read(8)
            file.seek(0)
            if magic[:4] == b"\x1a\x45\xdf\xa3":
                return _matroska(file)
            if magic[4:8] in (b"ftyp", b"moov", b"free", b"mdat", b"wide"):
                return _mp4(file, os.fstat(file.fileno()).st_size)
    except (OSError, ValueError, struct.error):
        return None
    return None


# -- Matroska (EBML) --------------------------------------------------------------------


def _vint(file: BinaryIO, *, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer: (value, its length in bytes); ValueError at EOF."""
    first = file.read(1)
    if not first:
        raise ValueError("end of file")
    byte = first[0]
    length = 1
    while length <= 8 and not byte & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise ValueError("not an EBML integer")
    value = byte if keep_marker else byte & (0xFF >> length)
    rest = file.read(length - 1)
    if len(rest) != length - 1:
        raise ValueError("end of file")
    for b in rest:
        value = (value << 8) | b
    return value, length


def _header(file: BinaryIO) -> tuple[int, int | None]:
    """(element id, data size); size None when unknown (all ones: a live-written file)."""
    element, _ = _vint(file, keep_marker=True)
    size, length = _vint(file, keep_marker=False)
    return element, None if size == (1 << (7 * length)) - 1 else size


def _matroska(file: BinaryIO) -> float | None:
    element, size = _header(file)
    if element != _EBML or size is None:
        return None
    file.seek(size, os.SEEK_CUR)
    element, _ = _header(file)
    if element != _SEGMENT:
        return None
    while True:  # the Segment's children, up to Info (before the first Cluster)
        element, size = _header(file)
        if element == _INFO and size is not None and size <= _MAX_INFO:
            return _info_duration(file.read(size))
        if element == _CLUSTER or size is None:
            return None
        file.seek(size, os.SEEK_CUR)


def _info_duration(data: bytes) -> float | None:
    scale = 1_000_000  # nanoseconds per tick, Matroska's default
    duration: float | None = None
    view = io.BytesIO(data)
    while view.tell() < len(data):
        element, size = _header(view)
        if size is None:
            return None
        value = view.read(size)
        if element == _TIMESTAMP_SCALE:
            scale = int.from_bytes(value, "big")
        elif element == _DURATION and size in (4, 8):
            duration = struct.unpack(">f" if size == 4 else ">d", value)[0]
    if duration is None or duration <= 0 or scale <= 0:
        return None
    return float(duration) * scale / 1e9


# -- MP4 / QuickTime ------------------------------------------------------------------


def _boxes(file: BinaryIO, end: int) -> tuple[bytes, int, int] | None:
    """The next box before ``end``: (type, data start, data end); None at the end."""
    start = file.tell()
    if start + 8 > end:
        return None
    size, kind = struct.unpack(">I4s", file.read(8))
    header = 8
    if size == 1:
        size = struct.unpack(">Q", file.read(8))[0]
        header = 16
    elif size == 0:
        size = end - start
    if size < header:
        raise ValueError("bad box size")
    return kind, start + header, start + size


def _mp4(file: BinaryIO, end: int) -> float | None:
    box = _find(file, b"moov", end)
    if box is None:
        return None
    file.seek(box[0])
    mvhd = _find(file, b"mvhd", box[1])
    if mvhd is None:
        return None
    file.seek(mvhd[0])
    version = file.read(4)[0]
    if version == 1:
        _, _, timescale, duration = struct.unpack(">QQIQ", file.read(28))
    else:
        _, _, timescale, duration = struct.unpack(">IIII", file.read(16))
    return duration / timescale if timescale and duration else None


def _find(file: BinaryIO, kind: bytes, end: int) -> tuple[int, int] | None:
    """(data start, data end) of the first ``kind`` box from here to ``end``."""
    while (box := _boxes(file, end)) is not None:
        found, data_start, data_end = box
        if found == kind:
            return data_start, data_end
        file.seek(data_end)
    return None
