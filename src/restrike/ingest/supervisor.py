"""Keeps the intake running: a part that stops is reported, then restarted.

The parts (the receiver — its child process and drainer thread, or its thread — and
the pipeline thread) each say whether they run and, when they ended by themselves,
why. One task checks them every `CHECK_EVERY` seconds: a stopped part is logged,
marked down (the ingest component's health turns red with the reason, and
``on_change`` lets the station publish that at once), restarted after a backoff of
`RESTART_FIRST` seconds doubling up to `RESTART_MAX`, and marked up again. A part
that then runs for `STABLE_AFTER` seconds starts again from the shortest backoff.
Polling catches every way a part can stop, including one nobody reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CHECK_EVERY", "Part", "Supervisor", "restart_delay"]

log = logging.getLogger(__name__)

CHECK_EVERY = 0.2
RESTART_FIRST = 0.2
RESTART_MAX = 10.0
STABLE_AFTER = 30.0


def restart_delay(failures: int) -> float:
    """Seconds to wait before restart number ``failures`` of a failing spell (1, 2 ...)."""
    return float(min(RESTART_FIRST * 2 ** max(0, failures - 1), RESTART_MAX))


@dataclass
class Part:
    """One restartable part. ``restart`` blocks; it runs in a worker thread."""

    name: str
    running: Callable[[], bool]
    failure: Callable[[], str | None]
    restart: Callable[[], None]
    restarts: int = 0
    failures: int = 0  # in the current failing spell
    cause: str | None = None  # why it stopped, set while down
    reason: str | None = None  # the cause, and a failed restart's error
    retry_at: float | None = None  # set while down
    up_since: float = field(default_factory=time.monotonic)


class Supervisor:
    """Watches `Part`s from one task (`run`) until ``closing`` is set."""

    def __init__(self, parts: list[Part], on_change: Callable[[], None]) -> None:
        self.parts = parts
        self._on_change = on_change
        self.last_failure: dict[str, Any] | None = None

    def down(self) -> dict[str, str]:
        """Part name → why it does not run, for every part not running now."""
        out = {}
        for part in self.parts:
            if part.reason is not None:
                out[part.name] = part.reason
            elif not part.running():
                out[part.name] = part.failure() or "stopped"
        return out

    def restarts(self) -> dict[str, int]:
        return {part.name: part.restarts for part in self.parts}

    async def run(self, closing: asyncio.Event) -> None:
        while not closing.is_set():
            for part in self.parts:
                if closing.is_set():
                    return
                try:
                    await self._check(part)
                except Exception:  # a bug here must not end the supervision
                    log.exception("intake: checking the %s failed", part.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closing.wait(), CHECK_EVERY)

    async def _check(self, part: Part) -> None:
        now = time.monotonic()
        if part.retry_at is None:
            if part.running():
                if part.failures and now - part.up_since >= STABLE_AFTER:
                    part.failures = 0
                return
            self._down(part, part.failure() or f"the {part.name} stopped", now)
        if part.retry_at is None or now < part.retry_at:
            return
        try:
            await asyncio.to_thread(part.restart)
        except Exception as err:
            log.exception("intake: restarting the %s failed", part.name)
            self._down(part, part.cause or part.name, time.monotonic(),
                       f"restart failed: {err}")
            return
        part.restarts += 1
        part.cause = part.reason = part.retry_at = None
        part.up_since = time.monotonic()
        log.warning("intake: the %s runs again (restart %d)", part.name, part.restarts)
        self._on_change()

    def _down(self, part: Part, cause: str, now: float, error: str | None = None) -> None:
        part.failures += 1
        part.cause = cause
        part.reason = reason = f"{cause}; {error}" if error else cause
        delay = restart_delay(part.failures)
        part.retry_at = now + delay
        self.last_failure = {"part": part.name, "reason": reason, "at": time.time()}
        log.error("intake: the %s stopped: %s; restarting it in %.1f s", part.name, reason,
                  delay)
        self._on_change()
