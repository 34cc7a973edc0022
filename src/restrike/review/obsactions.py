"""What the Review asks of OBS and mpv, and how failures become the review's error.

A mixin of :class:`~restrike.review.component.Review`: the replay-buffer save (and the
tail-mode shortcut), filing the clip in the ``IVR recordings`` folder, playback, scene
switches, overlay events to OBS browser sources, and preparing the recording OBS for a
match. Each step catches our errors (``RestrikeError``): OBS or mpv being away never
stops the station, it shows up as the review's ``error``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restrike.errors import ObsError, PlayerError, RestrikeError, ReviewError
from restrike.review.naming import IVR_FOLDER, safe_component
from restrike.review.options import ReviewOptions
from restrike.review.workflow import (
    Input,
    PrepareRecording,
    ReplayFailed,
    ReplaySaved,
    WorkflowState,
)

if TYPE_CHECKING:
    from restrike.review.tracking import OutputTracker

__all__ = ["OVERLAY_EVENT", "ObsActions"]

log = logging.getLogger(__name__)

#: DOM event name the OBS browser-source overlays receive (obs-browser ``emit_event``).
OVERLAY_EVENT = "restrike-review"


class ObsActions:
    """The side-effecting steps; the state they use lives on the Review."""

    options: ReviewOptions
    obs: Any
    player: Any
    bus: Any
    clock: Callable[[], float]
    flow: WorkflowState
    tracker: OutputTracker
    last_error: str | None
    timings: dict[int, dict[str, float]]
    _tail_reviews: set[int]
    _prepare_lock: asyncio.Lock
    _prepared: PrepareRecording | None
    _replay_applied: tuple[str, int] | None

    def _feed(self, event: Input, check: Callable[[], None] | None = None
              ) -> asyncio.Future[dict[str, Any]] | None:
        raise NotImplementedError

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        raise NotImplementedError

    def review_json(self, now: float | None = None) -> dict[str, Any]:
        raise NotImplementedError

    def _recording_obs(self) -> Any:
        if self.obs is None:
            raise ReviewError("no OBS is configured for recording ([[obs]] role recording)")
        conns = self.obs.for_role("recording")
        if not conns:
            raise ReviewError("no OBS connection has the role recording or both")
        for conn in conns:
            if conn.status.connected:
                return conn
        return conns[0]  # .control raises ObsUnavailable with the reason

    async def _save(self, review_id: int) -> None:
        sent = self.clock()
        try:
            conn = self._recording_obs()
            control = conn.control
            if self.options.mode == "tail":
                self._spawn(self._play_tail(review_id, conn), f"review-tail-{review_id}")
            self.timings.setdefault(review_id, {})["save_sent"] = sent
            path = await control.save_replay_buffer(timeout_s=self.options.save_timeout)
        except RestrikeError as err:  # the workflow reports it (ReplayFailed → Notice)
            self._feed(ReplayFailed(review_id, f"replay not saved: {err}", self.clock()))
            return
        self.timings[review_id]["saved"] = self.clock()
        self.timings[review_id]["clip_start"] = self._clip_start(sent)
        path = await self._file_clip(review_id, path)
        self._feed(ReplaySaved(review_id, path, sent))

    def _clip_start(self, clip_end: float) -> float:
        """Wall time of a clip's first frame: the buffer holds clip_seconds, or less if
        it started more recently than that."""
        length = float(self.options.clip_seconds)
        started = self.tracker.replay_started_at
        if started is not None:
            length = min(length, max(0.0, clip_end - started))
        return clip_end - length

    async def _file_clip(self, review_id: int, path: str) -> str:
        """Move a saved replay into the match's ``IVR recordings`` folder, named after it.

        OBS 29 saves replays next to the recordings; a rename on the same disk costs well
        under a millisecond. When OBS runs on another machine (the path is not here) or
        the move fails, the clip stays where OBS put it.
        """
        prepared = self._prepared
        folder = Path(prepared.replay_folder) if prepared else (
            Path(self.options.recordings_root) / IVR_FOLDER)
        review = self.flow.active if self.flow.active and self.flow.active.id == review_id \
            else None
        who = safe_component(review.requested_by if review else "operator")
        stem = prepared.stem if prepared else "replay"
        source = Path(path)
        target = folder / f"{stem}_review{review_id}_{who}_{source.name}"
        try:
            await asyncio.to_thread(_move, source, target)
        except OSError as err:
            log.info("clip %s left where OBS saved it: %s", path, err)
            return path
        return str(target)

    async def _play_tail(self, review_id: int, conn: Any) -> None:
        """Tail mode: open the live recording ``clip - start_offset`` s before its end."""
        path = conn.status.record_path
        try:
            status = await conn.control.recording_status()
            if not status.active or not path or status.duration_ms is None:
                raise ReviewError("the recording is not running or its file is unknown")
            back = self.options.clip_seconds - self.options.start_offset
            start = max(0.0, status.duration_ms / 1000.0 - back)
            self._tail_reviews.add(review_id)
            self.timings.setdefault(review_id, {})["tail_start"] = start
            await self._play(review_id, path, start)
        except RestrikeError as err:
            self._tail_reviews.discard(review_id)
            log.warning("review %s: tail playback failed (%s); waiting for the clip",
                        review_id, err)

    async def _play(self, review_id: int, path: str, start: float) -> None:
        if self.player is None:
            self._feed(ReplayFailed(review_id, "no player configured", self.clock()))
            return
        try:
            await self.player.open(path, start)
            self.timings.setdefault(review_id, {})["opened"] = self.clock()
        except PlayerError as err:
            self._tail_reviews.discard(review_id)
            self._feed(ReplayFailed(review_id, f"player cannot play {path}: {err}",
                                    self.clock()))

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

    def _overlay(self, event: str) -> None:
        body = self._publish(event)
        if self.obs is not None:
            self._spawn(self._emit_browser(body), f"review-overlay-{event}")

    def _report(self, text: str, *, logged: bool = False) -> None:
        """A step failed: log it, keep it for health and ``GET /api/v1/review``, and tell
        every live console at once (``event`` ``review_error``, never coalesced away)."""
        self.last_error = text
        if not logged:
            log.warning("%s", text)
        self._publish("review_error", error=text)

    def _publish(self, event: str, error: str | None = None) -> dict[str, Any]:
        """``{"type": "review", "review": body}`` on /ws/live through the station bus."""
        body = {"event": event, **self.review_json()}
        if error is not None:
            body["error"] = error
        if self.bus is not None:
            from restrike.bus import Broadcast

            self.bus.publish(Broadcast("review", body, coalesce=error is None))
        return body

    async def _emit_browser(self, body: dict[str, Any]) -> None:
        """obs-browser's ``emit_event``: a DOM event in every browser source of that OBS."""
        for conn in self.obs.for_role("streaming"):
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

    async def _prepare(self, cmd: PrepareRecording) -> None:
        """Folder, name and replay length on the recording OBS; (re)start both outputs."""
        async with self._prepare_lock:  # match loads in a row must not interleave
            self._prepared = cmd
            await self._prepare_locked(cmd)

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
            # saved clips are renamed after their match anyway (_file_clip).
            wanted = (str(cmd.folder), cmd.replay_seconds)
            replay = await control.replay_buffer_status()
            keep_replay = replay.active and self._replay_applied == wanted
            if replay.active and not keep_replay:
                await control.stop_replay_buffer()
            await control.set_record_folder(cmd.folder)
            await control.set_filename_pattern(cmd.filename_pattern)
            await control.set_replay_buffer_seconds(cmd.replay_seconds)
            # OBS 29 saves replays in the recording folder; _file_clip moves each saved
            # clip into the IVR folder.
            await asyncio.to_thread(_mkdir, cmd.replay_folder)
            await control.start_recording()
            if not keep_replay:
                await control.start_replay_buffer()
                self.tracker.replay_started_at = self.clock()
            self._replay_applied = wanted
        except RestrikeError as err:
            self._report(f"recording for match {cmd.identity.number}: {err}")


def _mkdir(folder: Any) -> None:
    Path(folder).mkdir(parents=True, exist_ok=True)


def _move(source: Path, target: Path) -> None:
    if not source.is_file():
        raise FileNotFoundError(f"{source} is not on this machine")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
