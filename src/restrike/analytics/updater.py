"""Keeps the stored summaries current while the station runs, and tells live clients.

Commits only mark the matches they touched (`committed`, on the loop: the store names
a batch's matches without building its rows, so a flood costs a set union per commit,
not a worker thread's hand-off and a JSON row per event). One task folds
the new events of those matches at most every ``interval`` seconds (the live match's
fold stays in memory, so each update reads only its new events), stores
the summaries with one writer job and publishes the live match's analytics. Between
live updates it folds, a batch at a time, the matches stored before (`stale_matches`):
a database written without the analytics, or by an older version of the rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import tzinfo
from functools import partial
from typing import Any

from restrike.analytics.days import day_partials, save_days_job
from restrike.analytics.fold import MatchFold
from restrike.analytics.report import match_report
from restrike.analytics.tables import (
    REF_COLUMNS,
    REF_FROM,
    STEPS,
    Folded,
    fold_from,
    ref_of,
    save_job,
    stale_matches,
)
from restrike.bus import EventsCommitted
from restrike.errors import RestrikeError, StoreError
from restrike.kernel import StoreAccess, StoreReader

__all__ = ["BACKFILL_BATCH", "DAY_REFRESH", "Updater"]

log = logging.getLogger(__name__)

#: Matches folded per backfill step (about half a second of work on a court laptop).
BACKFILL_BATCH = 20
#: Seconds between two refreshes of the stored day partials (a day or tournament asked
#: meanwhile makes its changed days' partials on the spot).
DAY_REFRESH = 2.0
_KEPT_FOLDS = 4  # the live match and the few before it (a match loaded twice)
_RETRY_SECONDS = 2.0


class Updater:
    """The analytics' writer side: marks, folds, stores, publishes."""

    def __init__(self, store: StoreAccess, *, interval: float, backfill: bool,
                 publish: Callable[[dict[str, Any]], None], tz: tzinfo | None = None) -> None:
        self.store = store
        self.interval = interval
        self.backfill = backfill
        self.publish = publish
        self.tz = tz
        self.complete = False  # every stored match has a current summary
        self.ready = False  # the owned tables exist
        self.folded = 0
        self.error: str | None = None
        self._folds: OrderedDict[int, MatchFold] = OrderedDict()
        self._dirty: set[int] = set()
        self._days: set[int] = set()  # days whose stored partial is behind
        self._days_at = 0.0  # monotonic time of the next refresh of the days
        self._wake = asyncio.Event()
        self._reader: StoreReader | None = None

    def committed(self, event: EventsCommitted) -> None:
        """A commit (called on the loop)."""
        self.mark(event.match_ids)

    def mark(self, match_ids: set[int] | frozenset[int]) -> None:
        """Matches whose events were just committed (called on the loop)."""
        if match_ids:
            self._dirty |= match_ids
            self._wake.set()

    async def run(self) -> None:
        """The task: tables, then live updates first and the backlog in between."""
        while not self.ready:
            try:
                await asyncio.wrap_future(self.store.migrate("analytics", STEPS))
                self.ready = True
            except StoreError as err:
                self._failed(err)
                await asyncio.sleep(_RETRY_SECONDS)
        pending_backfill = self.backfill
        while True:
            if not self._dirty and not pending_backfill:
                await self._idle()
            self._wake.clear()
            if self._dirty or pending_backfill:
                await asyncio.sleep(self.interval)  # commits meanwhile join this update
            try:
                if self._dirty:
                    await self.update()
                elif pending_backfill:
                    pending_backfill = await self._backfill_step()
                if self._days and time.monotonic() >= self._days_at:
                    await self.refresh_days()
                self.error = None
            except RestrikeError as err:
                self._failed(err)
                await asyncio.sleep(_RETRY_SECONDS)

    async def _idle(self) -> None:
        """Until something is marked (or the days' refresh is due)."""
        if not self._days:
            await self._wake.wait()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), max(0.0, self._days_at - time.monotonic()))

    async def refresh_days(self) -> None:
        """Store fresh partials of the days folded since the last refresh."""
        days, self._days = sorted(self._days), set()
        self._days_at = time.monotonic() + DAY_REFRESH
        made = await asyncio.to_thread(self._call, lambda c: day_partials(c, days, self.tz))
        fresh = [(d, sig, partial) for d, sig, partial, now in made if now and sig is not None]
        if fresh:
            await asyncio.wrap_future(self.store.call(save_days_job(fresh)))

    async def update(self) -> None:
        """Fold and store the marked matches now; publish the newest one's analytics."""
        ids, self._dirty = sorted(self._dirty), set()
        if not ids:
            return
        job, count, live = await asyncio.to_thread(self._fold_job, ids, True)
        await asyncio.wrap_future(self.store.call(job))
        self.folded += count
        if live is not None:
            self.publish(live)

    async def _backfill_step(self) -> bool:
        """Fold one batch of the matches stored before; False once none is left."""
        ids = await asyncio.to_thread(self._call, lambda c: stale_matches(c, BACKFILL_BATCH))
        ids = [i for i in ids if i not in self._folds]  # the live ones are kept up to date
        if not ids:
            self.complete = True
            log.info("analytics: every stored match is folded (%d this run)", self.folded)
            return False
        job, count, _live = await asyncio.to_thread(self._fold_job, ids, False)
        await asyncio.wrap_future(self.store.call(job))
        self.folded += count
        self._wake.set()
        return True

    def _fold_job(self, ids: list[int], keep: bool
                  ) -> tuple[Callable[[Any], int], int, dict[str, Any] | None]:
        """On a worker thread: the folds, their writer job (its JSON encoded here: a live
        match's timeline grows with it, and encoding it on the loop took ~7 % of the
        loop's time while a flood drained), how many, and the live report."""
        folded, live = self._fold(ids, keep)
        return save_job(folded), len(folded), live

    def _fold(self, ids: list[int], keep: bool) -> tuple[list[Folded], dict[str, Any] | None]:
        """On a worker thread: the matches' new events folded; the newest one's report."""
        out: list[Folded] = []
        live = None
        for match_id in ids:
            fold = self._folds.pop(match_id, None) if keep else None
            fold = self._call(partial(fold_from, match_id=match_id, tz=self.tz, fold=fold))
            if keep:
                self._folds[match_id] = fold
                while len(self._folds) > _KEPT_FOLDS:
                    self._folds.popitem(last=False)
            out.append((match_id, fold.summary(), fold.timeline()))
        marks = ",".join("?" * len(ids))
        self._days |= {r[0] for r in self._call(lambda c: c.execute(
            f"SELECT DISTINCT day_id FROM matches WHERE id IN ({marks})", ids).fetchall())}
        if keep and ids:
            newest = ids[-1]
            row = self._call(lambda c: c.execute(
                f"SELECT {REF_COLUMNS} {REF_FROM} WHERE m.id = ?", (newest,)).fetchone())
            if row is not None:
                fold = self._folds[newest]
                live = match_report(ref_of(row), fold.summary(), fold.timeline())
        return out, live

    def _call(self, fn: Callable[[Any], Any]) -> Any:
        if self._reader is None:
            self._reader = self.store.reader()
        return self._reader.call(fn)

    def _failed(self, err: RestrikeError) -> None:
        if str(err) != self.error:
            log.warning("analytics: %s (trying again in %s s)", err, _RETRY_SECONDS)
        self.error = str(err)

    async def flush(self) -> None:
        """What is marked, stored before the station closes the store (the caller bounds
        the time; what is not stored is folded again at the next start)."""
        if not self.ready:
            return
        try:
            await self.update()
            if self._days:
                await self.refresh_days()
        except RestrikeError as err:
            log.warning("analytics: the last update was not stored (%s); it is folded again "
                        "at the next start", err)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def health(self) -> dict[str, Any]:
        state = ("waiting for the store" if not self.ready else
                 "folding stored matches" if self.backfill and not self.complete else "running")
        return {"ok": self.error is None, "state": state, "matches_folded": self.folded,
                "error": self.error}
