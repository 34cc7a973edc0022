"""The station's typed in-process event bus.

Components talk through topics instead of holding references to each other. A topic
is an event class (`StateChanged`, `MessagesParsed`, ...) or a string. Two ways to
listen:

* ``bus.subscribe(topic, callback) -> unsubscribe``: the callback runs synchronously
  on the event loop when something is published; it must be quick and never block.
* ``bus.subscription(topic, policy=..., maxsize=...)``: an async iterator with its own
  bounded queue, for consumers that await (a WebSocket client, OBS). When the consumer
  falls behind, the policy decides: ``LATEST`` keeps only the newest item (state),
  ``KEYED`` keeps the newest item per key, ``BOUNDED`` keeps a FIFO and, when full,
  replaces the backlog by one `Overflow` marker so the consumer resynchronises.
  Memory is bounded in every case.

Storage never goes through the bus: the ingest pipeline hands datagrams to the store
directly (``Store.submit`` never drops); the bus only tells others what happened.
Publishing is loop-bound; other threads use ``publish_threadsafe``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import enum
import logging
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload

if TYPE_CHECKING:
    from restrike.protocol import MatchState, Parsed, Schema

__all__ = [
    "Broadcast",
    "Bus",
    "CommittedRows",
    "EventsCommitted",
    "HealthChanged",
    "InjectRequested",
    "MessagesParsed",
    "ObsCommandRequested",
    "Overflow",
    "PlayerSeekRequested",
    "Policy",
    "ResyncRequested",
    "SchemaChanged",
    "SettingsChanged",
    "StateChanged",
    "StateEditRequested",
    "StatusChanged",
    "Subscription",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
E = TypeVar("E")
Topic = type | str
Unsubscribe = Callable[[], None]
#: An event as the API shows it (``GET /api/v1/events``): JSON-ready values by name.
Row = Mapping[str, object]


# --- well-known events ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessagesParsed:
    """A batch of datagrams went through the parser (not yet committed).

    ``items`` holds, per datagram, ``(seq, received_at, source, data, messages)``
    where ``messages`` are the typed `restrike.protocol` messages.
    """

    items: Sequence[tuple[int, float, str, bytes, Sequence[Parsed]]]


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The live scoreboard changed; ``state`` is the immutable `MatchState`."""

    state: MatchState
    seq: int  # the last datagram folded into this state
    at: float


class CommittedRows(Protocol):
    """A committed batch whose rows are built when first read (the store's `Committed`)."""

    @property
    def rows(self) -> Sequence[Row]: ...

    @property
    def match_ids(self) -> frozenset[int]: ...


@dataclass(frozen=True, slots=True)
class EventsCommitted:
    """The store committed a batch up to datagram ``last_seq``.

    ``rows`` (the events in the API shape, oldest first) are built on first access,
    so a commit nobody reads costs nothing; ``batch`` is the store's ``Committed``
    (or a plain list of rows).
    """

    last_seq: int
    count: int
    committed_at: float
    batch: CommittedRows | Sequence[Row]

    @property
    def rows(self) -> Sequence[Row]:
        batch = self.batch
        return batch.rows if hasattr(batch, "rows") else batch

    @property
    def match_ids(self) -> frozenset[int]:
        """The matches of the batch's events, without building its rows."""
        batch = self.batch
        if hasattr(batch, "match_ids"):
            ids: frozenset[int] = batch.match_ids
            return ids
        return frozenset(m for row in batch if isinstance(m := row.get("match"), int))


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """A live status for the console; /ws/live merges it into ``status[component]``.

    The keys are the contract's (``feed``, ``obs`` — the list of connections —,
    ``player``); a component's health is a `HealthChanged`, never a status.
    """

    component: str
    status: object  # JSON-ready


@dataclass(frozen=True, slots=True)
class HealthChanged:
    """A component's ``health()`` changed; /ws/live keeps it in ``status.health[component]``."""

    component: str
    health: Mapping[str, object]  # ``{"ok": bool, "state": str, ...}``


