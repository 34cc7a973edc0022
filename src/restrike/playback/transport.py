"""Opening the byte stream to mpv's IPC server: Unix socket (POSIX) or named pipe (Windows).

mpv creates the socket/pipe a moment after it starts, so :func:`open_ipc` retries until
its deadline. The result is a plain ``(StreamReader, StreamWriter)`` pair; anything
that can produce such a pair (tests use a socketpair) can stand in for it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path

from restrike.errors import PlayerUnavailable

__all__ = ["default_ipc_address", "is_named_pipe", "open_ipc"]

PIPE_PREFIX = "\\\\.\\pipe\\"
#: Bytes buffered by the reader; lines are split by the codec, not by ``readline``.
READ_LIMIT = 1 << 20
_RETRY_DELAY = 0.005
_counter = count(1)


def is_named_pipe(address: str) -> bool:
    """True for a Windows named-pipe address such as ``\\\\.\\pipe\\restrike-mpv``."""
    return address.startswith(PIPE_PREFIX)


def default_ipc_address(tag: str = "restrike-mpv") -> str:
    """A fresh address for this process: a pipe name on Windows, a socket path elsewhere.

    Unix socket paths are limited to about 104 bytes, so the path stays short and lives in
    the temporary folder rather than under a deep application folder.
    """
    name = f"{tag}-{os.getpid()}-{next(_counter)}"
    if sys.platform == "win32":
        return PIPE_PREFIX + name
    return str(Path(tempfile.gettempdir()) / f"{name}.sock")


async def _open_unix(address: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_unix_connection(address, limit=READ_LIMIT)


async def _open_pipe(address: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to a named pipe; needs the ProactorEventLoop (Windows' default loop)."""
    loop = asyncio.get_running_loop()
    create = getattr(loop, "create_pipe_connection", None)
    if create is None:
        raise PlayerUnavailable(
            f"cannot open the named pipe {address}: the event loop "
            f"{type(loop).__name__} has no named-pipe support (use the ProactorEventLoop)"
        )
    reader = asyncio.StreamReader(limit=READ_LIMIT)
    protocol = asyncio.StreamReaderProtocol(reader)
    transport, _ = await create(lambda: protocol, address)
    writer = asyncio.StreamWriter(transport, protocol, reader, loop)
    return reader, writer


async def open_ipc(
    address: str,
    connect_timeout: float,
    alive: Callable[[], bool] = lambda: True,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to mpv at ``address``, retrying while mpv starts, for ``connect_timeout`` s.

    ``alive`` is asked between attempts; when it turns False (mpv exited) waiting stops.
    A missing or busy pipe (ERROR_PIPE_BUSY) and a missing or refused socket are all
    "not yet", so every ``OSError`` is retried until the deadline.
    """
    opener = _open_pipe if is_named_pipe(address) else _open_unix
    deadline = time.monotonic() + connect_timeout
    last: OSError | None = None
    while True:
        try:
            return await opener(address)
        except OSError as err:
            last = err
        if not alive():
            raise PlayerUnavailable(f"mpv exited before its IPC server {address} opened")
        if time.monotonic() >= deadline:
            raise PlayerUnavailable(
                f"mpv's IPC server {address} did not open within {connect_timeout:g} s ({last})"
            ) from last
        await asyncio.sleep(_RETRY_DELAY)
