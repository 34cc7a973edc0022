"""The review's archive writer: one ordered thread in front of :class:`Archive`.

Every archive call of the review — clip rows and their event links, recording and
stream sessions, and the reads the API makes — happens in the order the review made
it, so a clip row exists before it is updated and a session before it ends. A write
is one job queued on the store's writer (``Archive.inline``: all its steps in the
writer's transaction), and nobody waits for its commit:
a flood of challenges costs one small queued job each, drained with the next commit.
Reads run on one worker thread after the writes queued before them are committed.
Writes report their failures (``report``); the review never waits for them.

The store may open after the station started (a degraded start, ``Store(retry_open=
True)``): the writer attaches once it is open (:meth:`attach`, :meth:`attach_when_open`)
and until then the review runs unarchived — its reviews still work, their rows are
not kept.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from restrike.errors import RestrikeError, ReviewError
from restrike.review.archive import WRITE_TIMEOUT, Archive, chapters_text, local_day
from restrike.review.naming import day_label
from restrike.review.streams import StreamTimeline
from restrike.review.workflow import ReviewRecord
from restrike.store import Store

__all__ = ["ATTACH_POLL", "ArchiveWriter", "StoreSource"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds between looks at a store that is not open yet.
ATTACH_POLL = 1.0
#: Seconds ``close`` waits for the writes still queued.
CLOSE_TIMEOUT = 5.0


class StoreSource(Protocol):
    """What holds the station's store: ``store`` is it once open, else None (the
    store component while its database cannot be opened)."""

    @property
    def store(self) -> Store | None: ...


def _open_store(source: Store | StoreSource | None) -> Store | None:
    if source is None:
        return None
    store = source if isinstance(source, Store) else source.store
    return store if store is not None and store.is_open else None


class ArchiveWriter:
    """The review's archive, written in order on its own thread.

    ``store`` is the station's :class:`~restrike.store.Store`, or a :class:`StoreSource`
    that has it once it is open; None: no archive at all.
    """

    def __init__(self, store: Store | StoreSource | None, *,
                 clock: Callable[[], float], report: Callable[[str], None]) -> None:
        self.run = uuid.uuid4().hex[:12]  # clip rows are numbered per run
        self.day = local_day(clock())  # the day rows are filed under (the store's)
        self._source = store
        self._report = report
        self._archive: Archive | None = None  # set on the archive thread
        self._thread: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending: set[asyncio.Future[Any]] = set()
        self._last_write: concurrent.futures.Future[Any] | None = None  # reads wait for it
        self._writes_on_thread = 0  # writes queued before the archive was attached
        self._stream_session: int | None = None  # on the archive thread only
        self._attach_error: str | None = None

    @property
    def has_store(self) -> bool:
        return self._source is not None

    @property
    def archive(self) -> Archive | None:
        """The archive once attached (reads from any thread; writes go through here)."""
        return self._archive

    def start(self) -> None:
        if self._thread is None:
            self._thread = concurrent.futures.ThreadPoolExecutor(1, "restrike-review-archive")

    def busy(self) -> bool:
        """Archive calls are queued or running."""
        return bool(self._pending)

    async def attach(self, now: float) -> StreamTimeline | None:
        """Attach to the store if it is open now: the stream the day has so far (its
        sessions as stored); None while it is not open (or already attached)."""
        store = _open_store(self._source)
        if store is None or self._archive is not None:
            return None

        def attach() -> tuple[str, StreamTimeline]:
            archive = Archive(store, run=self.run)
            try:
                day = archive.current_names(now)[1]
                timeline = archive.stream_timeline(day)
            except BaseException:
                archive.close()
                raise
            self._archive = archive  # the calls queued after this one use it
            return day, timeline

        try:
            self.day, timeline = await self._call(attach)
        except RestrikeError as err:
            if str(err) != self._attach_error:
                log.warning("review archive: the store is open but cannot be read yet: %s",
                            err)
            self._attach_error = str(err)
            return None
        return timeline

    async def attach_when_open(self, now: Callable[[], float]) -> StreamTimeline | None:
        """Wait for the store to open (a look every ATTACH_POLL s), then attach (see
        :meth:`attach`)."""
        while self._archive is None:
            timeline = await self.attach(now())
            if timeline is not None:
                return timeline
            await asyncio.sleep(ATTACH_POLL)
        return None

    async def close(self) -> None:
        """Wait for the queued calls (at most CLOSE_TIMEOUT), end the thread, close the
        archive's reader (the store stays open)."""
        if self._pending:
            await asyncio.wait(self._pending, timeout=CLOSE_TIMEOUT)
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.to_thread(thread.shutdown, wait=True)
        archive, self._archive = self._archive, None
        if archive is not None:
            archive.close()

    # -- running calls in order ---------------------------------------------------------

    def _call(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        """Run ``fn`` on the archive thread after every call made before it."""
        if self._thread is None:
            raise ReviewError("the review archive is not running")
        future = asyncio.get_running_loop().run_in_executor(self._thread, fn)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        return future

    def _write(self, job: Callable[[Archive], T]) -> asyncio.Future[T | None]:
        """A write on the archive (skipped while not attached); failures are reported.

        Attached, it is queued on the store's writer at once. Before that it waits on
        the worker thread behind the attach, as do the writes after it until those are
        queued (so the order holds)."""
        archive = self._archive
        if archive is None or self._writes_on_thread:
            self._writes_on_thread += 1
            future = self._call(lambda: self._submit_and_wait(job))
            future.add_done_callback(self._thread_write_done)
        else:
            future = self._submit(archive, job)
        future.add_done_callback(self._written)
        return future

    def _queue(self, archive: Archive, job: Callable[[Archive], T]
               ) -> concurrent.futures.Future[T | None]:
        """``job`` as one writer job (all its steps on the writer's connection); the
        reads wait for it."""
        submitted: concurrent.futures.Future[T | None] = archive.store.call(
            lambda conn: archive.inline(conn, job))
        self._last_write = submitted
        return submitted

    def _submit(self, archive: Archive, job: Callable[[Archive], T]
                ) -> asyncio.Future[T | None]:
        """Queue ``job`` from the loop; the future resolves at its commit."""
        try:
            submitted = self._queue(archive, job)
        except RestrikeError as err:  # the store is closing
            failed: asyncio.Future[T | None] = asyncio.get_running_loop().create_future()
            failed.set_exception(err)
            return failed
        future: asyncio.Future[T | None] = asyncio.wrap_future(submitted)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        return future

    def _submit_and_wait(self, job: Callable[[Archive], T]) -> T | None:
        """On the worker thread (queued before the attach was done): the same job."""
        archive = self._archive
        if archive is None:
            return None
        return self._queue(archive, job).result(WRITE_TIMEOUT)

    def _thread_write_done(self, _future: asyncio.Future[Any]) -> None:
        self._writes_on_thread -= 1

    def _written(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and (err := future.exception()) is not None:
            self._report(f"archive write failed: {err}")

    async def _read(self, job: Callable[[Archive], T], otherwise: T) -> T:
        """A read on the archive, ``otherwise`` while not attached; errors propagate.
        It sees every write made before it (it waits for the last one's commit)."""
        last = self._last_write

        def run() -> T:
            if last is not None:
                concurrent.futures.wait([last], timeout=WRITE_TIMEOUT)
            archive = self._archive
            return job(archive) if archive is not None else otherwise

        return await self._call(run)

    # -- writes ---------------------------------------------------------------------------

    def store_review(self, review: ReviewRecord, *, marker_at: float,
                     clip_start: float | None, link: tuple[float, float] | None,
                     timeline: StreamTimeline) -> None:
        """Insert or update the review's clip row; with ``link`` (start, end), link the
        events received in that window (offsets in the clip, recording and stream)."""
        day = self.day

        def job(archive: Archive) -> None:
            rec = archive.recording_covering(review.requested_at)
            clip_id = archive.save_clip(review, day=day, marker_at=marker_at,
                                        recording_id=rec[0] if rec else None,
                                        clip_start=clip_start, clip_end=review.saved_at)
            if review.angles:
                archive.save_angles(clip_id, review.angles)
            if link is not None and clip_start is not None:
                archive.link_events(clip_id, start=link[0], end=link[1], clip_start=clip_start,
                                    recording_start=rec[1] if rec else None, timeline=timeline)

        self._write(job)

    def start_recording(self, **fields: Any) -> asyncio.Future[int | None]:
        """A recording-session row (``Archive.start_recording`` fields, ``day`` added);
        its id, None while not attached."""
        day = self.day
        return self._write(lambda archive: archive.start_recording(day=day, **fields))

    def end_recording(self, obs_name: str, output: str, started_at: float, ended_at: float,
                      path: str | None) -> None:
        """End the session of ``obs_name``/``output`` that started at ``started_at``."""
        def job(archive: Archive) -> None:  # the row exists by now: written before, in order
            session = archive.session_started(obs_name, output, started_at)
            if session is not None:
                archive.end_recording(session, ended_at, path)

        self._write(job)

    def add_interruption(self, session: int, at: float, reason: str) -> None:
        self._write(lambda archive: archive.add_interruption(session, at, None, reason))

    def new_stream_session(self) -> None:
        """The next stream change starts a new stream-session row (a new day)."""
        def job(_archive: Archive) -> None:
            self._stream_session = None

        self._write(job)

    def save_stream(self, *, obs_name: str, session: StreamTimeline,
                    timeline: StreamTimeline, ended: bool) -> None:
        """Save the current stream session (``session``: its segments) and recompute the
        stream offsets of the day's links from the whole day's ``timeline``."""
        day = self.day

        def job(archive: Archive) -> None:
            saved = archive.save_stream(self._stream_session, day=day, obs_name=obs_name,
                                        timeline=session)
            self._stream_session = None if ended else saved
            archive.recompute_stream_offsets(day, timeline)

        self._write(job)

    # -- reads ------------------------------------------------------------------------------

    async def current_names(self, at: float) -> tuple[str | None, str]:
        """(tournament, day's folder name) the store has as current — the local date
        without a store or when it cannot be read; the date becomes the day rows are filed
        under, the folder adds the day's name (`day_label`)."""
        names: tuple[str | None, str, str] = (None, local_day(at), "")
        try:
            names = await self._read(lambda archive: archive.current_names(at), names)
        except RestrikeError as err:  # the folder falls back to the local date
            log.warning("no current tournament/day from the store: %s", err)
        self.day = names[1]
        return names[0], day_label(names[1], names[2])

    async def clips(self, limit: int, day: str | None) -> list[dict[str, Any]]:
        return await self._read(lambda archive: archive.clips(day=day, limit=limit), [])

    async def recordings(self, day: str | None) -> list[dict[str, Any]]:
        return await self._read(lambda archive: archive.recordings(day), [])

    async def chapters(self, day: str, *, challenges: bool, now: float) -> str:
        """The day's YouTube chapters; ReviewError without an archive or chapters."""
        def job(archive: Archive) -> str:
            return chapters_text(archive, day, challenges=challenges, now=now)

        text = await self._read(job, None)
        if text is None:
            raise ReviewError("no archive: chapters need the station's database")
        return text
