"""Flow control: the pipeline thread runs no faster than what comes after it.

Without it a flood piles up in the main process's memory: the pipeline parsed ahead
of the store writer (its queue) and of the event loop (one callback per batch, each
holding its parsed datagrams), and the loop then ran those callbacks back to back,
stalling HTTP for seconds. With it, the pipeline waits while the store holds more
than `STORE_ROOM` datagrams or the loop has `LOOP_BATCHES` batches not yet handled;
what arrives meanwhile waits in the inbox, the pipe and the receiver process's spool
file — on disk, in arrival order (docs/station.md, "The spool").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["FOLLOW_ROOM", "LOOP_BATCHES", "STORE_ROOM", "LoopGate", "wait_for_room"]

#: Datagrams the store may hold queued (about 1 KB each with their messages).
STORE_ROOM = 8192
#: Items the store may hold queued while the receiver process stores the feed: then
#: they are the jobs of the station's own parts (review archive, tags, summaries),
#: several KB each with what they hold, written between the feed's commits.
FOLLOW_ROOM = 256
#: Batches handed to the event loop and not yet published.
LOOP_BATCHES = 1
_POLL = 0.001
_GATE_POLL = 0.2


def wait_for_room(backlog: Callable[[], int], room: int = STORE_ROOM,
                  sleep: Callable[[float], None] = time.sleep) -> float:
    """Wait while ``backlog()`` exceeds ``room``; returns the seconds waited."""
    if backlog() <= room:
        return 0.0
    started = time.perf_counter()
    while backlog() > room:
        sleep(_POLL)
    return time.perf_counter() - started


class LoopGate:
    """At most ``limit`` batches on their way to the loop (`enter` before handing one
    over, `leave` once the loop handled it)."""

    def __init__(self, limit: int = LOOP_BATCHES) -> None:
        self._slots = threading.BoundedSemaphore(limit)
        self.waited = 0.0  # seconds the pipeline waited for the loop

    def enter(self, closed: Callable[[], bool]) -> bool:
        """Wait for a slot; False (no slot taken) once ``closed()``: a stopped loop
        never frees one."""
        if self._slots.acquire(blocking=False):
            return True
        started = time.perf_counter()
        try:
            while not self._slots.acquire(timeout=_GATE_POLL):
                if closed():
                    return False
            return True
        finally:
            self.waited += time.perf_counter() - started

    def leave(self) -> None:
        self._slots.release()
