"""The subscriber list every publisher in reStrike keeps (store, OBS, mpv).

``subscribe`` returns the unsubscribe callable (Home Assistant's way), and one
failing callback is logged, never raised into the publisher nor allowed to starve
the others. The list is replaced, not changed, on (un)subscribe, so a publisher on
another thread (the store's writer) iterates a consistent snapshot without a lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Subscribers", "Unsubscribe"]

T = TypeVar("T")
Unsubscribe = Callable[[], None]


class Subscribers(Generic[T]):
    """Callbacks of one publisher, called in subscription order."""

    __slots__ = ("_callbacks", "_log", "_what")

    def __init__(self, log: logging.Logger, what: str) -> None:
        self._callbacks: tuple[Callable[[T], None], ...] = ()
        self._log = log  # the publisher's logger, so `log.levels` applies to it
        self._what = what  # "OBS pool subscriber", in the failure's log line

    def add(self, callback: Callable[[T], None]) -> Unsubscribe:
        """Subscribe ``callback``; the returned callable removes it (twice is harmless)."""
        self._callbacks = (*self._callbacks, callback)

        def unsubscribe() -> None:
            callbacks = list(self._callbacks)
            if callback in callbacks:
                callbacks.remove(callback)
                self._callbacks = tuple(callbacks)

        return unsubscribe

    def publish(self, item: T) -> None:
        """Call every callback with ``item``; failures are logged with the traceback."""
        for callback in self._callbacks:
            try:
                callback(item)
            except Exception:
                self._log.exception("%s %r failed on %r", self._what, callback, item)

    def __len__(self) -> int:
        return len(self._callbacks)

    def __bool__(self) -> bool:
        return bool(self._callbacks)
