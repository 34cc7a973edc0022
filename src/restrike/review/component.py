"""``Review``: the replay workflow wired to the bus, OBS, mpv and the archive.

The pure :func:`~restrike.review.workflow.step` decides; this adapter feeds it inputs
(parsed messages from the bus, the console/API/hotkey, OBS and player events) one at a
time from a queue and carries out the commands. Slow steps run beside the queue so a
review never waits on them: the replay-buffer save (OBS takes ~0.8 s), scene switches
and overlay events are tasks; archive writes go to one ordered worker thread.

Failures never stop the station: an unreachable OBS or mpv becomes the review's
``error`` (stored with the clip row), a warning in the log and, at once, a
``review_error`` message to every live console (``_report``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restrike.errors import PlayerError, RestrikeError, ReviewError
from restrike.protocol import MatchState, Message, Parsed, reduce
from restrike.protocol.state import side_name
from restrike.review.archive import Archive, chapters_text, local_day
from restrike.review.hotkey import Hotkey, make_hotkey
from restrike.review.naming import MatchIdentity, match_identity
from restrike.review.obsactions import OVERLAY_EVENT, ObsActions
from restrike.review.options import ReviewOptions
from restrike.review.rules import (
    marker_at,
    quota_exhausted,
    remaining_quota,
    review_clock_remaining,
)
from restrike.review.streams import StreamTimeline
from restrike.review.tracking import OutputTracker
from restrike.review.workflow import (
    ChallengeRequested,
    Command,
    EnsureReplayBuffer,
    Input,
    MatchLoaded,
    Notice,
    Overlay,
    PlaybackEnded,
    PlayClip,
    PrepareRecording,
    Resolved,
    ReviewRecord,
    SaveReplay,
    StopPlayback,
    StoreReview,
    SwitchScene,
    WorkflowState,
    decision_from_udp,
    step,
)

__all__ = ["OVERLAY_EVENT", "Review"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Item:
    """One workflow input; ``done`` gets the review JSON right after it was processed,
    or the ReviewError ``check`` raised: the precondition is decided in the worker, in
    queue order, so two concurrent requests cannot both pass it."""

    event: Input
    done: asyncio.Future[dict[str, Any]] | None = None
    check: Callable[[], None] | None = None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Review(ObsActions):
    """The station's replay component (``name = "review"``).

    Standalone: ``review = Review(options, obs=pool, player=player,
    archive=Archive(store), bus=bus)``, ``await review.start()``, ``await
    review.stop()``. In the station: ``station.add(Review(options))`` and it finds the
    bus, the OBS pool (component ``obs``, attribute ``pool``), the player (component
    ``playback``, attribute ``player``) and the store (component ``store``, attribute
    ``store``: the archive writes through its writer), and mounts its router.
    """

    name = "review"

    def __init__(self, options: ReviewOptions, *, obs: Any = None, player: Any = None,
                 archive: Archive | None = None, bus: Any = None,
                 clock: Callable[[], float] = time.time, hotkey: Hotkey | None = None,
                 mount_router: bool = True) -> None:
        self.options = options
        self.obs = obs
        self.player = player
        self.archive = archive
        self.bus = bus
        self.clock = clock
        self.hotkey = hotkey
        self.mount_router = mount_router
        self.flow = WorkflowState()
        self.match = MatchState()
        self.tracker = OutputTracker(self)
        self.last_error: str | None = None
        self.timings: dict[int, dict[str, float]] = {}
        self._own_archive = False
        self._station: Any = None
        self._queue: asyncio.Queue[_Item] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pending: set[asyncio.Future[Any]] = set()
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._identity_seen: MatchIdentity | None = None
        self._tail_reviews: set[int] = set()
        self._prepare_lock = asyncio.Lock()
        self._prepared: PrepareRecording | None = None  # names the next recording session
        self._replay_applied: tuple[str, int] | None = None  # replay folder and length set
        self._day = local_day(clock())
        self._running = False

    @classmethod
    def from_settings(cls, settings: Any, *, data_dir: Path, **kwargs: Any) -> Review:
        """The component ``restrike run`` adds: ``[review]`` and ``[playback]`` settings."""
        options = ReviewOptions.from_settings(settings.review, getattr(settings, "playback",
                                                                       None), data_dir=data_dir)
        return cls(options, **kwargs)

    # -- life cycle ------------------------------------------------------------------

    async def start(self, station: Any = None) -> None:
        """Subscribe to the bus, OBS and the player; start the workers."""
        self._station = station
        if station is not None:
            self.bus = self.bus or station.bus
            if self.obs is None and (comp := station.get("obs")) is not None:
                self.obs = getattr(comp, "pool", None)
            if self.player is None and (comp := station.get("playback")) is not None:
                self.player = getattr(comp, "player", None)
            if self.archive is None:
                store = getattr(station.get("store"), "store", None)
                if store is None:
                    log.warning("no store in the station: reviews are not archived")
                else:
                    self.archive = await asyncio.to_thread(Archive, store,
                                                           run=uuid.uuid4().hex[:12])
                    self._own_archive = True
            if self.mount_router:
                from restrike.review.api import make_router

                station.add_router(make_router(self))
            self.match = getattr(getattr(station, "live", None), "state", None) or MatchState()
        self._executor = concurrent.futures.ThreadPoolExecutor(1, "restrike-review-archive")
        self._queue = asyncio.Queue()
        self._running = True
        self._spawn(self._work(), "review-workflow")
        if self.archive is not None:
            self._day = (await self._archive_call(self.archive.current_names, self.clock()))[1]
            timeline = await self._archive_call(self.archive.stream_timeline, self._day)
            self.tracker.timeline = timeline.stop(self.clock())  # a new run: a new session
        if self.bus is not None:
            from restrike.bus import MessagesParsed

            self._unsubscribe.append(self.bus.subscribe(MessagesParsed, self._on_parsed))
        if self.obs is not None:
            self._unsubscribe.append(self.obs.subscribe(self.tracker.on_obs))
            self.tracker.seed(self.obs.statuses())
        if self.player is not None:
            self._unsubscribe.append(self.player.subscribe(self._on_player))
        self._start_hotkey()
        identity = match_identity(self.match)
        if identity is not None:
            self._identity_seen = identity
            self._feed(MatchLoaded(identity, self.clock(), "", ""))

    def _start_hotkey(self) -> None:
        if self.hotkey is None:
            self.hotkey = make_hotkey(self.options.hotkey) if self._station is not None else None
        if self.hotkey is None:
            return
        loop = asyncio.get_running_loop()

        def pressed() -> None:  # on the hook's thread
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._hotkey_pressed)

        try:
            self.hotkey.start(pressed)
        except Exception as err:  # the OS refused the hook (no desktop session...)
            log.warning("global hotkey %r unavailable: %s", self.options.hotkey, err)
            self.hotkey = None

    def _hotkey_pressed(self) -> None:
        """The key starts a replay, or closes the open review (one key for the table)."""
        if self.flow.active is None:
            self._feed(ChallengeRequested(self.clock(), "hotkey", "hotkey"))
        else:
            self._feed(Resolved(self.clock(), "closed", "hotkey", "hotkey"))

    async def stop(self, stage: Any = None) -> None:
        """Stop (the station calls this per stage; the review acts in FLUSH).

        FLUSH: the station stops components in reverse start order within a stage, so
        the review finishes its last archive writes before the store (started first)
        flushes and closes. CLOSE if it was not stopped in FLUSH.
        """
        if stage is not None and getattr(stage, "name", "CLOSE") not in ("FLUSH", "CLOSE"):
            return
        if not self._running:
            return
        self._running = False
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self.hotkey is not None:
            self.hotkey.stop()
        if self._queue is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), 3.0)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._pending:
            await asyncio.wait(self._pending, timeout=5.0)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        if self._own_archive and self.archive is not None:
            self.archive.close()

    @property
    def timeline(self) -> StreamTimeline:
        """The day's stream so far (segments across interruptions)."""
        return self.tracker.timeline

    def health(self) -> dict[str, Any]:
        return {"ok": self._running, "state": "running" if self._running else "stopped",
                "active": self.flow.active is not None, "error": self.last_error,
                "obs": self.obs is not None, "player": self.player is not None}

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        if self._station is not None:
            task: asyncio.Task[Any] = self._station.create_task(coro, name=name)
        else:
            task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        """Forget a finished task; a failure reaches the consoles. The station logs the
        traceback of the tasks it created, so only a standalone review logs it here."""
        self._tasks.discard(task)
        if task.cancelled() or (err := task.exception()) is None:
            return
        if self._station is None:
            log.error("review task %s failed", task.get_name(), exc_info=err)
        self._report(f"review task {task.get_name()} failed: {err}", logged=True)

    def _archive_call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any
                      ) -> asyncio.Future[Any]:
        """Run an archive write on the ordered archive thread; failures are logged."""
        future = self._archive_read(fn, *args, **kwargs)
        future.add_done_callback(self._archive_done)
        return future

    def _archive_read(self, fn: Callable[..., Any], *args: Any, **kwargs: Any
                      ) -> asyncio.Future[Any]:
        """Run an archive call on the archive thread; the caller handles its errors."""
        assert self._executor is not None
        future = asyncio.get_running_loop().run_in_executor(
            self._executor, lambda: fn(*args, **kwargs))
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        return future

    def _archive_done(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            self._report(f"archive write failed: {future.exception()}")

    # -- inputs ----------------------------------------------------------------------

    def _feed(self, event: Input, check: Callable[[], None] | None = None
              ) -> asyncio.Future[dict[str, Any]] | None:
        """Queue ``event``; the future resolves once the worker has processed it. With
        ``check``, the worker first calls it and a ReviewError becomes the future's
        exception (only callers that await the future pass a check)."""
        if self._queue is None or not self._running:
            return None
        done: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Item(event, done, check))
        return done

    def _on_parsed(self, event: Any) -> None:
        for _seq, received_at, _source, _data, messages in event.items:
            for msg in messages:
                self.on_message(msg, received_at)

    def on_message(self, msg: Parsed, received_at: float, state: MatchState | None = None,
                   ) -> None:
        """One parsed court message (the station's bus calls this; tests may too)."""
        before = self.match  # the quota as it was before this request
        self.match = state if state is not None else reduce(self.match, msg, received_at)
        if isinstance(msg, Message) and msg.kind == "challenge":
            athlete = msg.athlete if msg.athlete is not None else 0
            decision = decision_from_udp(_int(msg.fields.get("decision")),
                                         _int(msg.fields.get("outcome")))
            if decision is None:
                used_up = quota_exhausted(before, athlete, self.options.rules.quota)
                self._feed(ChallengeRequested(received_at, side_name(athlete) or "referee",
                                              "udp", athlete, quota_exhausted=used_up))
            else:
                self._feed(Resolved(received_at, decision, "referee", "udp"))
        identity = match_identity(self.match)
        if identity is not None and identity != self._identity_seen:
            self._identity_seen = identity
            self._feed(MatchLoaded(identity, received_at, "", ""))

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            item = await self._queue.get()
            done = item.done
            try:
                if item.check is not None:
                    try:
                        item.check()
                    except ReviewError as err:  # refused: the caller answers 409
                        if done is not None and not done.done():
                            done.set_exception(err)
                        continue
                await self._process(item.event)
            except Exception as err:
                log.exception("review workflow failed on %r", item.event)
                self._report(f"review workflow: {err}", logged=True)
            finally:
                if done is not None and not done.done():
                    done.set_result(self.review_json())
                self._queue.task_done()

    async def _process(self, event: Input) -> None:
        if isinstance(event, MatchLoaded) and not event.day:
            tournament, day = (None, local_day(event.at))
            if self.archive is not None:
                try:
                    tournament, day = await self._archive_read(self.archive.current_names,
                                                               event.at)
                except RestrikeError as err:  # the folder falls back to the local date
                    log.warning("no current tournament/day from the store: %s", err)
            self._day = day
            event = MatchLoaded(event.identity, event.at, tournament or self.options.tournament,
                                day)
        self.flow, commands = step(self.options.workflow, self.flow, event)
        for command in commands:
            await self._execute(command)

    # -- commands --------------------------------------------------------------------

    async def _execute(self, cmd: Command) -> None:
        match cmd:
            case SaveReplay(review_id=rid):
                for old in [k for k in self.timings if k <= rid - 100]:
                    del self.timings[old]  # timings are for the bench and the log only
                self.timings.setdefault(rid, {})["requested"] = self.clock()
                self._spawn(self._save(rid), f"review-save-{rid}")
            case PlayClip():
                if cmd.review_id not in self._tail_reviews:
                    await self._play(cmd.review_id, cmd.path, cmd.start)
            case SwitchScene(scene=scene):
                self._spawn(self._switch(scene), f"review-scene-{scene}")
            case Overlay():
                self._overlay(cmd.event)
            case StoreReview():
                self._store(cmd.review, cmd.link)
            case StopPlayback():
                self._tail_reviews.discard(cmd.review_id)
                if self.player is not None:
                    with contextlib.suppress(PlayerError):
                        await self.player.stop()
            case EnsureReplayBuffer():
                self._spawn(self._ensure_replay_buffer(), "review-ensure-replay-buffer")
            case PrepareRecording():
                self._spawn(self._prepare(cmd), "review-prepare-recording")
            case Notice(level="warning", text=text):
                self._report(text)
            case Notice(text=text):
                log.info("%s", text)

    def _store(self, review: ReviewRecord, link: bool) -> None:
        if self.archive is None:
            return
        archive = self.archive
        opts = self.options
        day = self._day
        timeline = self.tracker.timeline
        clip_end = review.saved_at
        clip_start = self._clip_window_start(review)
        mark = marker_at(review.requested_at, opts.rules)

        def write() -> None:
            rec = archive.recording_covering(review.requested_at)
            clip_id = archive.save_clip(review, day=day, marker_at=mark,
                                        recording_id=rec[0] if rec else None,
                                        clip_start=clip_start, clip_end=clip_end)
            if link and clip_start is not None and clip_end is not None:
                archive.link_events(clip_id, start=max(clip_start, clip_end - opts.link_seconds),
                                    end=clip_end, clip_start=clip_start,
                                    recording_start=rec[1] if rec else None, timeline=timeline)

        self._archive_call(write)

    # -- player events -----------------------------------------------------------------

    def _on_player(self, event: Any) -> None:
        from restrike.playback import PlaybackClosed, PlayerRestarted

        active = self.flow.active
        if isinstance(event, PlaybackClosed) and active is not None:
            self._feed(PlaybackEnded(self.clock(), event.reason))
        elif (isinstance(event, PlayerRestarted) and active is not None and active.clip
              and not getattr(getattr(self.player, "settings", None), "reopen_after_crash",
                              False)):
            # MpvPlayer reopens the clip itself (playback.reopen_after_crash); others not.
            log.info("mpv restarted during review %s: showing its clip again", active.id)
            self._spawn(self._play(active.id, active.clip, active.start), "review-reopen")

    # -- what the API and the console use -----------------------------------------------

    def review_json(self, now: float | None = None) -> dict[str, Any]:
        """``GET /api/v1/review``: the current (or last) review and the quota."""
        now = self.clock() if now is None else now
        active = self.flow.active
        review = active or self.flow.last
        rules = self.options.rules
        quota = remaining_quota(self.match, rules.quota)
        out: dict[str, Any] = {
            "active": active is not None, "id": None, "requested_by": None,
            "requested_at": None, "review_clock_remaining": None, "marker_at": None,
            "marker_in_clip": None,
            "quota": list(quota), "clip": None, "start": None, "decision": None,
            "decided_by": None, "decision_ms": None, "match": None,
            "error": self.last_error if active is None else None, "mode": self.options.mode,
            "quota_exhausted": False,
        }
        if review is not None:
            out.update(id=review.id, requested_by=review.requested_by,
                       requested_at=review.requested_at, marker_at=marker_at(
                           review.requested_at, rules),
                       review_clock_remaining=review_clock_remaining(
                           review.requested_at, now, rules) if active is not None else 0.0,
                       marker_in_clip=self._marker_in_clip(review),
                       clip=review.clip, start=review.start, decision=review.decision,
                       decided_by=review.decided_by, decision_ms=review.decision_ms,
                       match=review.match, error=review.problem or out["error"],
                       quota_exhausted=review.quota_exhausted)
        return out

    def _clip_window_start(self, review: ReviewRecord) -> float | None:
        """Wall time of the review's clip's first frame (None until it is saved)."""
        if review.saved_at is None:
            return None
        known = self.timings.get(review.id, {}).get("clip_start")
        return known if known is not None else self._clip_start(review.saved_at)

    def _marker_in_clip(self, review: ReviewRecord) -> float | None:
        """Where the Article 21 marker falls in the clip (seconds), once it is saved."""
        clip_start = self._clip_window_start(review)
        if clip_start is None:
            return None
        return max(0.0, marker_at(review.requested_at, self.options.rules) - clip_start)

    async def request_replay(self, *, requested_by: str = "operator", source: str = "http",
                             seconds: float | None = None) -> dict[str, Any]:
        """Start a manual review (console button, API, hotkey): the new review's JSON.

        ReviewError if a review is open when the workflow gets to this request (two
        concurrent requests: the second is refused, it never gets the first's review).
        """
        if seconds is not None and not 0 < seconds <= self.options.clip_seconds:
            raise ReviewError(f"seconds must be in 0..{self.options.clip_seconds} (the clip "
                              f"length), not {seconds}")
        done = self._feed(ChallengeRequested(self.clock(), requested_by, source,
                                             seconds=seconds), check=self._none_open)
        if done is None:
            raise ReviewError("the review component is not running")
        return await done

    async def close_review(self, *, decision: str = "closed", decided_by: str = "operator",
                           source: str = "button") -> dict[str, Any]:
        """Resolve the open review (console Close / API); ReviewError if none is open
        when the workflow gets to it (a second concurrent close is refused)."""
        done = self._feed(Resolved(self.clock(), decision, decided_by, source),
                          check=self._one_open)
        if done is None:
            raise ReviewError("the review component is not running")
        return await done

    def _none_open(self) -> None:
        if self.flow.active is not None:
            raise ReviewError(f"review {self.flow.active.id} is still open: close it before "
                              "a new replay")

    def _one_open(self) -> None:
        if self.flow.active is None:
            raise ReviewError("no review is open")

    async def switch_scene(self, scene: str) -> None:
        """Manual mode: show ``scene`` on the streaming OBS."""
        if self.obs is None or not self.obs.for_role("streaming"):
            raise ReviewError("no OBS connection has the role streaming or both")
        for conn in self.obs.for_role("streaming"):
            await conn.control.switch_scene(scene)

    async def open_file(self, path: str, start: float | None = None) -> None:
        """Manual mode: show any clip or recording from the configured folders."""
        if self.player is None:
            raise ReviewError("no player is configured")
        await self.player.open(path, start)

    async def clips(self, limit: int = 100, day: str | None = None) -> list[dict[str, Any]]:
        if self.archive is None:
            return []
        return list(await self._archive_read(self.archive.clips, day=day, limit=limit))

    async def recordings(self, day: str | None = None) -> list[dict[str, Any]]:
        if self.archive is None:
            return []
        return list(await self._archive_read(self.archive.recordings, day))

    async def chapters(self, day: str, *, challenges: bool = True) -> str:
        """The day's YouTube chapter list; ReviewError if YouTube would not accept it."""
        if self.archive is None:
            raise ReviewError("no archive: chapters need the station's database")
        text: str = await self._archive_read(chapters_text, self.archive, day,
                                             challenges=challenges, now=self.clock())
        return text

    def allowed_roots(self) -> list[Path]:
        """Folders whose files the API may serve (recordings and clips)."""
        return [Path(os.path.abspath(self.options.recordings_root))]

