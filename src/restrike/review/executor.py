"""The workflow's commands carried out on OBS and mpv, and how their failures are told.

Saving the replay buffer (and the tail-mode shortcut), filing the clip in the match's
``IVR recordings`` folder, playback, scene switches, overlay events to OBS browser
sources, and preparing the recording OBS for a match. Slow steps run as named tasks
(``spawn``) so the workflow never waits on OBS; their results come back as workflow
inputs (``feed``: replay saved or failed). Each step catches our errors
(``RestrikeError``): OBS or mpv being away never stops the station, it becomes the
review's error (``report``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from restrike.errors import ObsError, PlayerError, RestrikeError, ReviewError
from restrike.playback.probe import media_duration
from restrike.review.angles import AngleSave, ClipAngle, align, common_start
from restrike.review.cameras import Cameras
from restrike.review.naming import IVR_FOLDER, safe_component
from restrike.review.options import ReviewOptions
from restrike.review.ports import ObsLink, ObsPoolView, ReviewPlayer
from restrike.review.tracking import OutputTracker
from restrike.review.workflow import (
    EnsureReplayBuffer,
    Input,
    PlayClip,
    PrepareRecording,
    ReplayFailed,
    ReplaySaved,
    ReviewRecord,
    SaveReplay,
    StopPlayback,
    SwitchScene,
)

__all__ = ["OVERLAY_EVENT", "CommandExecutor", "PeerCommand"]

log = logging.getLogger(__name__)

#: DOM event name the OBS browser-source overlays receive (obs-browser ``emit_event``).
OVERLAY_EVENT = "restrike-review"

Spawn = Callable[[Coroutine[Any, Any, Any], str], asyncio.Task[Any]]
#: The workflow's commands for OBS and mpv.
PeerCommand = (SaveReplay | PlayClip | StopPlayback | SwitchScene | EnsureReplayBuffer
               | PrepareRecording)


class CommandExecutor:
    """Carries out the OBS and mpv commands of the workflow.

    ``options`` gives the review's current options (they change live); ``outputs`` is
    told what the recording OBS is set up for and when its replay buffer started.
    ``timings`` keeps, per review id, when each step happened (the log and the bench).
    """

    def __init__(self, *, options: Callable[[], ReviewOptions], obs: ObsPoolView | None,
                 player: ReviewPlayer | None, outputs: OutputTracker,
                 clock: Callable[[], float], feed: Callable[[Input], None], spawn: Spawn,
                 report: Callable[[str], None]) -> None:
        self.obs = obs
        self.player = player
        self.timings: dict[int, dict[str, float]] = {}
        self._options = options
        self._outputs = outputs
        self._clock = clock
        self._feed = feed
        self._spawn = spawn
        self._report = report
        self._tail_reviews: set[int] = set()
        self.cameras = Cameras(obs, clock=clock, report=report)
        self._prepare_lock = asyncio.Lock()
        self._replay_applied: tuple[str, int] | None = None  # replay folder and length set

    # -- the workflow's commands -------------------------------------------------------

    async def execute(self, cmd: PeerCommand) -> None:
        """Carry out ``cmd``: at once (play, stop), or started as a task (the others)."""
        match cmd:
            case SaveReplay():
                self.save_replay(cmd.review_id, cmd.requested_by)
            case PlayClip():
                await self.play_clip(cmd.review_id, cmd.path, cmd.start, cmd.angles)
            case StopPlayback():
                await self.stop_playback(cmd.review_id)
            case SwitchScene():
                self.switch_scene(cmd.scene)
            case EnsureReplayBuffer():
                self.ensure_replay_buffer()
            case PrepareRecording():
                self.prepare_recording(cmd)

    def save_replay(self, review_id: int, requested_by: str) -> None:
        """Save the replay buffer (a task); ReplaySaved or ReplayFailed comes back."""
        for old in [k for k in self.timings if k <= review_id - 100]:
            del self.timings[old]  # timings are for the bench and the log only
        self.timings.setdefault(review_id, {})["requested"] = self._clock()
        self._spawn(self._save(review_id, requested_by), f"review-save-{review_id}")

    async def play_clip(self, review_id: int, path: str, start: float,
                        angles: tuple[ClipAngle, ...] = ()) -> None:
        """Show the saved clip (not when tail mode already shows the live recording)."""
        if review_id not in self._tail_reviews:
            await self._play(review_id, path, start, angles)

    def reopen(self, review: ReviewRecord) -> None:
        """The player restarted without the clip: show the review's (saved) clip again."""
        if review.clip is not None:
            self._spawn(self._play(review.id, review.clip, review.start, review.angles),
                        "review-reopen")

    async def stop_playback(self, review_id: int) -> None:
        self._tail_reviews.discard(review_id)
        if self.player is not None:
            with contextlib.suppress(PlayerError):
                await self.player.stop()

    def switch_scene(self, scene: str) -> None:
        self._spawn(self._switch(scene), f"review-scene-{scene}")

    def emit_overlay(self, event: str, body: dict[str, Any]) -> None:
        """``body`` as the DOM event of every browser source of the streaming OBS."""
        if self.obs is not None:
            self._spawn(self._emit_browser(self.obs, body), f"review-overlay-{event}")

    def ensure_replay_buffer(self) -> None:
        self._spawn(self._ensure_all_buffers(), "review-ensure-replay-buffer")

    def prepare_recording(self, cmd: PrepareRecording) -> None:
        self._spawn(self._prepare(cmd), "review-prepare-recording")

    # -- what the clip covers ----------------------------------------------------------

    def clip_start(self, clip_end: float) -> float:
        """Wall time of a clip's first frame: the buffer holds clip_seconds, or less if
        it started more recently than that."""
        length = float(self._options().clip_seconds)
        started = self._outputs.replay_started_at
        if started is not None:
            length = min(length, max(0.0, clip_end - started))
        return clip_end - length

    def clip_window_start(self, review: ReviewRecord) -> float | None:
        """Wall time of the review's clip's first frame (None until it is saved)."""
        if review.saved_at is None:
            return None
        known = self.timings.get(review.id, {}).get("clip_start")
        return known if known is not None else self.clip_start(review.saved_at)

    # -- manual mode (errors go to the caller) ---------------------------------------------

    async def show_scene(self, scene: str) -> None:
        """``scene`` on every streaming OBS; ReviewError without one, ObsError from OBS."""
        conns = self.obs.for_role("streaming") if self.obs is not None else []
        if not conns:
            raise ReviewError("no OBS connection has the role streaming or both")
        for conn in conns:
            await conn.control.switch_scene(scene)

    async def open_file(self, path: str, start: float | None = None) -> None:
        """Any clip or recording in the player; ReviewError without one, PlayerError."""
        if self.player is None:
            raise ReviewError("no player is configured")
        await self.player.open(path, start)

    # -- the steps -------------------------------------------------------------------------

    def _recording_obs(self) -> ObsLink:
        if self.obs is None:
            raise ReviewError("no OBS is configured for recording ([[obs]] role recording)")
        conns = self.obs.for_role("recording")
        if not conns:
            raise ReviewError("no OBS connection has the role recording or both")
        for conn in conns:
            if conn.status.connected:
                return conn
        return conns[0]  # .control raises ObsUnavailable with the reason

    async def _save(self, review_id: int, requested_by: str) -> None:
        """Every angle's replay buffer at once (the recording OBS first); the review goes
        on with the angles saved, the others are named as missing."""
        options = self._options()
        times = self.timings.setdefault(review_id, {})
        try:
            conn = self._recording_obs()
            if options.mode == "tail" and conn.status.connected:
                self._spawn(self._play_tail(review_id, conn), f"review-tail-{review_id}")
        except RestrikeError as err:  # the workflow reports it (ReplayFailed → Notice)
            self._feed(ReplayFailed(review_id, f"replay not saved: {err}", self._clock()))
            return
        links = [conn, *self.cameras.links()]
        times["save_sent"] = self._clock()
        saves = await asyncio.gather(*(
            self._save_one(review_id, requested_by, link, multi=len(links) > 1)
            for link in links))
        first = next((save for save in saves if save.path is not None), None)
        if first is None:
            errors = "; ".join(f"{s.name}: {s.error}" for s in saves) if len(saves) > 1 \
                else saves[0].error
            self._feed(ReplayFailed(review_id, f"replay not saved: {errors}", self._clock()))
            return
        start = common_start(saves) if len(saves) > 1 else first.clip_start
        times["clip_start"] = start if start is not None else self.clip_start(first.clip_end)
        angles = align(saves) if len(saves) > 1 else ()
        assert first.path is not None
        self._feed(ReplaySaved(review_id, first.path, first.clip_end, angles))

    async def _save_one(self, review_id: int, requested_by: str, link: ObsLink, *,
                        multi: bool) -> AngleSave:
        """One angle saved, moved into the IVR folder (while slower angles still save),
        with its first frame's time."""
        path, sent, took, error = await self.cameras.save(
            link, timeout_s=self._options().save_timeout)
        times = self.timings.setdefault(review_id, {})
        times[f"save:{link.name}"] = took
        times["saved"] = max(times.get("saved", 0.0), sent + took)  # the last one saved
        if path is None:
            return AngleSave(link.angle_name, link.name, None, sent, error=error)
        # One worker-thread hop for the move and the probe: the slowest angle's run
        # here lies between its save and the player.
        target = self._clip_target(review_id, Path(path), requested_by,
                                   angle=link.name if multi else None)
        path, length = await asyncio.to_thread(_settle, Path(path), target, measure=multi)
        start = sent - length if length is not None else self.clip_start(sent)
        return AngleSave(link.angle_name, link.name, path, sent, start)

    def _clip_target(self, review_id: int, source: Path, requested_by: str,
                     angle: str | None = None) -> Path:
        """Where a saved replay is filed: the match's ``IVR recordings`` folder, named
        after the match, the review, who asked and the angle (see ``_settle``)."""
        prepared = self._outputs.prepared
        folder = Path(prepared.replay_folder) if prepared else (
            Path(self._options().recordings_root) / IVR_FOLDER)
        stem = prepared.stem if prepared else "replay"
        who = safe_component(requested_by) + (f"_{safe_component(angle)}" if angle else "")
        return folder / f"{stem}_review{review_id}_{who}_{source.name}"

    async def _play_tail(self, review_id: int, conn: ObsLink) -> None:
        """Tail mode: open the live recording ``clip - start_offset`` s before its end."""
        path = conn.status.record_path
        options = self._options()
        try:
            status = await conn.control.recording_status()
            if not status.active or not path or status.duration_ms is None:
                raise ReviewError("the recording is not running or its file is unknown")
            back = options.clip_seconds - options.start_offset
            start = max(0.0, status.duration_ms / 1000.0 - back)
            self._tail_reviews.add(review_id)
            self.timings.setdefault(review_id, {})["tail_start"] = start
            await self._play(review_id, path, start)
        except RestrikeError as err:
            self._tail_reviews.discard(review_id)
            log.warning("review %s: tail playback failed (%s); waiting for the clip",
                        review_id, err)

    async def _play(self, review_id: int, path: str, start: float,
                    angles: tuple[ClipAngle, ...] = ()) -> None:
        if self.player is None:
            self._feed(ReplayFailed(review_id, "no player configured", self._clock()))
            return
        shown = [(a.path, a.offset) for a in angles if a.path is not None]
        try:
            if len(shown) > 1:
                await self.player.open_angles(shown, start)
            else:
                await self.player.open(path, start)
            self.timings.setdefault(review_id, {})["opened"] = self._clock()
        except PlayerError as err:
            self._tail_reviews.discard(review_id)
            self._feed(ReplayFailed(review_id, f"player cannot play {path}: {err}",
                                    self._clock()))

    async def _switch(self, scene: str) -> None:
        if self.obs is None:
            return
        for conn in self.obs.for_role("streaming"):
            try:
                await conn.control.switch_scene(scene)
            except ObsError as err:
                if err.code == 600:  # no such scene: create it so the next switch works
                    with contextlib.suppress(ObsError):
                        await conn.control.create_scene(scene)
                        await conn.control.switch_scene(scene)
                        continue
                self._report(f"scene {scene!r} on OBS {conn.name!r}: {err}")

    @staticmethod
    async def _emit_browser(obs: ObsPoolView, body: dict[str, Any]) -> None:
        """obs-browser's ``emit_event``: a DOM event in every browser source of that OBS."""
        for conn in obs.for_role("streaming"):
            try:
                request = getattr(conn.control, "request", None)
            except ObsError:
                continue  # disconnected: overlays still get the event over /ws/live
            if request is None:
                continue  # v4 has no vendor requests
            with contextlib.suppress(ObsError):
                await request("CallVendorRequest", {
                    "vendorName": "obs-browser", "requestType": "emit_event",
                    "requestData": {"event_name": OVERLAY_EVENT, "event_data": body}})

    async def _ensure_replay_buffer(self) -> None:
        try:
            conn = self._recording_obs()
            if not (await conn.control.replay_buffer_status()).active:
                await conn.control.start_replay_buffer()
        except RestrikeError as err:
            self._report(f"replay buffer: {err}")

    async def _ensure_all_buffers(self) -> None:
        await asyncio.gather(self._ensure_replay_buffer(), self.cameras.ensure())

    async def _prepare(self, cmd: PrepareRecording) -> None:
        """Folder, name and replay length on the recording OBS; (re)start both outputs."""
        async with self._prepare_lock:  # match loads in a row must not interleave
            self._outputs.recording_prepared(cmd)
            await asyncio.gather(self._prepare_locked(cmd),
                                 self.cameras.prepare(cmd.folder, cmd.stem, cmd.replay_seconds))

    async def _prepare_locked(self, cmd: PrepareRecording) -> None:
        try:
            conn = self._recording_obs()
            control = conn.control
            status = await control.recording_status()
            current = conn.status.record_path
            same = current is not None and Path(current).name.startswith(cmd.stem)
            if status.active and (same or not cmd.restart):
                await self._ensure_replay_buffer()
                return
            if status.active:
                await control.stop_recording()
            # The replay buffer keeps running across matches when its folder and length
            # stay the same (a challenge early in the next match still gets a full clip);
            # saved clips are renamed after their match anyway (_settle).
            wanted = (str(cmd.folder), cmd.replay_seconds)
            replay = await control.replay_buffer_status()
            keep_replay = replay.active and self._replay_applied == wanted
            if replay.active and not keep_replay:
                await control.stop_replay_buffer()
            await control.set_record_folder(cmd.folder)
            await control.set_filename_pattern(cmd.filename_pattern)
            await control.set_replay_buffer_seconds(cmd.replay_seconds)
            # OBS 29 saves replays in the recording folder; _settle moves each saved
            # clip into the IVR folder.
            await asyncio.to_thread(_mkdir, cmd.replay_folder)
            await control.start_recording()
            if not keep_replay:
                await control.start_replay_buffer()
                self._outputs.replay_buffer_started(self._clock())
            self._replay_applied = wanted
        except RestrikeError as err:
            self._report(f"recording for match {cmd.identity.number}: {err}")


def _mkdir(folder: os.PathLike[str] | str) -> None:
    Path(folder).mkdir(parents=True, exist_ok=True)


def _settle(source: Path, target: Path, *, measure: bool) -> tuple[str, float | None]:
    """Move a saved replay to ``target`` and, with ``measure``, read its length from its
    header (a worker thread). OBS 29 saves replays next to the recordings: a rename on
    the same disk costs well under a millisecond. When OBS runs on another machine (the
    path is not here) or the move fails, the clip stays where OBS put it."""
    try:
        _move(source, target)
        filed = target
    except OSError as err:
        log.info("clip %s left where OBS saved it: %s", source, err)
        filed = source
    return str(filed), media_duration(filed) if measure else None


def _move(source: Path, target: Path) -> None:
    if not source.is_file():
        raise FileNotFoundError(f"{source} is not on this machine")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
