"""The station's peak RSS (main process + its receiver child) while a bench runs.

The station's own diagnostics say what it uses *now*; a flood's cost is the peak,
which a sample taken after the drain misses. A thread samples the process tree with
psutil every `INTERVAL` seconds (a station given by ``--url`` only: its diagnostics).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import psutil

__all__ = ["INTERVAL", "PeakRss", "tree_rss"]

INTERVAL = 0.05


def tree_rss(pid: int) -> int:
    """Bytes resident in ``pid`` and its children now (0 once it is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total


class PeakRss:
    """`start`, `stop`, then `peak_mb`; ``sample`` returns the bytes in use now."""

    def __init__(self, sample: Callable[[], float], interval: float = INTERVAL) -> None:
        self._sample = sample
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-peak-rss", daemon=True)
        self.peak = 0.0

    @property
    def peak_mb(self) -> float:
        return round(self.peak / 1_048_576, 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, ValueError, KeyError):  # a missed sample
                self.peak = max(self.peak, float(self._sample()))
            self._stop.wait(self._interval)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
