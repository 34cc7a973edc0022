"""Helpers shared by every test folder: polling with a deadline instead of fixed sleeps.

``wait_until`` (async, on the test's loop) and ``wait_until_sync`` (a plain test, or a
thread) poll ``check`` until it returns something true and return that value (a check
returning ``X | None`` gives an ``X``); past the monotonic deadline they fail with an
AssertionError naming ``what`` was awaited and the last value seen. Exceptions listed
in ``ignore`` count as "not yet" (a server that is still starting refuses connections).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

__all__ = ["wait_until", "wait_until_sync"]

T = TypeVar("T")
Ignored = tuple[type[BaseException], ...]


@overload
async def wait_until(check: Callable[[], Awaitable[T | None]], timeout: float = ...,  # noqa: ASYNC109
                     what: str = ..., *, interval: float = ..., ignore: Ignored = ()) -> T: ...
@overload
async def wait_until(check: Callable[[], T | None], timeout: float = ...,  # noqa: ASYNC109
                     what: str = ..., *, interval: float = ..., ignore: Ignored = ()) -> T: ...
async def wait_until(check: Callable[[], object],
                     timeout: float = 20.0,  # noqa: ASYNC109 - a deadline, not a cancel scope
                     what: str = "the condition", *, interval: float = 0.02,
                     ignore: Ignored = ()) -> object:
    """Poll ``check`` (plain or async) on the running loop; return its first true value."""
    deadline = time.monotonic() + timeout
    while True:
        value: object = None
        try:
            value = check()
            if isinstance(value, Awaitable):
                value = await value
        except ignore as err:
            value = err
        else:
            if value:
                return value
        if time.monotonic() > deadline:
            raise AssertionError(_timed_out(timeout, what, value))
        await asyncio.sleep(interval)


def wait_until_sync(check: Callable[[], T | None], timeout: float = 20.0,
                    what: str = "the condition", *, interval: float = 0.02,
                    ignore: Ignored = ()) -> T:
    """Poll ``check`` in this thread (it blocks); return its first true value."""
    deadline = time.monotonic() + timeout
    while True:
        value: T | BaseException | None
        try:
            value = check()
        except ignore as err:
            value = err
        else:
            if value:
                return value
        if time.monotonic() > deadline:
            raise AssertionError(_timed_out(timeout, what, value))
        time.sleep(interval)


def _timed_out(timeout: float, what: str, last: object) -> str:
    return f"timed out after {timeout} s waiting for {what} (last: {last!r:.300})"
