"""Waits for something mpv reports (a position reached), failed at once if mpv dies."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from restrike.errors import PlayerError

__all__ = ["Predicate", "Waiters"]

Predicate = Callable[[], bool]


class Waiters:
    """Futures resolved when their predicate holds (checked after every mpv message)."""

    def __init__(self) -> None:
        self._waiters: list[tuple[Predicate, asyncio.Future[None]]] = []

    async def wait_for(self, predicate: Predicate, within: float, what: str) -> None:
        """Return once ``predicate()`` holds; PlayerError after ``within`` s."""
        if predicate():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiter = (predicate, future)
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(future, within)
        except TimeoutError as err:
            raise PlayerError(f"mpv did not reach {what} within {within:g} s") from err
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def check(self) -> None:
        for predicate, future in tuple(self._waiters):
            if not future.done() and predicate():
                future.set_result(None)

    def fail(self, error: PlayerError) -> None:
        for _, future in tuple(self._waiters):
            if not future.done():
                future.set_exception(error)