@dataclass(frozen=True, slots=True)
class SettingsChanged:
    """Settings changed while the station runs: typed values by dotted name
    (``{"review.quota": 2}``). Each part applies what it owns; none edits another's."""

    values: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class SchemaChanged:
    """A new protocol definition, already validated, is to be used: the ingest parses
    every batch from the next one on with it (the console's protocol page, or a live
    change of ``station.protocol_file``)."""

    schema: Schema


@dataclass(frozen=True, slots=True)
class ResyncRequested:
    """Ask the ingest to send the pull requests to the scoring software again (the
    demo's simulator does once it listens)."""


@dataclass(frozen=True, slots=True)
class InjectRequested:
    """A datagram the station writes itself (a manual entry, docs/manual-scoring.md):
    the ingest puts it in its pipeline like one from the court, in order, so it is
    parsed, stored with ``source`` ``host:port`` and folded into the live state."""

    data: bytes
    host: str  # e.g. "manual"
    port: int  # e.g. the entry's id
    at: float  # its arrival time (wall clock)


@dataclass(frozen=True, slots=True)
class StateEditRequested:
    """Replace the live state with ``state`` if nothing was folded after datagram
    ``expected_seq`` (compare-and-set, in the pipeline thread between batches); ``done``
    gets True when it was replaced, False when later datagrams came first (fold again
    and retry). A manual undo uses it (docs/manual-scoring.md)."""

    state: MatchState
    expected_seq: int
    done: concurrent.futures.Future[bool] = field(
        default_factory=concurrent.futures.Future, compare=False)


@dataclass(frozen=True, slots=True)
class ObsCommandRequested:
    """Run one OBS action on the connections of the role it concerns (the tournament
    hub's bulk actions, docs/hub.md): ``action`` and ``params`` as in ``POST
    /api/v1/obs/{name}/{action}``. ``done`` gets one entry per connection run on
    (``{"name", "ok", "result" or "error", "status"}``), or an exception when none
    could run it (no such connection, an action the hub may not ask, bad params)."""

    action: str
    params: Mapping[str, object]
    done: concurrent.futures.Future[list[dict[str, object]]] = field(
        default_factory=concurrent.futures.Future, compare=False)


@dataclass(frozen=True, slots=True)
class PlayerSeekRequested:
    """Move the review player to ``seconds`` in ``file`` if the replay is still in its
    first moments: it shows ``file``, is not paused, and has played at most ``within``
    s past ``opened_at`` (where the replay was opened; never before it). A suggestion
    that arrives later never takes the picture from a referee already watching or
    stepping through it. ``done`` gets True when the player moved, else False (why is
    logged); nobody answers when the station has no player (wait with a timeout)."""

    file: str
    seconds: float
    opened_at: float
    within: float
    done: concurrent.futures.Future[bool] = field(
        default_factory=concurrent.futures.Future, compare=False)


@dataclass(frozen=True, slots=True)
class Broadcast:
    """A message for every live client as ``{"type": type, type: body}`` (e.g. review)."""

    type: str
    body: object  # JSON-ready
    coalesce: bool = True  # only the latest of a type matters to a slow client


@dataclass(frozen=True, slots=True)
class Overflow:
    """Yielded by a BOUNDED subscription instead of the ``dropped`` items it shed."""

    dropped: int


class Policy(enum.Enum):
    LATEST = "latest"
    KEYED = "keyed"
    BOUNDED = "bounded"


# --- subscriptions ----------------------------------------------------------------


