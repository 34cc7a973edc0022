"""Capture files in and out of the store: export a day, a match or a tournament; import one.

Export writes the capture JSON Lines of `restrike.protocol.capture` (what `restrike
decode` and `restrike simulate replay --capture` read, and what the spill files hold).
Import stores a capture as past matches **with the original arrival times**: the
messages go through the same derivation as the live feed (`restrike.store._batch`), but
with a "current" of their own, so the station's current tournament, day and match are
left as they were. A datagram already stored (same bytes, same arrival time to the
microsecond of the capture format; looked up once per chunk) is skipped, so importing a
file twice adds nothing; a skipped datagram's match becomes the one the following
datagrams continue.

Import runs in transactions of its own through a write connection, which SQLite
serialises with a running station's writer (ids are taken inside each transaction).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from restrike.errors import StoreError
from restrike.protocol import Schema, parse
from restrike.protocol.capture import CaptureError, Datagram, format_capture_line, read_capture
from restrike.store import _current as cur
from restrike.store._batch import Batch
from restrike.store._connect import connect
from restrike.store._rows import day_bounds, parse_day
from restrike.store.derive import MatchView
from restrike.store.reader import Reader
from restrike.store.types import Received

__all__ = ["IMPORT_SOURCE", "ImportResult", "export_lines", "import_capture"]

IMPORT_SOURCE = "import"  # the `source` of imported datagrams (no sender address known)
_CHUNK = 2000  # datagrams per import transaction: a running station's writer waits less
_SAME_TIME = 2e-6  # the capture format keeps microseconds; float noise on top


def export_lines(reader: Reader, *, day: str | None = None, match: str | None = None,
                 tournament: str | None = None) -> Iterator[str]:
    """Capture lines (no newline) of the datagrams chosen, oldest first.

    ``day``: received on that local date; ``match``: of the matches with that number;
    ``tournament``: of the matches of that tournament's days. Given together, all must
    hold. ValueError when none is given or a day is not YYYY-MM-DD.
    """
    where: list[str] = []
    params: list[object] = []
    if day is not None:
        start, end = day_bounds(parse_day(day))
        where.append("d.received_at >= ? AND d.received_at < ?")
        params += [start, end]
    if match is not None:
        where.append("d.match_id IN (SELECT id FROM matches WHERE number = ?)")
        params.append(match)
    if tournament is not None:
        where.append("d.match_id IN (SELECT m.id FROM matches m JOIN days y ON y.id = m.day_id "
                     "JOIN tournaments t ON t.id = y.tournament_id WHERE t.name = ?)")
        params.append(tournament)
    if not where:
        raise ValueError("choose what to export: a day, a match number or a tournament")
    last = 0
    while True:  # pages by id: a long tournament is never held in memory at once
        rows = reader.query(f"SELECT d.id, d.received_at, d.data FROM datagrams d WHERE "
                            f"{' AND '.join(where)} AND d.id > ? ORDER BY d.id LIMIT 1000",
                            [*params, last])
        if not rows:
            return
        for row in rows:
            yield format_capture_line(row[1], bytes(row[2]))
        last = rows[-1][0]


@dataclass(slots=True)
class ImportResult:
    """What an import did: datagrams added and skipped (already stored), bad lines."""

    added: int = 0
    skipped: int = 0
    matches: int = 0
    errors: list[str] = field(default_factory=list)  # "line N: reason"


def import_capture(db: Path, lines: Iterable[bytes], *, tournament: str | None = None,
                   schema: Schema | None = None) -> ImportResult:
    """Store the datagrams of a capture (raw lines) in the database ``db`` (migrated).

    ``tournament``: the tournament the imported matches go to (created if new); None:
    `Tournament <date>` of each datagram's local date, as the station does on its own.
    """
    result = ImportResult()
    pending: list[Datagram] = []
    conn = connect(db)
    try:
        state = _Importer(conn, tournament, schema)
        for item in read_capture(lines):
            if isinstance(item, CaptureError):
                result.errors.append(f"line {item.line}: {item.reason}")
            elif item.t is None:
                result.errors.append(f"line {item.line}: no arrival time (a plain-text "
                                     "line; only JSON lines with \"t\" can be imported)")
            else:
                pending.append(item)
                if len(pending) >= _CHUNK:
                    state.write(pending, result)
                    pending = []
        if pending:
            state.write(pending, result)
    except sqlite3.Error as err:
        raise StoreError(f"{db}: import failed: {err}") from err
    finally:
        conn.close()
    return result


class _Importer:
    """The import's own "current" carried from one transaction to the next."""

    def __init__(self, conn: sqlite3.Connection, tournament: str | None,
                 schema: Schema | None) -> None:
        self.conn = conn
        self.tournament = tournament
        self.schema = schema
        self.current = cur.Current()

    def write(self, items: list[Datagram], result: ImportResult) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            station = cur.load_current(conn)
            current = self.current
            if self.tournament is not None and current.tournament_id is None:
                current = replace(cur.set_tournament(conn, current, self.tournament,
                                                     _time(items[0])), day_id=None)
            matches_before = _count(conn, "matches")
            stored = _stored(conn, items)
            batch = Batch(conn, current, want_rows=False)
            for item in items:
                t = _time(item)
                key = (round(t, 6), item.data)
                if key not in stored:
                    batch.add(Received(item.line, t, IMPORT_SOURCE, item.data,
                                       parse(item.data, self.schema)))
                    result.added += 1
                    continue
                result.skipped += 1
                if stored[key] != batch.current.match_id or not batch.current.view.open:
                    batch.flush()
                    batch.current = _resume(conn, batch.current, stored[key])
            batch.flush()
            cur.save_current(conn, station)  # the station's own "now" stays as it was
            result.matches += _count(conn, "matches") - matches_before
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self.current = batch.current


def _time(item: Datagram) -> float:
    assert item.t is not None  # lines without a time were refused before
    return item.t


def _stored(conn: sqlite3.Connection, items: list[Datagram]
            ) -> dict[tuple[float, bytes], int | None]:
    """The datagrams of ``items``' time span stored already: (time to the microsecond,
    bytes) → their match id. One range query per chunk (the index on received_at)."""
    times = [_time(i) for i in items]
    rows = conn.execute("SELECT received_at, data, match_id FROM datagrams "
                        "WHERE received_at BETWEEN ? AND ?",
                        (min(times) - _SAME_TIME, max(times) + _SAME_TIME)).fetchall()
    return {(round(r[0], 6), bytes(r[1])): r[2] for r in rows}


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _resume(conn: sqlite3.Connection, current: cur.Current, match_id: int | None
            ) -> cur.Current:
    """The import's current moved to a stored match (the one a skipped datagram is in)."""
    if match_id is None:
        return replace(current, match_id=None, view=MatchView())
    row = conn.execute("SELECT m.started_at, m.result, m.day_id, y.tournament_id FROM matches m "
                       "JOIN days y ON y.id = m.day_id WHERE m.id = ?", (match_id,)).fetchone()
    if row is None:
        return replace(current, match_id=None, view=MatchView())
    result: object = {}
    with contextlib.suppress(ValueError):
        result = json.loads(row[1] or "{}")
    view = MatchView(open=True, started=row[0] is not None,
                     result=tuple(result.items()) if isinstance(result, dict) else ())
    return replace(current, match_id=match_id, view=view, day_id=row[2],
                   tournament_id=row[3], day_auto=True)
