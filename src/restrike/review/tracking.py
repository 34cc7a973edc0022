"""Following OBS's outputs for the archive: recording sessions and the stream timeline.

Fed with what the OBS pool publishes (``ObsStatus`` on every change, ``ConnectionEvent``
for OBS events): a recording that starts or stops opens or closes a recording-session
row (a lost OBS connection is noted as an interruption); the streaming OBS's stream
states build the day's :class:`~restrike.review.streams.StreamTimeline`, saved as a
stream session, after which every linked event's stream offset is recomputed.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from restrike.review.streams import StreamTimeline
from restrike.review.workflow import ObsReconnected

if TYPE_CHECKING:
    from restrike.review.component import Review

__all__ = ["OutputTracker"]


class OutputTracker:
    """The recording and streaming side of one :class:`Review` (its archive thread, its day)."""

    def __init__(self, review: Review) -> None:
        self.review = review
        self.timeline = StreamTimeline()
        self.replay_started_at: float | None = None
        self._connected: dict[str, bool] = {}
        # (obs name, output) → (session row id once written, started at)
        self._recording: dict[tuple[str, str], tuple[int | None, float]] = {}
        self._stream_session: int | None = None  # touched on the archive thread only
        self._stream_day: str | None = None

    def seed(self, statuses: list[Any]) -> None:
        for status in statuses:
            self._connected[status.name] = status.connected

    def on_obs(self, item: Any) -> None:
        from restrike.obs.settings import ConnectionEvent, ObsStatus

        if isinstance(item, ObsStatus):
            self._on_status(item, self.review.clock())
        elif isinstance(item, ConnectionEvent):
            self._on_event(item, self.review.clock())

    def _on_status(self, item: Any, now: float) -> None:
        review = self.review
        was = self._connected.get(item.name, False)
        self._connected[item.name] = item.connected
        serves = item.role in ("recording", "both")
        if serves and item.connected and not was:
            review._feed(ObsReconnected(now))
        elif serves and was and not item.connected:
            for (name, _output), (session, _) in self._recording.items():
                if name == item.name and session is not None and review.archive is not None:
                    review._archive_call(review.archive.add_interruption, session, now, None,
                                         f"OBS connection lost: {item.error or ''}".strip(": "))
        if item.role in ("streaming", "both"):
            # Status polls back up the stream events (both are idempotent on the timeline).
            if (was and not item.connected) or item.stream_reconnecting or (
                    item.connected and not item.streaming):
                self._stream_change(now, stop=True, ended=not item.streaming)
            elif item.connected and item.streaming and not self.timeline.live:
                self._stream_change(now, stop=False, reason="reconnected")

    def _on_event(self, item: Any, now: float) -> None:
        from restrike.obs.events import (
            OutputState,
            RecordStateChanged,
            ReplayBufferStateChanged,
            StreamStateChanged,
        )

        obs = self.review.obs
        role = obs.get(item.name).role if obs is not None and item.name in obs else "both"
        event = item.event
        if isinstance(event, RecordStateChanged) and role in ("recording", "both"):
            if event.state is OutputState.STARTED:
                self._recording_started(item.name, "recording", event.path, now)
            elif event.state is OutputState.STOPPED:
                self._recording_stopped(item.name, "recording", event.path, now)
        elif isinstance(event, ReplayBufferStateChanged) and role in ("recording", "both"):
            if event.state is OutputState.STARTED:
                self.replay_started_at = now
                prepared = self.review._prepared
                folder = str(prepared.replay_folder) if prepared else None
                self._recording_started(item.name, "replay_buffer", folder, now)
            elif event.state is OutputState.STOPPED:
                self._recording_stopped(item.name, "replay_buffer", None, now)
        elif isinstance(event, StreamStateChanged) and role in ("streaming", "both"):
            if event.state in (OutputState.STARTED, OutputState.RECONNECTED):
                self._stream_change(now, stop=False, reason=(
                    "reconnected" if event.state is OutputState.RECONNECTED else "started"))
            elif event.state in (OutputState.RECONNECTING, OutputState.STOPPED):
                self._stream_change(now, stop=True, ended=event.state is OutputState.STOPPED)

    # -- recording sessions ------------------------------------------------------------

    def _recording_started(self, name: str, output: str, path: str | None, now: float) -> None:
        review = self.review
        key = (name, output)
        self._recording_stopped(name, output, None, now)
        prepared = review._prepared
        identity = prepared.identity if prepared else review.flow.identity
        self._recording[key] = (None, now)
        if review.archive is None:
            return
        future = review._archive_call(
            review.archive.start_recording, day=review._day, output=output, obs_name=name,
            started_at=now, path=path, folder=str(prepared.folder) if prepared else None,
            name=prepared.stem if prepared else None,
            match=identity.number if identity else None,
            match_key=identity.key if identity else None,
            title=identity.title if identity else None)

        def remember(f: asyncio.Future[Any]) -> None:
            if not f.cancelled() and f.exception() is None and key in self._recording:
                self._recording[key] = (int(f.result()), now)

        future.add_done_callback(remember)

    def _recording_stopped(self, name: str, output: str, path: str | None, now: float) -> None:
        session = self._recording.pop((name, output), None)
        archive = self.review.archive
        if session is None or archive is None:
            return

        def end() -> None:  # on the archive thread: the row exists by now
            rec = archive.session_started(name, output, session[1])
            if rec is not None:
                archive.end_recording(rec, now, path)

        self.review._archive_call(end)

    # -- the stream --------------------------------------------------------------------

    def _stream_change(self, now: float, *, stop: bool, reason: str = "started",
                       ended: bool = False) -> None:
        review = self.review
        before = self.timeline
        day = review._day
        if stop:
            self.timeline = self.timeline.stop(now)
        else:
            if self._stream_day != day:
                self._stream_day = day
                review._archive_call(setattr, self, "_stream_session", None)
            self.timeline = self.timeline.start(now, reason)
        if self.timeline == before or review.archive is None:
            return
        archive, timeline = review.archive, self.timeline
        session_timeline = StreamTimeline(tuple(
            s for s in timeline.segments if s.started_at >= _session_start(timeline)))
        names = [c.name for c in review.obs.for_role("streaming")] if review.obs else []
        obs_name = names[0] if names else "obs"

        def write() -> None:  # on the archive thread, in order: owns _stream_session
            session = archive.save_stream(self._stream_session, day=day, obs_name=obs_name,
                                          timeline=session_timeline)
            self._stream_session = None if ended else session
            archive.recompute_stream_offsets(day, timeline)

        review._archive_call(write)


def _session_start(timeline: StreamTimeline) -> float:
    """Start of the current stream session: the last segment that was a fresh start."""
    for seg in reversed(timeline.segments):
        if seg.reason == "started":
            return seg.started_at
    return timeline.segments[0].started_at if timeline.segments else 0.0
