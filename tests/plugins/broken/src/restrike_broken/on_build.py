"""A plugin whose factory raises when the station builds it."""

from __future__ import annotations

from typing import NoReturn


def make() -> NoReturn:
    raise ValueError("broken_build fails when built, on purpose")
