"""Finer kinds of :class:`restrike.errors.PlayerError`, so the API can answer 503 vs 409.

Both stay ``PlayerError``: callers that do not care catch the base class.
"""

from __future__ import annotations

from restrike.errors import PlayerError

__all__ = ["PlayerCommandError", "PlayerError", "PlayerUnavailable"]


class PlayerUnavailable(PlayerError):
    """mpv is not running, is restarting, or did not answer in time."""


class PlayerCommandError(PlayerError):
    """mpv answered but refused the command (``error`` is mpv's own reason)."""

    def __init__(self, command: str, error: str) -> None:
        self.command = command
        self.error = error
        super().__init__(f"mpv refused {command!r}: {error}")
