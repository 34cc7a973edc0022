"""The rows of one write transaction, built by the writer thread.

Datagram and event rows are collected for `executemany`; match, athlete and day rows
are written at once (inside the same transaction) when a message calls for them,
because later rows need their ids. A `Job` (`Store.call`) first writes the rows
collected so far, so it sees everything queued before it, then runs in a savepoint of
the same transaction: a failing job undoes only its own changes.
"""

from __future__ import annotations

import concurrent.futures
import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from restrike.protocol import Message, json_safe, safe_text
from restrike.store import _current as cur
from restrike.store._rows import iso
from restrike.store.derive import (
    RELEVANT,
    Action,
    OpenMatch,
    SetAthlete,
    SetInfo,
    SetResult,
    Start,
    step,
)
from restrike.store.types import Received

__all__ = ["Batch", "Job", "JobOutcome", "SetDay", "SetTournament", "WriteItem", "event_rows"]

INSERT_DATAGRAM = ("INSERT INTO datagrams (id, received_at, source, data, match_id, seq) "
                   "VALUES (?, ?, ?, ?, ?, ?)")
INSERT_EVENT = ("INSERT INTO events (id, datagram_id, match_id, seq, received_at, code, kind, "
                "athlete, args, raw, error, truncated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


@dataclass(frozen=True, slots=True)
class SetTournament:
    name: str
    at: float


@dataclass(frozen=True, slots=True)
class SetDay:
    day: str
    name: str
    at: float


@dataclass(frozen=True, slots=True, eq=False)
class Job:
    """A callable run on the writer thread, inside the writer's transaction."""

    fn: Callable[[sqlite3.Connection], Any]
    future: concurrent.futures.Future[Any] = field(default_factory=concurrent.futures.Future)


@dataclass(frozen=True, slots=True)
class JobOutcome:
    job: Job
    result: Any = None
    error: Exception | None = None


WriteItem = Received | SetTournament | SetDay | Job

_SAVEPOINT = "restrike_job"


def _no_transaction_control(action: int, arg1: str | None, arg2: str | None,
                            _db: str | None, _trigger: str | None) -> int:
    """Authorizer while a job runs: it may not end or escape the writer's transaction."""
    if action == sqlite3.SQLITE_TRANSACTION:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_SAVEPOINT and (arg2 or "").lower() == _SAVEPOINT:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


class Batch:
    """Rows of one transaction; match rows are written as the messages call for them."""

    def __init__(self, conn: sqlite3.Connection, current: cur.Current, want_rows: bool) -> None:
        self.conn = conn
        self.current = current
        self.want_rows = want_rows
        self.datagrams: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        # (event row, source, JSON-safe fields) for the commit report's rows, which are
        # only turned into dicts if a subscriber reads them.
        self.pending: list[tuple[tuple[Any, ...], str, Mapping[str, Any]]] = []
        self.match_ids: set[int] = set()  # of the batch's events
        self.seqs: list[int] = []
        self.jobs: list[JobOutcome] = []
        self.changed = False
        self._datagrams_written = 0  # rows already inserted (before a job ran)
        self._events_written = 0
        self.next_datagram = _next_id(conn, "datagrams")
        self.next_event = _next_id(conn, "events")

    def add(self, item: WriteItem) -> None:
        if isinstance(item, Received):
            self._datagram(item)
        elif isinstance(item, Job):
            self._job(item)
        elif isinstance(item, SetTournament):
            self.current = cur.set_tournament(self.conn, self.current, item.name, item.at)
            self.changed = True
        else:
            self.current = cur.set_day(self.conn, self.current, item.day, item.name, item.at)
            self.changed = True

    def _datagram(self, item: Received) -> None:
        datagram_id = self.next_datagram
        self.next_datagram += 1
        t = item.received_at
        events = self.events
        want_rows = self.want_rows
        source = item.source
        for index, msg in enumerate(item.messages):
            if msg.code in RELEVANT:
                view, actions = step(self.current.view, msg, t)
                if actions:
                    self._apply(actions, t)
                if view is not self.current.view:
                    self.current = replace(self.current, view=view)
            match_id = self.current.match_id
            if isinstance(msg, Message):
                args, fields = _args_json(msg)
                error = None
                truncated = 1 if msg.truncated else 0
            else:
                args, fields = "{}", _NO_FIELDS
                error = safe_text(msg.reason)
                truncated = 0
            event_id = self.next_event
            self.next_event += 1
            event = (event_id, datagram_id, match_id, index, t,
                     msg.code and safe_text(msg.code), msg.kind, msg.athlete, args,
                     safe_text(msg.raw), error, truncated)
            events.append(event)
            if want_rows:
                self.pending.append((event, source, fields))
            if match_id is not None:
                self.match_ids.add(match_id)
        self.datagrams.append((datagram_id, t, item.source, item.data, self.current.match_id,
                               item.seq))
        self.seqs.append(item.seq)

    def _apply(self, actions: list[Action], t: float) -> None:
        conn = self.conn
        self.changed = True
        for action in actions:
            if isinstance(action, OpenMatch):
                self.current = cur.ensure_day(conn, self.current, t)
                cursor = conn.execute("INSERT INTO matches (day_id, loaded_at) VALUES (?, ?)",
                                      (self.current.day_id, action.at))
                self.current = replace(self.current, match_id=cursor.lastrowid)
                continue
            match_id = self.current.match_id
            if match_id is None:
                continue
            if isinstance(action, SetInfo):
                f = action.fields
                conn.execute(
                    "UPDATE matches SET number = coalesce(?, number), "
                    "match_id = coalesce(?, match_id), phase = coalesce(?, phase), "
                    "category = coalesce(?, category), division = coalesce(?, division) "
                    "WHERE id = ?",
                    (f["number"], f["match_id"], f["phase"], f["category"], f["division"],
                     match_id))
            elif isinstance(action, SetAthlete):
                if not (action.long_name or action.short_name):
                    continue
                athlete_id = conn.execute(
                    "INSERT INTO athletes (short_name, long_name, country) VALUES (?, ?, ?) "
                    "ON CONFLICT (long_name, country) DO UPDATE SET "
                    "short_name = excluded.short_name RETURNING id",
                    (action.short_name, action.long_name or action.short_name, action.country),
                ).fetchone()[0]
                column = "blue_athlete_id" if action.slot == 1 else "red_athlete_id"
                conn.execute(f"UPDATE matches SET {column} = ? WHERE id = ?",
                             (athlete_id, match_id))
            elif isinstance(action, Start):
                conn.execute("UPDATE matches SET started_at = ? WHERE id = ? "
                             "AND started_at IS NULL", (action.at, match_id))
            elif isinstance(action, SetResult):
                sets = ["result = ?"]
                values: list[Any] = [_json_text(action.result)[0]]
                for column in action.columns:
                    sets.append(f"{column} = ?")
                    values.append(getattr(action, column))
                conn.execute(f"UPDATE matches SET {', '.join(sets)} WHERE id = ?",
                             (*values, match_id))

    def _job(self, job: Job) -> None:
        future = job.future
        # A retried batch runs its jobs again: the future is already RUNNING then.
        if not future.running() and not future.set_running_or_notify_cancel():
            return  # cancelled by its caller before it ran
        self.flush()
        conn = self.conn
        conn.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            conn.set_authorizer(_no_transaction_control)
            try:
                result = job.fn(conn)
            finally:
                conn.set_authorizer(None)
        except Exception as err:
            conn.execute(f"ROLLBACK TO {_SAVEPOINT}")
            conn.execute(f"RELEASE {_SAVEPOINT}")
            self.jobs.append(JobOutcome(job, error=err))
            return
        conn.execute(f"RELEASE {_SAVEPOINT}")
        self.jobs.append(JobOutcome(job, result=result))

    def flush(self) -> None:
        """Insert the rows collected since the last flush (and the current state)."""
        conn = self.conn
        if len(self.datagrams) > self._datagrams_written:
            rows = self.datagrams[self._datagrams_written:] if self._datagrams_written else \
                self.datagrams
            conn.executemany(INSERT_DATAGRAM, rows)
            self._datagrams_written = len(self.datagrams)
        if len(self.events) > self._events_written:
            rows = self.events[self._events_written:] if self._events_written else self.events
            conn.executemany(INSERT_EVENT, rows)
            self._events_written = len(self.events)
        if self.changed:
            cur.save_current(conn, self.current)
            self.changed = False


_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
_ARGS_CACHE: dict[tuple[str, str], tuple[str, Mapping[str, Any]]] = {}
_NO_FIELDS: Mapping[str, Any] = {}


def _args_json(msg: Message) -> tuple[str, Mapping[str, Any]]:
    """The fields as JSON that always encodes (`_json_text`), and the fields that JSON
    was made of (the commit report's rows carry those: encodable as they are). The same
    text always parses to the same fields (clock ticks, score groups repeat all day),
    so both are cached by (code, raw)."""
    if msg.truncated:
        return _json_text(msg.fields)
    key = (msg.code, msg.raw)
    found = _ARGS_CACHE.get(key)
    if found is None:
        if len(_ARGS_CACHE) >= 4096:
            _ARGS_CACHE.clear()
        found = _ARGS_CACHE[key] = _json_text(msg.fields)
    return found


def _json_text(value: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """Strict JSON for a text column, valid UTF-8 whatever the value holds (`json_safe`
    only when the plain encoding fails: NaN, a huge int, a lone surrogate), with the
    value it encodes."""
    try:
        text = _encode(value)
        text.encode("utf-8")
    except ValueError:
        value = json_safe(value)
        text = _encode(value)
    return text, value


def _next_id(conn: sqlite3.Connection, table: str) -> int:
    row = conn.execute(f"SELECT max(id) FROM {table}").fetchone()
    return (int(row[0]) if row[0] is not None else 0) + 1


def event_rows(pending: list[tuple[tuple[Any, ...], str, Mapping[str, Any]]]
               ) -> list[dict[str, Any]]:
    """Events in the API shape (as `Reader.events` returns them), from a batch's pending.

    Encodable as JSON by construction (/ws/live sends them): every text was made safe
    for its column and the fields are the ones the stored JSON was encoded from."""
    rows: list[dict[str, Any]] = []
    last_t: float | None = None
    stamp: str | None = None
    for event, source, fields in pending:
        (event_id, _datagram, match_id, _index, t, code, kind, athlete, _args, raw,
         error, truncated) = event
        if t != last_t:
            last_t, stamp = t, iso(t)
        row: dict[str, Any] = {
            "id": event_id, "received_at": stamp, "source": source, "code": code,
            "kind": kind, "athlete": athlete, "args": dict(fields), "raw": raw,
            "error": error, "match": match_id,
        }
        if truncated:
            row["truncated"] = True
        rows.append(row)
    return rows
