"""What the kernel and the parts agree on: the shutdown stages, a component, its context.

A part plugs into the station as a `Component`; ``start`` receives the `Context`, the
stable surface a component (a built-in part or a plugin) may use of the station. A
part gets everything else — the store, the OBS pool, the player — through its
constructor, from the composition root (`restrike.assembly`), never by a lookup.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import sqlite3
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    NotRequired,
    Protocol,
    TypedDict,
    TypeVar,
    runtime_checkable,
)

from restrike.bus import Bus

if TYPE_CHECKING:
    from fastapi import APIRouter

    from restrike.config import Settings
    from restrike.kernel.gates import Gates
    from restrike.kernel.live import LiveState

__all__ = ["STAGE_TIMEOUTS", "Address", "Component", "Context", "Health", "Stage",
           "StoreAccess", "StoreReader"]

T = TypeVar("T")

#: What ``health()`` returns: ``{"ok": bool, "state": str, ...details}`` (JSON-ready).
Health = dict[str, Any]


class Address(TypedDict):
    """An address the station listens on (``ctx.bound["udp"]``, ``ctx.bound["http"]``)."""

    host: str
    port: int
    token_required: NotRequired[bool]  # http: the API wants the operator token


class Stage(enum.IntEnum):
    """The shutdown stages, in order; each component acts on the ones it cares about."""

    INTAKE = 1  # stop taking input (UDP receiver, HTTP server)
    DRAIN = 2  # process what was already received (ingest pipeline)
    FLUSH = 3  # commit what is queued (the review archive, then the store's writer)
    CLOSE = 4  # close peers (OBS, mpv) and anything else


#: Seconds each component gets for each stage.
STAGE_TIMEOUTS = {Stage.INTAKE: 3.0, Stage.DRAIN: 15.0, Stage.FLUSH: 15.0, Stage.CLOSE: 5.0}


class StoreReader(Protocol):
    """One read-only connection to the station's database (close it, or use ``with``)."""

    def query(self, sql: str, params: tuple[Any, ...] | list[Any] = ()
              ) -> list[tuple[Any, ...]]: ...

    def call(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

    def close(self) -> None: ...

    def __enter__(self) -> StoreReader: ...

    def __exit__(self, *exc: object) -> None: ...


class StoreAccess(Protocol):
    """The station's SQLite store as parts and plugins use it.

    Reads go through read-only connections (``reader()``); every write runs on the
    store's single writer thread, in order with the court feed (``call``), so a part
    never competes with ingest for the database. A part keeps its own tables with
    ``migrate(owner, steps)``: each step one SQL statement, applied once, in order
    (append steps, never edit one). While the database cannot be opened (a degraded
    start) ``is_open`` is False and ``reader``/``call``/``migrate`` raise StoreError;
    the commits a part may follow arrive as `restrike.bus.EventsCommitted`.
    """

    @property
    def is_open(self) -> bool: ...

    @property
    def path(self) -> Path: ...

    def reader(self) -> StoreReader: ...

    def call(self, fn: Callable[[sqlite3.Connection], T]) -> concurrent.futures.Future[T]: ...

    def migrate(self, owner: str, steps: Sequence[str]) -> concurrent.futures.Future[int]: ...


class Context(Protocol):
    """What a component's ``start`` may use of the station (the `Station` is one).

    ``bus``: subscribe to and publish events; ``live``: the live scoreboard (read it,
    never update it — the ingest owns it); ``gates``: which licensed features may run
    (`restrike.kernel.gates`: a part asks, the licence plugin restricts);
    ``settings``: the effective settings; ``data_dir``: the station's data folder;
    ``bound``: the addresses the station listens on (``{"udp": {"host", "port"},
    "http": {...}}``; the part that binds one records it); ``store``: the station's
    database (`StoreAccess`); ``add_router``: mount an API router (during ``start``:
    the API starts last); ``create_task``: a named background task the station
    cancels and awaits when it stops.
    """

    @property
    def bus(self) -> Bus: ...

    @property
    def live(self) -> LiveState: ...

    @property
    def gates(self) -> Gates: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def data_dir(self) -> Path: ...

    @property
    def bound(self) -> dict[str, Address]: ...

    @property
    def store(self) -> StoreAccess: ...

    def add_router(self, router: APIRouter) -> None: ...

    def create_task(self, coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]: ...


@runtime_checkable
class Component(Protocol):
    """A part the station starts in order and stops in stages."""

    @property
    def name(self) -> str: ...

    async def start(self, ctx: Context) -> None: ...

    async def stop(self, stage: Stage) -> None: ...

    def health(self) -> Health: ...
