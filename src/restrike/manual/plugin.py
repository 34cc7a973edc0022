"""Manual scoring as a station component: the built-in plugin ``manual``.

An entry becomes a datagram in the protocol's words (`restrike.manual.translate`),
recorded in `manual_entries` and handed to the ingest (`InjectRequested`), so it is
parsed, stored and folded like the court's. An undo marks the latest entry undone
and hands the ingest the current match folded again without it
(`StateEditRequested`, compare-and-set, retried while the feed moves on). The first
court datagram after manual entries asks tkStrike to send everything again and
opens the merge report (`restrike.manual.merge`). See docs/manual-scoring.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from restrike.bus import (
    InjectRequested,
    MessagesParsed,
    ResyncRequested,
    SchemaChanged,
    StateEditRequested,
)
from restrike.errors import FeedLiveError, ManualUnavailable, StoreError
from restrike.kernel import Context, Health, Stage
from restrike.manual import entries
from restrike.manual.api import make_router
from restrike.manual.merge import differences
from restrike.manual.translate import Entry, datagram_for, messages_for
from restrike.plugins import ConsolePanel
from restrike.protocol import MatchState, Schema, load_schema, state_to_json
from restrike.protocol.activity import feed_activity

__all__ = ["Manual"]

log = logging.getLogger(__name__)

#: How long the ingest may take to fold an entry or apply an undo.
TAKE_TIMEOUT = 5.0
#: Undo folds again when the feed moved on in between (compare-and-set), this often.
UNDO_TRIES = 50


class Manual:
    """The station component (entry point ``manual``)."""

    name = "manual"
    console = ConsolePanel("Manual", Path(__file__).parent / "panel")

    def __init__(self) -> None:
        self.ctx: Context | None = None
        self.schema: Schema | None = None
        self.ready = False
        self.entered = self.undone = 0
        self.last_feed_at: float | None = None  # the court's last datagram (never ours)
        self._lock = asyncio.Lock()
        self._waiters: dict[str, asyncio.Future[int]] = {}
        self._since_feed = False  # manual entries made since the court's last datagram
        self._merge: tuple[float, MatchState] | None = None  # feed back: when, manual state
        self._unsubscribe: list[Callable[[], None]] = []

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, ctx: Context) -> None:
        self.ctx = ctx
        self.schema = await asyncio.to_thread(load_schema, ctx.settings.station.protocol_file)
        self._unsubscribe = [ctx.bus.subscribe(MessagesParsed, self._on_parsed),
                             ctx.bus.subscribe(SchemaChanged, self._on_schema)]
        ctx.add_router(make_router(self))
        ctx.create_task(self._prepare(), name="manual-prepare")

    async def stop(self, stage: Stage) -> None:
        if stage is Stage.INTAKE:
            for unsubscribe in self._unsubscribe:
                unsubscribe()
            self._unsubscribe = []

    def health(self) -> Health:
        return {"ok": True, "state": "ready" if self.ready else "waiting for the store",
                "entered": self.entered, "undone": self.undone}

    async def _prepare(self) -> None:
        """Own table; then, if the current match has undone entries (a restart rebuilt
        the state with them), the state without them."""
        store = self._ctx().store
        while True:
            try:
                await asyncio.wrap_future(store.migrate(entries.OWNER, entries.STEPS))
                undone = await asyncio.wrap_future(store.call(entries.has_undone))
                break
            except StoreError:
                await asyncio.sleep(2.0)  # a degraded start: the store opens later
        self.ready = True
        if undone:
            async with self._lock:
                await self._replace_state()
            log.info("manual: undone entries of the current match left out of the state")

    def _ctx(self) -> Context:
        if self.ctx is None:
            raise ManualUnavailable("the manual scoring part has not started")
        return self.ctx

    # -- the feed -----------------------------------------------------------------------

    def _on_schema(self, event: SchemaChanged) -> None:
        self.schema = event.schema

    def _on_parsed(self, event: MessagesParsed) -> None:
        prefix = entries.HOST + ":"
        for seq, received_at, source, _data, _messages in event.items:
            if source.startswith(prefix):
                waiter = self._waiters.pop(source, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(seq)
                continue
            self.last_feed_at = received_at
            if self._since_feed:  # the feed is back: the live state is still ours here
                self._since_feed = False
                self._merge = (received_at, self._ctx().live.state)
                self._ctx().bus.publish(ResyncRequested())
                log.info("manual: the court feed is back; asking it to send everything")

    def feed(self) -> dict[str, Any]:
        activity = feed_activity(self._ctx().live.state, self.last_feed_at, time.time())
        return {"activity": activity.activity, "reason": activity.reason,
                "live": activity.activity == "live"}

    def _check(self, force: bool) -> None:
        ctx = self._ctx()
        if not self.ready or not ctx.store.is_open:
            raise ManualUnavailable("the store is not open: manual entries cannot be kept")
        feed = self.feed()
        if feed["live"] and not force:
            raise FeedLiveError(f"the court feed is live ({feed['reason']}): enter with force "
                           "to override it")

    # -- entries ------------------------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        ctx = self._ctx()
        listed: list[dict[str, Any]] = []
        if self.ready and ctx.store.is_open:
            listed = await asyncio.wrap_future(ctx.store.call(entries.list_entries))
        undoable = next((e["id"] for e in listed if e["undone_at"] is None), None)
        merge = None
        if self._merge is not None:
            since, manual = self._merge
            merge = {"since": since, "differences": differences(manual, ctx.live.state)}
        return {"feed": self.feed(), "entries": listed, "undoable": undoable,
                "merge": merge}

    async def enter(self, entry: Entry, force: bool = False) -> dict[str, Any]:
        """Translate, record and inject one entry; the entry and the new state."""
        ctx = self._ctx()
        async with self._lock:
            self._check(force)
            schema = self.schema
            assert schema is not None
            data = datagram_for(messages_for(entry, ctx.live.state, schema), schema)
            raw = data.decode("utf-8").strip()
            at = time.time()
            forced = force and self.feed()["live"]
            entry_id = await asyncio.wrap_future(ctx.store.call(
                lambda conn: entries.record(conn, entry, raw, at, forced)))
            source = entries.source_of(entry_id)
            waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            self._waiters[source] = waiter
            ctx.bus.publish(InjectRequested(data, entries.HOST, entry_id, at))
            try:
                seq = await asyncio.wait_for(waiter, TAKE_TIMEOUT)
            except TimeoutError:
                self._waiters.pop(source, None)
                await asyncio.wrap_future(ctx.store.call(
                    lambda conn: entries.undo_last(conn, at)))
                raise ManualUnavailable("the court feed's pipeline did not take the entry in "
                                  f"{TAKE_TIMEOUT:.0f} s (is the ingest running?)") from None
            await asyncio.wrap_future(ctx.store.call(
                lambda conn: entries.set_seq(conn, entry_id, seq)))
            self.entered += 1
            self._since_feed = True
            self._merge = None
            log.info("manual entry %d: %s", entry_id, raw)
            listed = await asyncio.wrap_future(ctx.store.call(entries.list_entries))
        stored = next((e for e in listed if e["id"] == entry_id), {"id": entry_id})
        return {"entry": stored, "state": state_to_json(ctx.live.state)}

    async def undo(self, force: bool = False) -> dict[str, Any]:
        """Undo the current match's latest entry: the entry and the new state."""
        ctx = self._ctx()
        async with self._lock:
            self._check(force)
            at = time.time()
            undone = await asyncio.wrap_future(ctx.store.call(
                lambda conn: entries.undo_last(conn, at)))
            await self._replace_state()
            self.undone += 1
            log.info("manual entry %d undone: %s", undone["id"], undone["raw"])
        return {"entry": undone, "state": state_to_json(ctx.live.state)}

    async def _replace_state(self) -> None:
        """The current match folded without the undone entries becomes the live state
        (compare-and-set against the last folded datagram; folded again if the feed
        moved on meanwhile)."""
        ctx = self._ctx()
        schema = self.schema
        assert schema is not None
        for _ in range(UNDO_TRIES):
            expected = ctx.live.seq
            state = await asyncio.wrap_future(ctx.store.call(
                lambda conn: entries.state_without_undone(conn, schema)))
            edit = StateEditRequested(state, expected)
            ctx.bus.publish(edit)
            try:
                if await asyncio.wait_for(asyncio.wrap_future(edit.done), TAKE_TIMEOUT):
                    return
            except TimeoutError:
                raise ManualUnavailable("the court feed's pipeline did not apply the undo in "
                                  f"{TAKE_TIMEOUT:.0f} s (is the ingest running?)") from None
            await asyncio.sleep(0.02)  # the loop has not published the newest batch yet
        raise ManualUnavailable("the court feed kept moving: the undo is recorded, the state "
                          "follows at the next undo or restart")
