"""The analysis plugin's component: tags key moments as the store commits the feed.

It follows `EventsCommitted` (the events with their ids and matches): the loop only
queues each commit; a thread of its own builds the rows and folds them through the
pure `Tagger` (at a flood's rate, building and folding every row took most of the
loop's time, and the loop sets the intake's pace), then hands the tags back to the
loop, whose one task gives them to the store's writer in order; each new or dropped
tag goes to /ws/live (``{"type": "tags"}``). At start it rebuilds the tagger from
the current match's stored events, so a restarted station goes on tagging that match
(stored tags are kept, not doubled). Saved review clips go to the video analyzers
on a worker thread (`restrike.analysis.clips`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from restrike.analysis import cli as analysis_cli
from restrike.analysis.api import make_router
from restrike.analysis.clips import ClipAnalyses, ClipOptions
from restrike.analysis.highlights import ReelRequest
from restrike.analysis.jobs import ReelJobs
from restrike.analysis.rules import Drop, Event, Rules, Tag, Tagger
from restrike.analysis.tables import OWNER, STEPS, write_changes
from restrike.bus import Broadcast, Bus, EventsCommitted, SettingsChanged
from restrike.config import setting_field
from restrike.errors import RestrikeError, StoreError
from restrike.kernel import Context, Health, Stage, StoreAccess
from restrike.plugins import ConsolePanel

__all__ = ["Analysis", "AnalysisSettings"]

log = logging.getLogger(__name__)

Change = Tag | Drop
RETRY_OPEN = 2.0  # seconds between tries while the store is not open
#: Settings applied while the station runs (`SettingsChanged`).
LIVE_SETTINGS = frozenset({"analysis.seek_to_impact", "analysis.seek_within"})


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    """The ``[analysis]`` section (``RESTRIKE_ANALYSIS_<KEY>``)."""

    last_seconds: int = setting_field(
        10, "A score with at most this many seconds left on the round clock is tagged "
            "last_seconds.", kind="int", min=1, max=60)
    comeback_points: int = setting_field(
        5, "A winner who trailed by at least this many points gets a comeback tag.",
        kind="int", min=1, max=99)
    high_impact_share: float = setting_field(
        0.05, "A hit level in this top share of the athlete's hits that day is tagged "
              "high_impact.", kind="float", min=0.001, max=0.5)
    high_impact_min_hits: int = setting_field(
        20, "Hits of the athlete that day before any is tagged high_impact.", kind="int",
        min=1, max=10000)
    before: float = setting_field(
        6.0, "Seconds of video a reel shows before a tagged moment.", kind="float", min=0,
        max=120)
    after: float = setting_field(
        4.0, "Seconds of video a reel shows after a tagged moment.", kind="float", min=0,
        max=120)
    title_seconds: float = setting_field(
        3.0, "Length of each match's title card in a reel; 0: no title cards.",
        kind="float", min=0, max=10)
    reels_dir: str = setting_field(
        "", "Folder of the reels made from the console and the API; empty: "
            "`<data_dir>/analysis/reels`.", kind="str")
    ffmpeg: str = setting_field(
        "ffmpeg", "ffmpeg to run (a name on PATH or a path; ffprobe is looked up next "
                  "to it).", kind="str")
    analyzers: list[str] = setting_field(  # noqa: RUF009 - fields with metadata
        ["motion_peak"], "Video analyzers run on each saved review clip (built-in: "
                         "motion_peak; others from entry points `restrike.analyzers`); "
                         "empty: none.", kind="list")
    seek_to_impact: bool = setting_field(
        True, "Move the replay to the impact the analyzers find in a saved review clip, "
              "while it is still in its first seek_within seconds.", kind="bool")
    seek_within: float = setting_field(
        4.0, "Seconds of a replay after which the impact no longer moves it (the "
             "console still offers it).", kind="float", min=0.5, max=60)


def _epoch(value: object) -> float:
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


class _Days:
    """``received_at`` → (epoch, local date), the last one kept: a datagram's messages
    share their time, so most rows skip the parse and the date."""

    def __init__(self) -> None:
        self._last: tuple[object, float, str] = (object(), 0.0, "")  # equal to nothing

    def __call__(self, value: object) -> tuple[float, str]:
        last, at, day = self._last
        if value != last:
            at = _epoch(value)
            day = time.strftime("%Y-%m-%d", time.localtime(at))
            self._last = (value, at, day)
        return at, day


def event_of(row: Mapping[str, Any], days: _Days) -> Event:
    """A committed event (API shape or a stored row as a mapping) for the tagger."""
    at, day = days(row["received_at"])
    return Event(int(row["id"]), row.get("match"), at, str(row["kind"]), row.get("athlete"),
                 row.get("args") or {}, day)


class Analysis:
    """The station component (entry point ``analysis``)."""

    name = "analysis"
    settings = AnalysisSettings
    cli = analysis_cli.cli
    commands = analysis_cli.commands
    bench = analysis_cli.bench
    console = ConsolePanel("Moments", Path(__file__).parent / "panel")
    live_settings = LIVE_SETTINGS

    def __init__(self) -> None:
        self.options = AnalysisSettings()
        self.tagger = Tagger()
        self.fed = self.tagged = self.dropped = 0
        self.ready = False
        self.error: str | None = None
        self.clips: ClipAnalyses | None = None
        self._last_id = 0
        # Commits in order, for the tagger thread (None: no more); waiting there until
        # the current match is folded in.
        self._commits: queue.SimpleQueue[EventsCommitted | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changes: asyncio.Queue[list[Change]] = asyncio.Queue()
        self._unsubscribe: list[Callable[[], None]] = []
        self._bus: Bus | None = None
        self._store: StoreAccess | None = None
        self._ctx: Context | None = None
        self.jobs: ReelJobs | None = None

    async def start(self, ctx: Context) -> None:
        try:
            self.options = ctx.settings.section("analysis")
        except KeyError:  # a station built without the plugin loader: the defaults
            self.options = AnalysisSettings()
        o = self.options
        self.tagger = Tagger(Rules(o.last_seconds, o.comeback_points, o.high_impact_share,
                                   o.high_impact_min_hits))
        self._ctx, self._bus, self._store = ctx, ctx.bus, ctx.store
        self._loop = asyncio.get_running_loop()
        folder = Path(o.reels_dir) if o.reels_dir else ctx.data_dir / "analysis" / "reels"
        self.jobs = ReelJobs(ctx.store, ctx.bus, folder, o.ffmpeg, ctx.data_dir / "flags")
        self.clips = ClipAnalyses(ctx.bus, ctx.store, ctx.create_task, self._clip_options)
        self._unsubscribe = [ctx.bus.subscribe(EventsCommitted, self._on_commit),
                             ctx.bus.subscribe(Broadcast, self._on_broadcast),
                             ctx.bus.subscribe(SettingsChanged, self._on_settings)]
        ctx.add_router(make_router(ctx.store, ctx.bus, self.jobs, self._reel_defaults))
        ctx.create_task(self._prepare(), name="analysis-prepare")
        ctx.create_task(self._write_tags(), name="analysis-tags")
        ctx.create_task(self.jobs.run(), name="analysis-reels")

    async def stop(self, stage: Stage) -> None:
        if stage is Stage.INTAKE:
            for unsubscribe in self._unsubscribe:
                unsubscribe()
            self._unsubscribe = []
            self._commits.put(None)
        elif stage is Stage.DRAIN and self._thread is not None:
            await asyncio.to_thread(self._thread.join)  # its last tags are on the loop
            await self._changes.join()  # the tags reach the writer before the store closes

    def health(self) -> Health:
        state = "running" if self.ready else "waiting for the store"
        body: Health = {"ok": True, "state": state, "events": self.fed, "tagged": self.tagged,
                        "dropped": self.dropped, "queued": self._commits.qsize()}
        if self.clips is not None:
            body["clips_analysed"] = len(self.clips.suggestions)
            body["replays_moved"] = self.clips.moved
        if self.error:
            body["error"] = self.error
        return body

    def _clip_options(self) -> ClipOptions:
        o = self.options
        return ClipOptions(tuple(o.analyzers), o.seek_to_impact, o.seek_within)

    def _on_broadcast(self, event: Broadcast) -> None:
        if event.type == "review" and isinstance(event.body, dict) and self.clips is not None:
            self.clips.on_review(event.body)

    def _on_settings(self, event: SettingsChanged) -> None:
        seek, within = (event.values.get(f"analysis.{k}")
                        for k in ("seek_to_impact", "seek_within"))
        if isinstance(seek, bool):
            self.options = dataclasses.replace(self.options, seek_to_impact=seek)
        if isinstance(within, int | float) and not isinstance(within, bool):
            self.options = dataclasses.replace(self.options, seek_within=float(within))

    def _reel_defaults(self) -> ReelRequest:
        o = self.options
        return ReelRequest(before=o.before, after=o.after, title_seconds=o.title_seconds)

    # -- tagging ---------------------------------------------------------------------

    async def _prepare(self) -> None:
        """Own tables, then the current match's events folded in; retried until the
        store opens (a degraded start)."""
        store = self._store
        assert store is not None
        while True:
            try:
                await asyncio.wrap_future(store.migrate(OWNER, STEPS))
                rows = await asyncio.to_thread(self._current_match_rows, store)
                break
            except StoreError as err:
                self.error = str(err)
                await asyncio.sleep(RETRY_OPEN)
        self.error = None
        self._thread = threading.Thread(target=self._tag_commits, args=(rows,),
                                        name="analysis-tagger", daemon=True)
        self._thread.start()
        self.ready = True
        log.info("analysis: tagging (%d events of the current match folded in)", len(rows))

    @staticmethod
    def _current_match_rows(store: StoreAccess) -> list[dict[str, Any]]:
        with store.reader() as reader:
            found = reader.query("SELECT value FROM settings WHERE key = 'current.match'")
            if not found or not found[0][0]:
                return []
            rows = reader.query("SELECT id, match_id, received_at, kind, athlete, args "
                                "FROM events WHERE match_id = ? ORDER BY id",
                                (int(found[0][0]),))
        return [{"id": r[0], "match": r[1], "received_at": r[2], "kind": r[3],
                 "athlete": r[4], "args": json.loads(r[5]) if r[5] else {}} for r in rows]

    def _on_commit(self, event: EventsCommitted) -> None:
        self._commits.put(event)  # all the loop does: no row is built or read here

    def _tag_commits(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """The tagger thread: the current match's stored events, then each commit."""
        self._feed(rows)
        while (event := self._commits.get()) is not None:
            try:
                self._feed(event.rows)
            except Exception:  # a bug in a rule must not stop the tagging of the rest
                log.exception("analysis: a commit up to datagram %d was not tagged",
                              event.last_seq)

    def _feed(self, rows: Sequence[Mapping[str, Any]]) -> None:
        changes: list[Change] = []
        days = _Days()
        for row in rows:
            if row["id"] <= self._last_id:
                continue  # folded in already (committed while the match was read)
            self._last_id = row["id"]
            self.fed += 1
            changes += self.tagger.feed(event_of(row, days))
        if changes:
            assert self._loop is not None
            with contextlib.suppress(RuntimeError):  # the loop closed at shutdown
                self._loop.call_soon_threadsafe(self._changes.put_nowait, changes)

    async def _write_tags(self) -> None:
        store, bus = self._store, self._bus
        assert store is not None and bus is not None
        while True:
            changes = await self._changes.get()
            try:
                added, dropped = await asyncio.wrap_future(
                    store.call(functools.partial(write_changes, changes=changes)))
            except RestrikeError as err:
                log.warning("analysis: %d tag changes not stored: %s", len(changes), err)
                continue
            finally:
                self._changes.task_done()
            self.tagged += len(added)
            self.dropped += len(dropped)
            if added:
                bus.publish(Broadcast("tags", {"event": "added", "tags": added},
                                      coalesce=False))
            if dropped:
                bus.publish(Broadcast("tags", {"event": "dropped", "ids": dropped},
                                      coalesce=False))
