"""Highlight reels built in the background for the API and the console, one at a time.

A job is queued on the loop, built on a worker thread (ffmpeg runs there), and its
status — queued, running (progress 0..1 and the current step), done (the reel's
figures), failed (why) — is read by ``GET /api/v1/highlights/{id}`` and pushed on
/ws/live as ``{"type": "highlights"}``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restrike.analysis.ffmpeg import find_tools
from restrike.analysis.highlights import ReelRequest, build_reel, collect
from restrike.bus import Broadcast, Bus
from restrike.errors import AnalysisError, RestrikeError
from restrike.kernel import StoreAccess

__all__ = ["MAX_JOBS", "Job", "ReelJobs"]

log = logging.getLogger(__name__)

MAX_JOBS = 50  # kept in memory (the oldest finished ones go first)
MAX_WAITING = 4


@dataclass(slots=True)
class Job:
    id: int
    request: ReelRequest
    output: Path
    state: str = "queued"  # queued | running | done | failed
    progress: float = 0.0
    step: str = ""
    error: str | None = None
    result: dict[str, Any] | None = None
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None

    def as_json(self) -> dict[str, Any]:
        r = self.request
        return {"id": self.id, "state": self.state, "progress": round(self.progress, 3),
                "step": self.step, "error": self.error, "output": str(self.output),
                "result": self.result, "created_at": self.created_at,
                "finished_at": self.finished_at,
                "request": {"match": r.match_number, "day": r.day, "kinds": list(r.kinds),
                            "before": r.before, "after": r.after,
                            "max_seconds": r.max_seconds, "title_seconds": r.title_seconds,
                            "angle": r.angle}}


class ReelJobs:
    """Queues reel jobs; ``run`` (a station task) builds them in order."""

    def __init__(self, store: StoreAccess, bus: Bus, folder: Path, ffmpeg: str,
                 flags_dir: Path | None = None) -> None:
        self.store, self.bus, self.folder, self.ffmpeg = store, bus, folder, ffmpeg
        self.flags_dir = flags_dir  # the operator's own flags for the title cards
        self.jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._queue: asyncio.Queue[Job] = asyncio.Queue()

    def submit(self, request: ReelRequest) -> Job:
        """Queue a reel; AnalysisError when too many wait already."""
        waiting = sum(job.state in ("queued", "running") for job in self.jobs.values())
        if waiting >= MAX_WAITING:
            raise AnalysisError(f"{waiting} reels are being made already: wait for one")
        number = next(self._ids)
        what = (request.match_number and f"match-{request.match_number}") or (
            f"day-{request.day}" if request.day else "all")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        job = Job(number, request, self.folder / f"highlights-{what}-{stamp}-{number}.mp4")
        self.jobs[number] = job
        for old in sorted(self.jobs)[:max(0, len(self.jobs) - MAX_JOBS)]:
            if self.jobs[old].state in ("done", "failed"):
                del self.jobs[old]
        self._queue.put_nowait(job)
        self._tell(job)
        return job

    async def run(self) -> None:
        """Build the queued reels one after another (until cancelled at stop)."""
        while True:
            job = await self._queue.get()
            job.state = "running"
            self._tell(job)
            try:
                job.result = await asyncio.to_thread(self._build, job, self._progress(job))
                job.state, job.progress, job.step = "done", 1.0, "done"
            except RestrikeError as err:
                job.state, job.error = "failed", str(err)
                log.warning("highlights job %s failed: %s", job.id, err)
            job.finished_at = time.time()
            self._tell(job)

    def _progress(self, job: Job) -> Callable[[float, str], None]:
        def report(done: float, step: str) -> None:  # on the worker thread
            job.progress, job.step = done, step
            self.bus.publish_threadsafe(Broadcast("highlights", job.as_json()))

        return report

    def _build(self, job: Job, progress: Callable[[float, str], None]) -> dict[str, Any]:
        tools = find_tools(self.ffmpeg)
        with self.store.reader() as reader:
            moments, skipped = reader.call(lambda conn: collect(conn, job.request))
        result = build_reel(tools, moments, job.request, job.output, progress,
                            flags_dir=self.flags_dir)
        result.skipped = skipped
        return result.as_json()

    def _tell(self, job: Job) -> None:
        self.bus.publish(Broadcast("highlights", job.as_json(), coalesce=False))