@dataclass(eq=False)
class Subscription(Generic[T]):
    """A bounded async queue fed by the bus; iterate it, then ``close()`` it."""

    topic: Topic
    policy: Policy
    maxsize: int
    key: Callable[[T], Hashable] | None = None
    _items: deque[T | Overflow] = field(default_factory=deque)
    _keyed: OrderedDict[Hashable, T] = field(default_factory=OrderedDict)
    _waiter: asyncio.Event = field(default_factory=asyncio.Event)
    _closed: bool = False
    _unsubscribe: Unsubscribe | None = None
    dropped: int = 0

    def _offer(self, item: T) -> None:
        if self._closed:
            return
        if self.policy is Policy.LATEST:
            if self._items:
                self.dropped += len(self._items)
            self._items.clear()
            self._items.append(item)
        elif self.policy is Policy.KEYED:
            assert self.key is not None
            k = self.key(item)
            if k in self._keyed:
                self.dropped += 1
                self._keyed.pop(k)
            elif len(self._keyed) >= self.maxsize:
                self._keyed.popitem(last=False)
                self.dropped += 1
            self._keyed[k] = item
        else:
            if self._items and isinstance(self._items[-1], Overflow):
                self._items[-1] = Overflow(self._items[-1].dropped + 1)
                self.dropped += 1
            elif len(self._items) >= self.maxsize:
                shed = len(self._items) + 1
                self.dropped += shed
                self._items.clear()
                self._items.append(Overflow(shed))
            else:
                self._items.append(item)
        self._waiter.set()

    def pending(self) -> int:
        return len(self._items) + len(self._keyed)

    def get_nowait(self) -> T | Overflow | None:
        """The next item or None; never waits."""
        if self._items:
            return self._items.popleft()
        if self._keyed:
            return self._keyed.popitem(last=False)[1]
        return None

    async def get(self) -> T | Overflow:
        while True:
            item = self.get_nowait()
            if item is not None:
                return item
            if self._closed:
                raise StopAsyncIteration
            self._waiter.clear()
            await self._waiter.wait()

    def __aiter__(self) -> AsyncIterator[T | Overflow]:
        return self

    async def __anext__(self) -> T | Overflow:
        return await self.get()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._waiter.set()


# --- the bus ----------------------------------------------------------------------


class Bus:
    """Typed pub/sub; every method except ``publish_threadsafe`` runs on the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop
        # Each list holds callbacks for the events of its topic (typed by `subscribe`).
        self._subscribers: dict[Topic, list[Callable[[Any], None]]] = {}
        self.published = 0
        self.errors = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @staticmethod
    def _topic_of(event: object) -> Topic:
        return type(event)

    @overload
    def subscribe(self, topic: type[E], callback: Callable[[E], None]) -> Unsubscribe: ...

    @overload
    def subscribe(self, topic: str, callback: Callable[[object], None]) -> Unsubscribe: ...

    def subscribe(self, topic: Topic, callback: Callable[[E], None]) -> Unsubscribe:
        """Call ``callback(event)`` for every event of ``topic``; returns unsubscribe."""
        return self._add(topic, callback)

    def _add(self, topic: Topic, callback: Callable[[E], None]) -> Unsubscribe:
        callbacks = self._subscribers.setdefault(topic, [])
        callbacks.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                callbacks.remove(callback)

        return unsubscribe

    @overload
    def subscription(self, topic: type[E], *, policy: Policy = ..., maxsize: int = ...,
                     key: Callable[[E], Hashable] | None = ...) -> Subscription[E]: ...

    @overload
    def subscription(self, topic: str, *, policy: Policy = ..., maxsize: int = ...,
                     key: Callable[[object], Hashable] | None = ...
                     ) -> Subscription[object]: ...

    def subscription(self, topic: Topic, *, policy: Policy = Policy.BOUNDED,
                     maxsize: int = 100,
                     key: Callable[[E], Hashable] | None = None) -> Subscription[E]:
        """An async iterator over ``topic`` with a bounded queue (see `Policy`)."""
        if policy is Policy.KEYED and key is None:
            raise ValueError("a KEYED subscription needs a key function")
        sub: Subscription[E] = Subscription(topic, policy, max(1, maxsize), key)
        sub._unsubscribe = self._add(topic, sub._offer)
        return sub

    def publish(self, event: object, topic: str | None = None) -> None:
        """Deliver ``event`` to the subscribers of its type (or of ``topic``)."""
        self.published += 1
        for callback in tuple(self._subscribers.get(topic or self._topic_of(event), ())):
            try:
                callback(event)
            except Exception:
                self.errors += 1
                log.exception("bus subscriber %r failed on %s", callback,
                              type(event).__name__)

    def publish_threadsafe(self, event: object, topic: str | None = None) -> None:
        """Publish from another thread (the receiver, the store's writer)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        # The loop may close between the check and the call.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self.publish, event, topic)

    def subscriber_count(self) -> int:
        return sum(len(v) for v in self._subscribers.values())
