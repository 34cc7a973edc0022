"""Following OBS's outputs for the archive: recording sessions and the stream timeline.

Fed with what the OBS pool publishes (``ObsStatus`` on every change, ``ConnectionEvent``
for OBS events): a recording that starts or stops opens or closes a recording-session
row (a lost OBS connection is noted as an interruption); the streaming OBS's stream
states build the day's :class:`~restrike.review.streams.StreamTimeline`, saved as a
stream session, after which every linked event's stream offset is recomputed.

It also keeps what the recording OBS was set up for (the match's folder and name, told
by the command executor) and since when its replay buffer runs (a clip's first frame
depends on it). It writes through the :class:`~restrike.review.recorder.ArchiveWriter`
and feeds the workflow (OBS reconnected) through ``feed``; nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from restrike.obs.events import (
    OutputState,
    RecordStateChanged,
    ReplayBufferStateChanged,
    StreamStateChanged,
)
from restrike.obs.settings import ConnectionEvent, ObsStatus
from restrike.review.naming import MatchIdentity
from restrike.review.ports import ObsPoolView
from restrike.review.recorder import ArchiveWriter
from restrike.review.streams import StreamTimeline
from restrike.review.workflow import Input, ObsReconnected, PrepareRecording

__all__ = ["OutputTracker"]

log = logging.getLogger(__name__)


class OutputTracker:
    """The recording and streaming side of the review.

    ``identity`` gives the workflow's loaded match (the session's match when the
    recording was not prepared by the review).
    """

    def __init__(self, writer: ArchiveWriter, *, obs: ObsPoolView | None,
                 clock: Callable[[], float], feed: Callable[[Input], None],
                 identity: Callable[[], MatchIdentity | None]) -> None:
        self.timeline = StreamTimeline()
        self.replay_started_at: float | None = None
        self.prepared: PrepareRecording | None = None  # names the next recording session
        self._writer = writer
        self._obs = obs
        self._clock = clock
        self._feed = feed
        self._identity = identity
        self._connected: dict[str, bool] = {}
        # (obs name, output) → (session row id once written, started at)
        self._recording: dict[tuple[str, str], tuple[int | None, float]] = {}
        self._stream_day: str | None = None

    # -- told by the review ----------------------------------------------------------------

    def recording_prepared(self, cmd: PrepareRecording) -> None:
        """The recording OBS is being set up for ``cmd``'s match (before it starts)."""
        self.prepared = cmd

    def replay_buffer_started(self, at: float) -> None:
        self.replay_started_at = at

    def resume(self, stored: StreamTimeline, now: float) -> None:
        """The day's stream as stored by an earlier run: this run continues its offsets
        (kept as it is when this run has seen the stream already: the store opened late)."""
        if not self.timeline.segments:
            self.timeline = stored.stop(now)
        elif stored.segments:
            log.info("stream offsets of this run start at 0: the store opened after the "
                     "stream started, the day's earlier sessions are not joined")

    def seed(self, statuses: Sequence[ObsStatus]) -> None:
        for status in statuses:
            self._connected[status.name] = status.connected

    def on_obs(self, item: ObsStatus | ConnectionEvent) -> None:
        """The OBS pool's subscriber."""
        if isinstance(item, ObsStatus):
            self._on_status(item, self._clock())
        else:
            self._on_event(item, self._clock())

    # -- OBS news ------------------------------------------------------------------------

    def _on_status(self, item: ObsStatus, now: float) -> None:
        was = self._connected.get(item.name, False)
        self._connected[item.name] = item.connected
        serves = item.role in ("recording", "both")
        if item.connected and not was and (serves or item.role == "angle"):
            self._feed(ObsReconnected(now))  # an angle too: its replay buffer must run
        elif serves and was and not item.connected:
            reason = f"OBS connection lost: {item.error or ''}".strip(": ")
            for (name, _output), (session, _) in self._recording.items():
                if name == item.name and session is not None:
                    self._writer.add_interruption(session, now, reason)
        if item.role in ("streaming", "both"):
            # Status polls back up the stream events (both are idempotent on the timeline).
            if (was and not item.connected) or item.stream_reconnecting or (
                    item.connected and not item.streaming):
                self._stream_change(now, stop=True, ended=not item.streaming)
            elif item.connected and item.streaming and not self.timeline.live:
                self._stream_change(now, stop=False, reason="reconnected")

    def _on_event(self, item: ConnectionEvent, now: float) -> None:
        obs = self._obs
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
                prepared = self.prepared
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
        key = (name, output)
        self._recording_stopped(name, output, None, now)
        prepared = self.prepared
        identity = prepared.identity if prepared else self._identity()
        self._recording[key] = (None, now)
        future = self._writer.start_recording(
            output=output, obs_name=name, started_at=now, path=path,
            folder=str(prepared.folder) if prepared else None,
            name=prepared.stem if prepared else None,
            match=identity.number if identity else None,
            match_key=identity.key if identity else None,
            title=identity.title if identity else None)

        def remember(f: asyncio.Future[int | None]) -> None:
            if (not f.cancelled() and f.exception() is None and f.result() is not None
                    and self._recording.get(key, (None, None))[1] == now):
                self._recording[key] = (f.result(), now)

        future.add_done_callback(remember)

    def _recording_stopped(self, name: str, output: str, path: str | None, now: float) -> None:
        session = self._recording.pop((name, output), None)
        if session is not None:
            self._writer.end_recording(name, output, session[1], now, path)

    # -- the stream --------------------------------------------------------------------

    def _stream_change(self, now: float, *, stop: bool, reason: str = "started",
                       ended: bool = False) -> None:
        before = self.timeline
        if stop:
            self.timeline = self.timeline.stop(now)
        else:
            if self._stream_day != self._writer.day:
                self._stream_day = self._writer.day
                self._writer.new_stream_session()
            self.timeline = self.timeline.start(now, reason)
        if self.timeline == before:
            return
        timeline = self.timeline
        session = StreamTimeline(tuple(
            s for s in timeline.segments if s.started_at >= _session_start(timeline)))
        names = [c.name for c in self._obs.for_role("streaming")] if self._obs else []
        self._writer.save_stream(obs_name=names[0] if names else "obs", session=session,
                                 timeline=timeline, ended=ended)


def _session_start(timeline: StreamTimeline) -> float:
    """Start of the current stream session: the last segment that was a fresh start."""
    for seg in reversed(timeline.segments):
        if seg.reason == "started":
            return seg.started_at
    return timeline.segments[0].started_at if timeline.segments else 0.0
