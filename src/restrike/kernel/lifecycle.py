"""What the kernel and the parts agree on: the shutdown stages, a component, its context.

A part plugs into the station as a `Component`; ``start`` receives the `Context`, the
stable surface a component (a built-in part or a plugin) may use of the station. A
part gets everything else — the store, the OBS pool, the player — through its
constructor, from the composition root (`restrike.assembly`), never by a lookup.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, NotRequired, Protocol, TypedDict, TypeVar, runtime_checkable

from restrike.bus import Bus

if TYPE_CHECKING:
    from fastapi import APIRouter

    from restrike.config import Settings
    from restrike.kernel.live import LiveState

__all__ = ["STAGE_TIMEOUTS", "Address", "Component", "Context", "Health", "Stage"]

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


class Context(Protocol):
    """What a component's ``start`` may use of the station (the `Station` is one).

    ``bus``: subscribe to and publish events; ``live``: the live scoreboard (read it,
    never update it — the ingest owns it); ``settings``: the effective settings;
    ``data_dir``: the station's data folder; ``bound``: the addresses the station
    listens on (``{"udp": {"host", "port"}, "http": {...}}``; the part that binds one
    records it); ``add_router``: mount an API router (during ``start``: the API starts
    last); ``create_task``: a named background task the station cancels and awaits
    when it stops.
    """

    @property
    def bus(self) -> Bus: ...

    @property
    def live(self) -> LiveState: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def data_dir(self) -> Path: ...

    @property
    def bound(self) -> dict[str, Address]: ...

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
