"""Helpers shared by every test folder."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

__all__ = ["wait_until"]


async def wait_until(check: Callable[[], Any], timeout: float = 10.0,  # noqa: ASYNC109
                     what: str = "the condition", *, interval: float = 0.02) -> Any:
    """Poll ``check`` (plain or async) until it returns something true; return that.

    AssertionError naming ``what`` after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)
