"""Run a station until the process is told to stop (Ctrl-C, SIGTERM, SIGHUP)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

from restrike.kernel.station import Station

__all__ = ["run_until_signalled"]


async def run_until_signalled(station: Station, *, ready: Callable[[Station], None] | None = None,
                              stop_event: asyncio.Event | None = None) -> None:
    """Start, wait for SIGINT/SIGTERM/SIGHUP (or ``stop_event``), then stop in stages.

    SIGHUP (POSIX: the terminal closed) stops the station like Ctrl-C, so mpv and the
    receiver process are closed by the station, not orphaned.
    """
    stop = stop_event or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[int] = []
    hup = getattr(signal, "SIGHUP", None)
    for sig in (signal.SIGINT, signal.SIGTERM, *([hup] if hup is not None else [])):
        # Windows has no loop signal handlers: KeyboardInterrupt ends the run instead.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        await station.start()
        if ready is not None:
            ready(station)
        await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await station.stop()
