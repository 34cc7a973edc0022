"""The review archive in the station's SQLite file: recordings, streams, clips, links.

The store's single writer only takes datagrams (``Store.submit``) and has no way to run
other writes, so the review writes through its own connection (WAL, ``BEGIN
IMMEDIATE``, a busy timeout): a second writer that SQLite serialises with the store's.
Its writes are few (a handful per review) so they never hold the store up for long.
All methods are blocking; :class:`~restrike.review.component.Review` calls them from
one worker thread, in order.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from restrike.errors import ReviewError, StoreError
from restrike.review.chapters import Chapter, build_chapters, format_chapters
from restrike.review.schema import SCHEMA
from restrike.review.streams import StreamTimeline
from restrike.review.workflow import ReviewRecord

__all__ = ["Archive", "chapters_text", "local_day"]

log = logging.getLogger(__name__)


def local_day(t: float) -> str:
    """The local date of an epoch time, as the store names days."""
    return datetime.fromtimestamp(t).date().isoformat()


class Archive:
    """Reads and writes the review tables; ``Archive(":memory:")`` for tests."""

    def __init__(self, path: Path | str, *, run: str = "run") -> None:
        self.path = str(path)
        self.run = run
        self._lock = threading.Lock()
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=10.0)
            conn.execute("PRAGMA busy_timeout = 10000")
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(SCHEMA)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open the review archive in {self.path}: {err}") from err
        self._conn = conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- helpers ---------------------------------------------------------------------

    def _write(self, sql: str, params: Iterable[Any] = ()) -> int:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                cur = self._conn.execute(sql, tuple(params))
                self._conn.execute("COMMIT")
                return int(cur.lastrowid or 0)
            except sqlite3.Error as err:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise StoreError(f"review archive write failed: {err}") from err

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as err:
                raise StoreError(f"review archive read failed: {err}") from err

    def _has_table(self, name: str) -> bool:
        return bool(self._all("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                              (name,)))

    # -- where are we ------------------------------------------------------------------

    def current_names(self, now: float) -> tuple[str | None, str]:
        """(tournament name, day) the store has as current; the local date if none."""
        if not self._has_table("settings"):
            return None, local_day(now)
        rows = dict(self._all("SELECT key, value FROM settings WHERE key IN "
                              "('current.tournament', 'current.day')"))
        name = None
        day = local_day(now)
        if rows.get("current.tournament"):
            found = self._all("SELECT name FROM tournaments WHERE id = ?",
                              (int(rows["current.tournament"]),))
            name = found[0][0] if found else None
        if rows.get("current.day"):
            found = self._all("SELECT date FROM days WHERE id = ?", (int(rows["current.day"]),))
            day = found[0][0] if found else day
        return name, day

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
        rows = self._all("SELECT interruptions FROM recording_sessions WHERE id = ?",
                         (session_id,))
        if not rows:
            return
        items = json.loads(rows[0][0] or "[]")
        if items and items[-1].get("until") is None and until is not None:
            items[-1]["until"] = until
        else:
            items.append({"at": at, "until": until, "reason": reason})
        self._write("UPDATE recording_sessions SET interruptions = ? WHERE id = ?",
                    (json.dumps(items), session_id))

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
        self._write(
            "INSERT INTO clips (review, run, day, match, match_title, recording_id, "
            "requested_by, source, athlete, requested_at, marker_at, path, clip_start, clip_end,"
            " decision, decided_by, decided_at, decision_ms, error) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (run, review) DO UPDATE SET path = coalesce(excluded.path, path), "
            "recording_id = coalesce(excluded.recording_id, recording_id), "
            "clip_start = coalesce(excluded.clip_start, clip_start), "
            "clip_end = coalesce(excluded.clip_end, clip_end), decision = excluded.decision, "
            "decided_by = excluded.decided_by, decided_at = excluded.decided_at, "
            "decision_ms = excluded.decision_ms, error = excluded.error",
            (review.id, self.run, day, review.match, review.match_title, recording_id,
             review.requested_by, review.source, review.athlete, review.requested_at,
             marker_at, review.clip, clip_start, clip_end, review.decision,
             review.decided_by, review.decided_at, review.decision_ms, review.error))
        rows = self._all("SELECT id FROM clips WHERE run = ? AND review = ?",
                         (self.run, review.id))
        return int(rows[0][0])

    def link_events(self, clip_id: int, *, start: float, end: float, clip_start: float,
                    recording_start: float | None, timeline: StreamTimeline | None) -> int:
        """Link the store's events received in [start, end] to the clip; returns how many."""
        if not self._has_table("events"):
            return 0
        events = self._all("SELECT id, received_at FROM events WHERE received_at >= ? AND "
                           "received_at <= ? ORDER BY id", (start, end))
        rows = []
        for event_id, at in events:
            in_stream = timeline.offset_at(at) if timeline and timeline.segments else None
            in_rec = at - recording_start if recording_start is not None else None
            rows.append((event_id, clip_id, at, at - clip_start, in_rec, in_stream))
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany(
                    "INSERT OR REPLACE INTO event_links (event_id, clip_id, received_at, "
                    "offset_in_clip, offset_in_recording, offset_in_stream) "
                    "VALUES (?, ?, ?, ?, ?, ?)", rows)
                self._conn.execute("COMMIT")
            except sqlite3.Error as err:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise StoreError(f"review archive write failed: {err}") from err
        return len(rows)

    def recompute_stream_offsets(self, day: str, timeline: StreamTimeline) -> int:
        """After an interruption: every link of the day gets its offset from ``timeline``."""
        links = self._all("SELECT l.clip_id, l.event_id, l.received_at FROM event_links l "
                          "JOIN clips c ON c.id = l.clip_id WHERE c.day = ?", (day,))
        updates = [(timeline.offset_at(at), clip, event) for clip, event, at in links]
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany("UPDATE event_links SET offset_in_stream = ? "
                                   "WHERE clip_id = ? AND event_id = ?", updates)
            self._conn.execute("COMMIT")
        return len(updates)

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
        if self._has_table("matches") and self._has_table("days"):
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
