"""Values that cross the store's boundary: what goes in, what a commit reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from restrike.protocol import Parsed

__all__ = ["Committed", "Received", "StoreStats"]


@dataclass(frozen=True, slots=True)
class Received:
    """One datagram as the receiver got it, with its parsed messages."""

    seq: int  # the station's receive counter
    received_at: float  # epoch seconds
    source: str  # "ip:port" of the sender
    data: bytes  # exactly as received
    messages: list[Parsed] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Committed:
    """One committed batch, reported on the writer thread right after COMMIT.

    `rows` are the batch's events in the API shape (as `Reader.events` returns them,
    oldest first); they are only built when someone subscribed.
    """

    first_seq: int
    last_seq: int
    count: int  # datagrams in the batch
    committed_at: float  # epoch seconds
    event_ids: range  # ids of the events written (empty range if none)
    rows: list[dict[str, Any]]
    duration_ms: float = 0.0  # BEGIN to COMMIT of this batch


@dataclass(frozen=True, slots=True)
class StoreStats:
    submitted: int
    stored_datagrams: int
    stored_events: int
    queue_depth: int
    max_queue_depth: int
    batches: int
    last_commit_ms: float  # time the last batch took, BEGIN to COMMIT
    errors: int

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}
