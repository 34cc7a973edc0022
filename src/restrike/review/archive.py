"""The review archive in the station's SQLite file: recordings, streams, clips, links.

The tables are the store's migration ``002_review.sql``. Every write is a job on the
store's single writer (``Store.call``), in order with the court's datagrams, so the
file keeps one writer; reads use a read-only ``Reader`` connection of the store.
Read-modify-write steps (a clip and its id, links of the events just received) run
whole inside one job. Called as they are, the methods are blocking: each write waits
for its commit, so a read that follows sees it. Inside a writer job (:meth:`Archive.
inline`) they use that job's connection instead, reads included, so several steps are
one job that nobody waits for: that is how :class:`~restrike.review.recorder.
ArchiveWriter` queues the review's writes (a flood of challenges used to queue one
blocking commit wait per step, 7,000 of them, ~40 MB, in a 50,000 msg/s flood).
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from restrike.errors import ReviewError, StoreError
from restrike.review.angles import ClipAngle
from restrike.review.chapters import Chapter, build_chapters, format_chapters
from restrike.review.streams import StreamTimeline
from restrike.review.workflow import ReviewRecord

if TYPE_CHECKING:
    from restrike.store import Store

__all__ = ["Archive", "chapters_text", "local_day"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds a write waits for the store's writer (behind a backlog of datagrams).
WRITE_TIMEOUT = 30.0


def local_day(t: float) -> str:
    """The local date of an epoch time, as the store names days."""
    return datetime.fromtimestamp(t).date().isoformat()


class Archive:
    """Reads and writes the review tables of ``store`` (opened, so migrated)."""

    def __init__(self, store: Store, *, run: str = "run") -> None:
        self.store = store
        self.path = store.path
        self.run = run
        self._reader = store.reader()
        self._inline = threading.local()  # .conn: the writer's, while inside its job

    def inline(self, conn: sqlite3.Connection, job: Callable[[Archive], T]) -> T:
        """Run ``job(self)`` inside a writer job (``Store.call``): every write and read
        it makes uses ``conn``, in the writer's transaction (it sees the rows queued
        before it, its own included)."""
        self._inline.conn = conn
        try:
            return job(self)
        finally:
            self._inline.conn = None

    def close(self) -> None:
        """Close the read connection (the store stays open)."""
        self._reader.close()

    # -- helpers ---------------------------------------------------------------------

    def _job(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on the store's writer and wait for its commit (inline: at once)."""
        conn: sqlite3.Connection | None = getattr(self._inline, "conn", None)
        if conn is not None:
            return fn(conn)
        future = self.store.call(fn)
        try:
            return future.result(WRITE_TIMEOUT)
        except concurrent.futures.TimeoutError as err:
            raise StoreError(f"the store did not write the review's change within "
                             f"{WRITE_TIMEOUT:.0f} s (it will still be written)") from err

    def _write(self, sql: str, params: Iterable[Any] = ()) -> int:
        values = tuple(params)
        return self._job(lambda conn: int(conn.execute(sql, values).lastrowid or 0))

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        conn: sqlite3.Connection | None = getattr(self._inline, "conn", None)
        if conn is not None:
            return conn.execute(sql, tuple(params)).fetchall()
        return self._reader.query(sql, tuple(params))

    # -- where are we ------------------------------------------------------------------

    def current_names(self, now: float) -> tuple[str | None, str, str]:
        """(tournament name, day, day's name) the store has as current; the local date and
        no name if none."""
        rows = dict(self._all("SELECT key, value FROM settings WHERE key IN "
                              "('current.tournament', 'current.day')"))
        name = None
        day, day_name = local_day(now), ""
        if rows.get("current.tournament"):
            found = self._all("SELECT name FROM tournaments WHERE id = ?",
                              (int(rows["current.tournament"]),))
            name = found[0][0] if found else None
        if rows.get("current.day"):
            found = self._all("SELECT date, name FROM days WHERE id = ?",
                              (int(rows["current.day"]),))
            day, day_name = (found[0][0], found[0][1] or "") if found else (day, day_name)
        return name, day, day_name

    # -- recording sessions ------------------------------------------------------------

    def start_recording(self, *, day: str, output: str, obs_name: str, started_at: float,
                        path: str | None, folder: str | None = None, name: str | None = None,
                        match: str | None = None, match_key: str | None = None,
                        title: str | None = None) -> int:
        return self._write(
            "INSERT INTO recording_sessions (day, output, obs_name, match, match_key, title, "
            "folder, name, path, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (day, output, obs_name, match, match_key, title, folder, name, path, started_at))

    def end_recording(self, session_id: int, ended_at: float, path: str | None = None) -> None:
        self._write("UPDATE recording_sessions SET ended_at = ?, path = coalesce(?, path) "
                    "WHERE id = ? AND ended_at IS NULL", (ended_at, path, session_id))

    def add_interruption(self, session_id: int, at: float, until: float | None,
                         reason: str) -> None:
        def job(conn: sqlite3.Connection) -> None:
            rows = conn.execute("SELECT interruptions FROM recording_sessions WHERE id = ?",
                                (session_id,)).fetchall()
            if not rows:
                return
            items = json.loads(rows[0][0] or "[]")
            if items and items[-1].get("until") is None and until is not None:
                items[-1]["until"] = until
            else:
                items.append({"at": at, "until": until, "reason": reason})
            conn.execute("UPDATE recording_sessions SET interruptions = ? WHERE id = ?",
                         (json.dumps(items), session_id))

        self._job(job)

    def recordings(self, day: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        where, params = ("WHERE day = ?", [day]) if day else ("", [])
        rows = self._all(
            "SELECT id, day, output, obs_name, match, title, folder, name, path, started_at, "
            f"ended_at, interruptions FROM recording_sessions {where} "
            "ORDER BY started_at DESC, id DESC LIMIT ?", (*params, limit))
        keys = ("id", "day", "output", "obs", "match", "title", "folder", "name", "path",
                "started_at", "ended_at", "interruptions")
        out = []
        for row in rows:
            item = dict(zip(keys, row, strict=True))
            item["interruptions"] = json.loads(item["interruptions"] or "[]")
            out.append(item)
        return out

    def session_started(self, obs_name: str, output: str, started_at: float) -> int | None:
        """Id of the session of ``obs_name``/``output`` that started at ``started_at``."""
        rows = self._all("SELECT id FROM recording_sessions WHERE obs_name = ? AND output = ? "
                         "AND started_at = ? ORDER BY id DESC LIMIT 1",
                         (obs_name, output, started_at))
        return int(rows[0][0]) if rows else None

    def recording_covering(self, t: float) -> tuple[int, float] | None:
        """(id, started_at) of the recording that was running at ``t``."""
        rows = self._all("SELECT id, started_at FROM recording_sessions WHERE output = "
                         "'recording' AND started_at <= ? AND (ended_at IS NULL OR ended_at >= ?)"
                         " ORDER BY started_at DESC LIMIT 1", (t, t))
        return (int(rows[0][0]), float(rows[0][1])) if rows else None

    # -- stream sessions ---------------------------------------------------------------

    def save_stream(self, session_id: int | None, *, day: str, obs_name: str,
                    timeline: StreamTimeline) -> int:
        """Insert (``session_id`` None) or update a stream session from its timeline."""
        if not timeline.segments:
            return session_id or 0
        started = timeline.segments[0].started_at
        ended = timeline.segments[-1].ended_at
        segments = json.dumps(timeline.as_json())
        if session_id is None:
            return self._write("INSERT INTO stream_sessions (day, obs_name, started_at, "
                               "ended_at, segments) VALUES (?, ?, ?, ?, ?)",
                               (day, obs_name, started, ended, segments))
        self._write("UPDATE stream_sessions SET started_at = ?, ended_at = ?, segments = ? "
                    "WHERE id = ?", (started, ended, segments, session_id))
        return session_id

    def stream_timeline(self, day: str) -> StreamTimeline:
        """Every segment streamed on ``day``, in order (offsets as stored)."""
        segments: list[dict[str, Any]] = []
        for (text,) in self._all("SELECT segments FROM stream_sessions WHERE day = ? "
                                 "ORDER BY started_at, id", (day,)):
            segments.extend(json.loads(text or "[]"))
        return StreamTimeline.from_json(segments)

    def streams(self, day: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE day = ?", [day]) if day else ("", [])
        rows = self._all("SELECT id, day, obs_name, started_at, ended_at, segments FROM "
                         f"stream_sessions {where} ORDER BY started_at DESC", params)
        return [{"id": r[0], "day": r[1], "obs": r[2], "started_at": r[3], "ended_at": r[4],
                 "segments": json.loads(r[5] or "[]")} for r in rows]

    # -- clips and links ---------------------------------------------------------------

    def save_clip(self, review: ReviewRecord, *, day: str, marker_at: float | None,
                  recording_id: int | None, clip_start: float | None,
                  clip_end: float | None) -> int:
        """Insert or update the clip row of a review; returns its id."""
        return self._job(lambda conn: int(conn.execute(
            "INSERT INTO clips (review, run, day, match, match_title, recording_id, "
            "requested_by, source, athlete, requested_at, marker_at, path, clip_start, clip_end,"
            " decision, decided_by, decided_at, decision_ms, error) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (run, review) DO UPDATE SET path = coalesce(excluded.path, path), "
            "recording_id = coalesce(excluded.recording_id, recording_id), "
            "clip_start = coalesce(excluded.clip_start, clip_start), "
            "clip_end = coalesce(excluded.clip_end, clip_end), decision = excluded.decision, "
            "decided_by = excluded.decided_by, decided_at = excluded.decided_at, "
            "decision_ms = excluded.decision_ms, error = excluded.error RETURNING id",
            (review.id, self.run, day, review.match, review.match_title, recording_id,
             review.requested_by, review.source, review.athlete, review.requested_at,
             marker_at, review.clip, clip_start, clip_end, review.decision,
             review.decided_by, review.decided_at, review.decision_ms, review.problem),
        ).fetchone()[0]))

    def save_angles(self, clip_id: int, angles: Sequence[ClipAngle]) -> None:
        """The clip's camera angles (``clip_angles``, migration 003), saved or missing."""
        rows = [(clip_id, i, a.name, a.obs_name, a.path, a.offset, a.clip_start, a.clip_end,
                 a.error) for i, a in enumerate(angles)]

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany(
                'INSERT OR REPLACE INTO clip_angles (clip_id, position, name, obs_name, path, '
                '"offset", clip_start, clip_end, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', rows)

        self._job(job)

    def link_events(self, clip_id: int, *, start: float, end: float, clip_start: float,
                    recording_start: float | None, timeline: StreamTimeline | None) -> int:
        """Link the store's events received in [start, end] to the clip; returns how many.

        One job on the writer: it sees the datagrams queued before it, even uncommitted.
        """
        def job(conn: sqlite3.Connection) -> int:
            events = conn.execute("SELECT id, received_at FROM events WHERE received_at >= ? "
                                  "AND received_at <= ? ORDER BY id", (start, end)).fetchall()
            rows = []
            for event_id, at in events:
                in_stream = timeline.offset_at(at) if timeline and timeline.segments else None
                in_rec = at - recording_start if recording_start is not None else None
                rows.append((event_id, clip_id, at, at - clip_start, in_rec, in_stream))
            conn.executemany(
                "INSERT OR REPLACE INTO event_links (event_id, clip_id, received_at, "
                "offset_in_clip, offset_in_recording, offset_in_stream) "
                "VALUES (?, ?, ?, ?, ?, ?)", rows)
            return len(rows)

        return self._job(job)

    def recompute_stream_offsets(self, day: str, timeline: StreamTimeline) -> int:
        """After an interruption: every link of the day gets its offset from ``timeline``."""
        def job(conn: sqlite3.Connection) -> int:
            links = conn.execute("SELECT l.clip_id, l.event_id, l.received_at FROM event_links"
                                 " l JOIN clips c ON c.id = l.clip_id WHERE c.day = ?",
                                 (day,)).fetchall()
            updates = [(timeline.offset_at(at), clip, event) for clip, event, at in links]
            conn.executemany("UPDATE event_links SET offset_in_stream = ? "
                             "WHERE clip_id = ? AND event_id = ?", updates)
            return len(updates)

        return self._job(job)

    def clips(self, *, day: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first, each with its linked events (id and offsets)."""
        where, params = ("WHERE day = ?", [day]) if day else ("", [])
        rows = self._all(
            "SELECT id, match, match_title, path, requested_by, source, athlete, requested_at, "
            "marker_at, decision, decided_by, decided_at, decision_ms, error, day, clip_start "
            f"FROM clips {where} ORDER BY requested_at DESC, id DESC LIMIT ?", (*params, limit))
        keys = ("id", "match", "match_title", "path", "requested_by", "source", "athlete",
                "requested_at", "marker_at", "decision", "decided_by", "decided_at",
                "decision_ms", "error", "day", "clip_start")
        out = [dict(zip(keys, r, strict=True)) for r in rows]
        for clip in out:
            angles = self._all('SELECT name, path, "offset", error FROM clip_angles '
                               "WHERE clip_id = ? ORDER BY position", (clip["id"],))
            clip["angles"] = [{"name": a[0], "path": a[1], "offset": a[2]}
                              for a in angles if a[1] is not None]
            clip["missing_angles"] = [{"name": a[0], "error": a[3]}
                                      for a in angles if a[1] is None]
            clip["events"] = [
                {"id": e[0], "received_at": e[1], "in_clip": e[2], "in_recording": e[3],
                 "in_stream": e[4]}
                for e in self._all("SELECT event_id, received_at, offset_in_clip, "
                                   "offset_in_recording, offset_in_stream FROM event_links "
                                   "WHERE clip_id = ? ORDER BY received_at, event_id",
                                   (clip["id"],))]
        return out

    # -- chapters ----------------------------------------------------------------------

    def day_matches(self, day: str) -> list[tuple[float, str]]:
        """(start time, title) of each match of ``day``: the store's matches, else ours."""
        rows = self._all(
            "SELECT m.loaded_at, m.number, b.long_name, b.country, r.long_name, r.country "
            "FROM matches m JOIN days d ON d.id = m.day_id "
            "LEFT JOIN athletes b ON b.id = m.blue_athlete_id "
            "LEFT JOIN athletes r ON r.id = m.red_athlete_id "
            "WHERE d.date = ? ORDER BY m.loaded_at", (day,))
        if rows:
            return [(float(r[0]), _match_title(*r[1:])) for r in rows]
        rows = self._all("SELECT min(started_at), title FROM recording_sessions WHERE day = ? "
                         "AND output = 'recording' AND title IS NOT NULL GROUP BY match_key "
                         "ORDER BY 1", (day,))
        return [(float(r[0]), str(r[1])) for r in rows]


def _match_title(number: Any, blue: Any, blue_c: Any, red: Any, red_c: Any) -> str:
    def side(name: Any, country: Any) -> str:
        name = name or "?"
        return f"{name} ({country})" if country else str(name)

    label = f"Match {number}" if number else "Match"
    if blue or red:
        return f"{label}: {side(blue, blue_c)} vs {side(red, red_c)}"
    return label


def chapters_text(archive: Archive, day: str, *, challenges: bool = True,
                  now: float | None = None) -> str:
    """Chapters of ``day`` from the archive (blocking); ReviewError if fewer than three."""
    timeline = archive.stream_timeline(day)
    if not timeline.segments:
        raise ReviewError(f"no stream was recorded on {day}: no chapters")
    items: list[Chapter] = []
    for at, title in archive.day_matches(day):
        offset = timeline.offset_at(at)
        if offset is not None:
            items.append(Chapter(offset, title, "match"))
    if challenges:
        for clip in archive.clips(day=day, limit=10_000):
            offset = timeline.offset_at(clip["requested_at"])
            if offset is not None:
                who = clip["requested_by"]
                decision = f" ({clip['decision']})" if clip["decision"] else ""
                items.append(Chapter(offset, f"Video review: {who}{decision}", "challenge"))
    end = timeline.total(now if now is not None else time.time())
    chapters = build_chapters(items, end=end)
    if not chapters:
        raise ReviewError(f"fewer than three chapters at least 10 s apart on {day}: "
                          "YouTube would ignore them")
    return format_chapters(chapters)
