"""The analysis plugin's component: tags key moments as the store commits the feed.

It follows `EventsCommitted`: the loop only wakes a thread of its own, which reads
the new events from the store by cursor (`restrike.analysis.feed`) and folds them
through the pure `Tagger` (at a flood's rate, building and folding every row took
most of the loop's time, and the loop sets the intake's pace), then hands the tags
back to the loop, whose one task gives them to the store's writer in order; each new or dropped
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
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from restrike.analysis import cli as analysis_cli
from restrike.analysis.api import make_router
from restrike.analysis.clips import ClipAnalyses, ClipOptions
from restrike.analysis.feed import EventCursor
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
        # A commit wakes the tagger thread, which reads what is new by cursor
        # (restrike.analysis.feed); set at stop too, after _stopping.
        self._wake = threading.Event()
        self._stopping = False
        self._cursor: EventCursor | None = None
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
            self._stopping = True  # the thread tags what is committed, then ends
            self._wake.set()
        elif stage is Stage.DRAIN and self._thread is not None:
            await asyncio.to_thread(self._thread.join)  # its last tags are on the loop
            await self._changes.join()  # the tags reach the writer before the store closes

    def health(self) -> Health:
        state = "running" if self.ready else "waiting for the store"
        body: Health = {"ok": True, "state": state, "events": self.fed, "tagged": self.tagged,
                        "dropped": self.dropped,
                        "cursor": self._cursor.last_id if self._cursor is not None else None}
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
                cursor, events = await asyncio.to_thread(self._open_cursor, store)
                break
            except StoreError as err:
                self.error = str(err)
                await asyncio.sleep(RETRY_OPEN)
        self.error = None
        self._cursor = cursor
        self._thread = threading.Thread(target=self._tag_commits, args=(cursor, events),
                                        name="analysis-tagger", daemon=True)
        self._thread.start()
        self.ready = True
        log.info("analysis: tagging (%d events of the current match folded in)", len(events))

    @staticmethod
    def _open_cursor(store: StoreAccess) -> tuple[EventCursor, list[Event]]:
        reader = store.reader()
        try:
            return EventCursor.at_current_match(reader)
        except BaseException:
            reader.close()
            raise

    def _on_commit(self, _event: EventsCommitted) -> None:
        self._wake.set()  # all the loop does: the tagger reads the new events itself

    def _tag_commits(self, cursor: EventCursor, events: list[Event]) -> None:
        """The tagger thread: the current match's stored events, then whatever each
        commit added, read by cursor; at stop, what was committed before it."""
        try:
            self._feed(events)
            while True:
                self._wake.wait()
                self._wake.clear()
                stopping = self._stopping
                try:
                    for chunk in cursor.chunks():
                        self._feed(chunk)
                except Exception:  # a bug in a rule must not stop the tagging of the rest
                    log.exception("analysis: events after %d were not tagged", cursor.last_id)
                if stopping:
                    return
        finally:
            cursor.reader.close()

    def _feed(self, events: Sequence[Event]) -> None:
        changes: list[Change] = []
        feed = self.tagger.feed
        for event in events:
            changes += feed(event)
        self.fed += len(events)
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
