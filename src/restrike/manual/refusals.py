"""Why a manual entry or undo is refused, each with the HTTP status the API answers.

All are `restrike.errors.ManualError` (an entry the scoreboard cannot take is the
plain one: 422).
"""

from __future__ import annotations

from typing import ClassVar

from restrike.errors import ManualError

__all__ = ["FeedLive", "NothingToUndo", "Unavailable", "status_of"]


class FeedLive(ManualError):
    """The court feed is live and the request did not say ``force``."""

    status: ClassVar[int] = 409


class NothingToUndo(ManualError):
    """The current match has no manual entry left to undo."""

    status: ClassVar[int] = 409


class Unavailable(ManualError):
    """The store is not open, or the ingest did not take the entry in time."""

    status: ClassVar[int] = 503


def status_of(err: ManualError) -> int:
    return int(getattr(err, "status", 422))
