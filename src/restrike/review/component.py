"""``Review``: the station component of the replay workflow, wired from its parts.

* :class:`~restrike.review.runner.WorkflowRunner` — the queue of inputs and the pure
  ``workflow.step``; what it decides is carried out here (:meth:`Review._execute`).
* :class:`~restrike.review.executor.CommandExecutor` — OBS and mpv (save, play, scene,
  overlay, prepare the recording).
* :class:`~restrike.review.recorder.ArchiveWriter` — the archive, in order on its thread.
* :class:`~restrike.review.tracking.OutputTracker` — recording sessions and the stream.

Its inputs come from the station's bus: ``MessagesParsed`` (challenges, through
:func:`~restrike.review.court.court_inputs`), ``StateChanged`` (the match state: quota
and the loaded match; the review keeps no state of its own) and ``SettingsChanged``
(its live options), plus the console, the API, the hotkey, OBS and the player.

Failures never stop the station: an unreachable OBS or mpv becomes the review's
``error`` (stored with the clip row), a warning in the log and, at once, a
``review_error`` message to every live console (:meth:`Review._report`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from restrike.bus import Broadcast, Bus, MessagesParsed, SettingsChanged, StateChanged
from restrike.errors import ConfigError, FeatureLockedError, ReviewError
from restrike.kernel.gates import RECORDING, REPLAY, FeatureGates, Gates
from restrike.logs.repeats import RepeatGate
from restrike.playback.player import PlaybackClosed, PlayerEvent, PlayerRestarted
from restrike.protocol import MatchState
from restrike.review.api import make_router
from restrike.review.court import court_inputs, identity_change
from restrike.review.executor import OVERLAY_EVENT, CommandExecutor
from restrike.review.hotkey import Hotkey, start_on_loop
from restrike.review.naming import MatchIdentity
from restrike.review.options import ReviewOptions
from restrike.review.ports import ObsPoolView, ReviewContext, ReviewPlayer
from restrike.review.recorder import ArchiveWriter, StoreSource
from restrike.review.rules import marker_at
from restrike.review.runner import WorkflowRunner
from restrike.review.streams import StreamTimeline
from restrike.review.tracking import OutputTracker
from restrike.review.view import review_body
from restrike.review.workflow import (
    ChallengeRequested,
    Command,
    Input,
    MatchLoaded,
    Notice,
    Overlay,
    PlaybackEnded,
    PrepareRecording,
    ReplayFailed,
    Resolved,
    ReviewRecord,
    SaveReplay,
    StoreReview,
    WorkflowState,
)
from restrike.store import Store

__all__ = ["OVERLAY_EVENT", "Review"]

log = logging.getLogger(__name__)


class Review:
    """The station's replay component (``name = "review"``).

    ``Review(options, store=store, obs=pool, player=player, hotkey=hotkey)``, then
    ``await review.start(ctx)`` (the station: its bus, ``add_router``, ``create_task``
    and ``live``) and ``await review.stop(stage)``. Without ``store`` reviews are not
    archived; without ``obs`` or ``player`` each step that needs them fails with a
    clear error. ``gates`` (the station's feature gates): while ``replay`` is refused
    no replay is saved or shown (the API answers 403), while ``recording`` is refused
    the matches are not recorded; the rest of the workflow goes on.
    """

    name = "review"

    def __init__(self, options: ReviewOptions, *, store: Store | StoreSource | None = None,
                 obs: ObsPoolView | None = None, player: ReviewPlayer | None = None,
                 hotkey: Hotkey | None = None, clock: Callable[[], float] = time.time,
                 gates: FeatureGates | None = None) -> None:
        self.options = options
        self.gates: FeatureGates = gates if gates is not None else Gates()
        self.obs = obs
        self.player = player
        self.hotkey = hotkey
        self.clock = clock
        self._repeats = RepeatGate()
        self.last_error: str | None = None
        self.runner = WorkflowRunner(lambda: self.options.workflow, self._execute,
                                     prepare=self._with_names,
                                     on_error=functools.partial(self._report, logged=True))
        self.writer = ArchiveWriter(store, clock=clock, report=self._report)
        self.tracker = OutputTracker(self.writer, obs=obs, clock=clock, feed=self.runner.feed,
                                     identity=lambda: self.runner.state.identity)
        self.executor = CommandExecutor(options=lambda: self.options, obs=obs, player=player,
                                        outputs=self.tracker, clock=clock,
                                        feed=self.runner.feed, spawn=self._spawn,
                                        report=self._report)
        self._ctx: ReviewContext | None = None
        self._bus: Bus | None = None
        self._state = MatchState()  # the station's, as of the last StateChanged
        self._identity_seen: MatchIdentity | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._attaching: asyncio.Task[Any] | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._running = False

    @classmethod
    def from_settings(cls, settings: Any, *, data_dir: Path, **kwargs: Any) -> Review:
        """The component of ``restrike run``: ``[review]`` and ``[playback]`` settings."""
        options = ReviewOptions.from_settings(settings.review, getattr(settings, "playback",
                                                                       None), data_dir=data_dir)
        return cls(options, **kwargs)

    # -- what the review shows of its parts ------------------------------------------------

    @property
    def flow(self) -> WorkflowState:
        """The workflow's state: the open review, the last one, the loaded match."""
        return self.runner.state

    @property
    def state(self) -> MatchState:
        """The match state of the station's last ``StateChanged``."""
        return self._state

    @property
    def timeline(self) -> StreamTimeline:
        """The day's stream so far (segments across interruptions)."""
        return self.tracker.timeline

    @property
    def timings(self) -> dict[int, dict[str, float]]:
        """Per review id, when each step happened (the log and ``restrike bench replay``)."""
        return self.executor.timings

    def idle(self) -> bool:
        """Nothing queued, running or being written (tests and the bench wait for it)."""
        return self.runner.idle() and not self._tasks and not self.writer.busy()

    # -- life cycle ------------------------------------------------------------------

    async def start(self, ctx: ReviewContext) -> None:
        """Attach the archive, start the workflow, follow the bus, OBS and the player."""
        self._ctx = ctx
        self._bus = ctx.bus
        self._running = True
        self.writer.start()
        stored = await self.writer.attach(self.clock())
        if stored is not None:
            self.tracker.resume(stored, self.clock())  # a new run: a new stream segment
        elif self.writer.has_store:
            log.warning("review: the store is not open yet: reviews are not archived until "
                        "it opens")
            self._attaching = ctx.create_task(self._attach_later(), name="review-archive")
        else:
            log.warning("review: no store given, reviews are not archived")
        self.runner.start(ctx.create_task)
        ctx.add_router(make_router(self))
        # No await from here on: the state and the subscriptions start at the same batch.
        self._state = ctx.live.state
        bus = ctx.bus
        self._unsubscribe += [bus.subscribe(MessagesParsed, self._on_parsed),
                              bus.subscribe(StateChanged, self._on_state),
                              bus.subscribe(SettingsChanged, self._on_settings)]
        if self.obs is not None:
            self._unsubscribe.append(self.obs.subscribe(self.tracker.on_obs))
            self.tracker.seed(self.obs.statuses())
        if self.player is not None:
            self._unsubscribe.append(self.player.subscribe(self._on_player))
        if self.hotkey is not None and not start_on_loop(self.hotkey, self.hotkey_pressed,
                                                         self.options.hotkey):
            self.hotkey = None
        self._feed_identity(self.clock())

    async def _attach_later(self) -> None:
        stored = await self.writer.attach_when_open(self.clock)
        if stored is not None:
            self.tracker.resume(stored, self.clock())
            log.info("review: the store is open, reviews are archived from now on")

    def hotkey_pressed(self) -> None:
        """The key starts a replay, or closes the open review (one key for the table)."""
        if self.runner.state.active is None:
            if (reason := self.gates.reason(REPLAY)) is not None:
                self._report(reason)
                return
            self.runner.feed(ChallengeRequested(self.clock(), "hotkey", "hotkey"))
        else:
            self.runner.feed(Resolved(self.clock(), "closed", "hotkey", "hotkey"))

    async def stop(self, stage: object = None) -> None:
        """Stop (the station calls this per stage; the review acts in FLUSH).

        FLUSH: the station stops components in reverse start order within a stage, so
        the review finishes its last archive writes before the store (started first)
        flushes and closes. CLOSE if it was not stopped in FLUSH.
        """
        if getattr(stage, "name", "CLOSE") not in ("FLUSH", "CLOSE") or not self._running:
            return
        self._running = False
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self.hotkey is not None:
            self.hotkey.stop()
        await self.runner.stop()
        tasks = [*self._tasks, *([self._attaching] if self._attaching else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.writer.close()

    def health(self) -> dict[str, Any]:
        return {"ok": self._running, "state": "running" if self._running else "stopped",
                "active": self.flow.active is not None, "error": self.last_error,
                "obs": self.obs is not None, "player": self.player is not None,
                "archived": self.writer.archive is not None}

    def apply_options(self, options: ReviewOptions) -> None:
        """New options, whole (live settings); the next step uses them."""
        self.options = options

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """A named task of the station (which logs a failure's traceback)."""
        if self._ctx is None:
            coro.close()
            raise ReviewError("the review component is not running")
        task: asyncio.Task[Any] = self._ctx.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        """Forget a finished task; a failure reaches the consoles."""
        self._tasks.discard(task)
        if not task.cancelled() and (err := task.exception()) is not None:
            self._report(f"review task {task.get_name()} failed: {err}", logged=True)

    # -- inputs from the bus and the player ----------------------------------------------

    def _on_parsed(self, event: MessagesParsed) -> None:
        inputs, self._identity_seen = court_inputs(
            self._state, event.items, quota=self.options.quota, seen=self._identity_seen)
        for item in inputs:
            self.runner.feed(item)

    def _on_state(self, event: StateChanged) -> None:
        self._state = event.state
        self._feed_identity(event.at)

    def _feed_identity(self, at: float) -> None:
        loaded = identity_change(self._state, self._identity_seen, at)
        if loaded is not None:
            self._identity_seen = loaded.identity
            self.runner.feed(loaded)

    def _on_settings(self, event: SettingsChanged) -> None:
        try:
            options = self.options.updated(event.values)
        except ConfigError as err:
            log.warning("review options not applied live: %s", err)
            return
        if options != self.options:
            self.apply_options(options)

    def _on_player(self, event: PlayerEvent) -> None:
        active = self.runner.state.active
        if active is None:
            return
        if isinstance(event, PlaybackClosed):
            self.runner.feed(PlaybackEnded(self.clock(), event.reason))
        elif (isinstance(event, PlayerRestarted) and active.clip
              and not _reopens_itself(self.player)):
            log.info("mpv restarted during review %s: showing its clip again", active.id)
            self.executor.reopen(active)

    # -- carrying out the workflow's commands --------------------------------------------

    async def _with_names(self, event: Input) -> Input:
        """A new match gets the store's current tournament and day (its folder)."""
        if not isinstance(event, MatchLoaded) or event.day:
            return event
        tournament, day = await self.writer.current_names(event.at)
        return MatchLoaded(event.identity, event.at, tournament or self.options.tournament,
                           day)

    async def _execute(self, cmd: Command) -> None:
        match cmd:
            case Overlay():
                self.executor.emit_overlay(cmd.event, self._publish(cmd.event))
            case StoreReview():
                self._archive(cmd.review, cmd.link)
            case SaveReplay() if (reason := self.gates.reason(REPLAY)) is not None:
                self.runner.feed(ReplayFailed(cmd.review_id, reason, self.clock()))
            case PrepareRecording() if (reason := self.gates.reason(RECORDING)) is not None:
                self._report(f"match not recorded: {reason}")
            case Notice(level="warning", text=text):
                self._report(text)
            case Notice(text=text):
                log.info("%s", text)
            case _:
                await self.executor.execute(cmd)

    def _archive(self, review: ReviewRecord, link: bool) -> None:
        opts = self.options
        clip_start = self.executor.clip_window_start(review)
        clip_end = review.saved_at
        window = None
        if link and clip_start is not None and clip_end is not None:
            window = (max(clip_start, clip_end - opts.link_seconds), clip_end)
        self.writer.store_review(review, marker_at=marker_at(review.requested_at, opts.rules),
                                 clip_start=clip_start, link=window,
                                 timeline=self.tracker.timeline)

    def _report(self, text: str, *, logged: bool = False) -> None:
        """A step failed: log it, keep it for health and ``GET /api/v1/review``, and tell
        every live console at once (``event`` ``review_error``, never coalesced away)."""
        self.last_error = text
        if not logged and (line := self._repeats.admit(text)) is not None:
            log.warning("%s", line)  # a flood's repeats are counted, not written
        self._publish("review_error", error=text)

    def _publish(self, event: str, error: str | None = None) -> dict[str, Any]:
        """``{"type": "review", "review": body}`` on /ws/live through the station bus."""
        body = {"event": event, **self.review_json()}
        if error is not None:
            body["error"] = error
        if self._bus is not None:
            self._bus.publish(Broadcast("review", body, coalesce=error is None))
        return body

    # -- what the API and the console use -----------------------------------------------

    def review_json(self, now: float | None = None, *, flow: WorkflowState | None = None
                    ) -> dict[str, Any]:
        """``GET /api/v1/review``: the current (or last) review and the quota."""
        flow = self.flow if flow is None else flow
        review = flow.active or flow.last
        return review_body(flow, self._state, self.options,
                           now=self.clock() if now is None else now,
                           last_error=self.last_error,
                           clip_start=self.executor.clip_window_start(review) if review
                           else None)

    async def request_replay(self, *, requested_by: str = "operator", source: str = "http",
                             seconds: float | None = None) -> dict[str, Any]:
        """Start a manual review (console button, API, hotkey): the new review's JSON.

        ReviewError if a review is open when the workflow gets to this request (two
        concurrent requests: the second is refused, it never gets the first's review);
        FeatureLockedError while the station's gates refuse instant replay.
        """
        if (reason := self.gates.reason(REPLAY)) is not None:
            raise FeatureLockedError(reason)
        if seconds is not None and not 0 < seconds <= self.options.clip_seconds:
            raise ReviewError(f"seconds must be in 0..{self.options.clip_seconds} (the clip "
                              f"length), not {seconds}")
        flow = await self.runner.submit(ChallengeRequested(self.clock(), requested_by, source,
                                                           seconds=seconds), _none_open)
        return self.review_json(flow=flow)

    async def close_review(self, *, decision: str = "closed", decided_by: str = "operator",
                           source: str = "button") -> dict[str, Any]:
        """Resolve the open review (console Close / API); ReviewError if none is open
        when the workflow gets to it (a second concurrent close is refused)."""
        flow = await self.runner.submit(Resolved(self.clock(), decision, decided_by, source),
                                        _one_open)
        return self.review_json(flow=flow)

    async def switch_scene(self, scene: str) -> None:
        """Manual mode: show ``scene`` on the streaming OBS."""
        await self.executor.show_scene(scene)

    async def open_file(self, path: str, start: float | None = None) -> None:
        """Manual mode: show any clip or recording from the configured folders."""
        await self.executor.open_file(path, start)

    async def clips(self, limit: int = 100, day: str | None = None) -> list[dict[str, Any]]:
        return await self.writer.clips(limit, day)

    async def recordings(self, day: str | None = None) -> list[dict[str, Any]]:
        return await self.writer.recordings(day)

    async def chapters(self, day: str, *, challenges: bool = True) -> str:
        """The day's YouTube chapter list; ReviewError if YouTube would not accept it."""
        return await self.writer.chapters(day, challenges=challenges, now=self.clock())

    def allowed_roots(self) -> list[Path]:
        """Folders whose files the API may serve (recordings and clips)."""
        return [Path(os.path.abspath(self.options.recordings_root))]


def _none_open(flow: WorkflowState) -> None:
    if flow.active is not None:
        raise ReviewError(f"review {flow.active.id} is still open: close it before "
                          "a new replay")


def _one_open(flow: WorkflowState) -> None:
    if flow.active is None:
        raise ReviewError("no review is open")


def _reopens_itself(player: object) -> bool:
    """MpvPlayer reopens the clip after a crash itself (``playback.reopen_after_crash``);
    other players do not."""
    return bool(getattr(getattr(player, "settings", None), "reopen_after_crash", False))
