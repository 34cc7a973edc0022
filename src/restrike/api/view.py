"""What the API shows of the station, handed to it by the composition root.

The API never holds the whole station nor looks a part up by name: `StationView`
names what it reads — the kernel's health, tasks and live state (`Kernel`), the
intake (`Feed`), the store (`StoreAccess`), the combined ``/api/v1/stats`` — and
`restrike.assembly` fills it with the real parts (mypy checks that they fit).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, TypeVar

from restrike.bus import Bus
from restrike.kernel import Address, FeatureGates, Gates, LiveState, StationHealth
from restrike.protocol import Schema
from restrike.store import Store, StoreStats

if TYPE_CHECKING:
    from fastapi import APIRouter

    from restrike.ingest.component import IngestCounters

__all__ = ["Feed", "Kernel", "StationStats", "StationView", "StoreAccess"]

T = TypeVar("T")


class Kernel(Protocol):
    """The kernel as the API reads it (`restrike.kernel.Station` is one)."""

    @property
    def bus(self) -> Bus: ...

    @property
    def live(self) -> LiveState: ...

    @property
    def bound(self) -> dict[str, Address]: ...

    @property
    def data_dir(self) -> Path: ...

    @property
    def started_at(self) -> float | None: ...

    @property
    def routers(self) -> Sequence[APIRouter]: ...

    @property
    def live_status(self) -> Mapping[str, Any]: ...

    def health(self) -> StationHealth: ...

    def tasks(self) -> list[str]: ...

    def publish_health_changes(self) -> None: ...

    def create_task(self, coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]: ...


class Feed(Protocol):
    """The court feed (`restrike.ingest.IngestComponent` is one)."""

    @property
    def schema(self) -> Schema:
        """The protocol definition in use."""
        ...

    @property
    def resync_target(self) -> tuple[str, int] | None: ...

    def counters(self) -> IngestCounters: ...

    def last_source(self) -> str | None: ...

    def resync(self) -> list[str]: ...


class StoreAccess(Protocol):
    """The store (`restrike.store.component.StoreComponent` is one)."""

    @property
    def store(self) -> Store | None:
        """The open store; None while it is not (yet) open."""
        ...

    @property
    def closed(self) -> bool: ...

    def stats(self) -> StoreStats | None: ...


class StationStats(TypedDict):
    """``GET /api/v1/stats`` (and ``/ws/live``'s ``stats``): intake and storage counters."""

    datagrams_received: int
    messages: int
    invalid: int
    unknown: int
    stored: int
    stored_events: int
    queue_depth: int
    dropped: int
    last_datagram_at: float | None


@dataclass(frozen=True, eq=False)
class StationView:
    """Everything the API reads, from the composition root.

    ``effective``: the effective settings as ``Settings.describe()`` gives them (the
    console's "running" column and diagnostics), kept current by the live settings;
    ``live_settings``: the names the station's parts apply while running;
    ``protocol_file``: the definition file the station started with; ``gates``: the
    station's feature gates (the console refuses the overlays while they are locked).
    """

    kernel: Kernel
    feed: Feed
    store: StoreAccess
    stats: Callable[[], StationStats]
    effective: dict[str, Any]
    live_settings: frozenset[str]
    protocol_file: Path | None = None
    gates: FeatureGates = field(default_factory=Gates)

    @property
    def bus(self) -> Bus:
        return self.kernel.bus

    @property
    def live(self) -> LiveState:
        return self.kernel.live

    @property
    def data_dir(self) -> Path:
        return self.kernel.data_dir
