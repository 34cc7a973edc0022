"""The benchmark's data set: a station database of N real-looking events, made fast.

A few championship matches from the simulator are written through the real store (so
every row is what the station writes), then copied over and over into the big
database with plain ``executemany``: new ids, times on a tournament calendar (80
matches a day from 09:00, 3 days a tournament), athletes drawn from a pool (about 16
matches each). The analytics' summaries are then folded with the station's own code.
The file is kept in a temporary folder and reused while its marker says it is whole and
the matches later runs fed have not grown it by more than `GROWTH`.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from restrike.analytics.days import day_partials, save_days_job
from restrike.analytics.tables import STEPS, fold_from, save_job
from restrike.protocol import parse
from restrike.simulator import encode_items, iter_matches
from restrike.store import Received, Store
from restrike.store.component import DB_FILE
from restrike.store.owned import apply_owned_steps

__all__ = ["DataSet", "build", "cache_folder"]

log = logging.getLogger(__name__)

TEMPLATES = 24
MATCHES_PER_DAY = 80
DAYS_PER_TOURNAMENT = 3
MATCHES_PER_ATHLETE = 16
#: A cached data set grown by more than this factor (the benchmark's feed is stored
#: too) is built again.
GROWTH = 1.1
_VERSION = "2"
_FIRST = ("Ji-ho", "Andrés", "Björn", "Minh", "Kemal", "Lukáš", "Zoë", "Aïcha", "Chloé",
          "Mateo", "Wei", "Fatima", "Jürgen", "Noémie", "Tomasz", "Yuto", "Ana", "Omar")
_LAST = ("PARK", "PEÑA", "LINDQVIST", "NGUYỄN", "ÖZTÜRK", "NOVÁK", "MÜLLER", "DIALLO",
         "LEFÈVRE", "ROSSI", "CHEN", "ZAHRA", "BAUER", "GIRAUD", "WÓJCIK", "TANAKA", "SILVA",
         "HADDAD", "JOVANOVIĆ", "O'BRIEN")
_COUNTRIES = ("KOR", "MEX", "SWE", "VIE", "TUR", "CZE", "GER", "SEN", "FRA", "ITA", "CHN",
              "MAR", "AUT", "POL", "JPN", "BRA", "JOR", "SRB", "IRL", "GBR", "USA", "IRI")


@dataclass(frozen=True, slots=True)
class DataSet:
    path: Path
    events: int
    matches: int
    athletes: int
    days: int
    tournaments: int
    built_seconds: float  # 0: taken from the cache


def cache_folder() -> Path:
    return Path(tempfile.gettempdir()) / "restrike-bench-analytics"


def _templates(folder: Path) -> list[dict[str, Any]]:
    """Championship matches written by the real store; each match's rows, times relative."""
    path = folder / "template.sqlite3"
    path.unlink(missing_ok=True)
    store = Store(path)
    store.start()
    seq = 0
    for steps, _summary in iter_matches("championship", seed=7, count=TEMPLATES):
        for step in steps:
            for data in encode_items(step.items):
                seq += 1
                store.submit(Received(seq, 1_600_000_000 + step.t, "10.0.0.2:50000", data,
                                      parse(data)))
    store.close(timeout=60)
    out = []
    with closing(sqlite3.connect(path)) as conn:
        for match_id, loaded, started, ended, *info in conn.execute(
                "SELECT id, loaded_at, started_at, ended_at, number, match_id, phase, category, "
                "division, winner, decision, result FROM matches ORDER BY id").fetchall():
            datagrams = conn.execute("SELECT id, received_at - ?, source, data, seq FROM "
                                     "datagrams WHERE match_id = ? ORDER BY id",
                                     (loaded, match_id)).fetchall()
            events = conn.execute("SELECT datagram_id, seq, received_at - ?, code, kind, "
                                  "athlete, args, raw, error, truncated FROM events "
                                  "WHERE match_id = ? ORDER BY id", (loaded, match_id)).fetchall()
            out.append({"started": started - loaded, "ended": ended - loaded, "info": info,
                        "datagrams": datagrams, "events": events})
    for leftover in folder.glob("template.sqlite3*"):
        leftover.unlink()
    return out


def _local(day: date, hour: int) -> float:
    return datetime(day.year, day.month, day.day, hour).timestamp()


def build(events: int, progress: Callable[[str], None] = lambda _text: None,
          folder: Path | None = None) -> DataSet:
    """The data set of about ``events`` events (built, or taken from the cache)."""
    folder = (folder or cache_folder()) / f"events-{events}"
    path = folder / DB_FILE
    marker = folder / "READY"
    if path.is_file() and marker.is_file() and marker.read_text().split()[0] == _VERSION:
        cached = _describe(path, 0.0)
        if cached.events <= events * GROWTH:  # each run adds the matches it fed
            return cached
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    for stale in folder.glob(DB_FILE + "*"):
        stale.unlink()
    Store(path).close()  # the store's own tables, migrated
    templates = _templates(folder)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        apply_owned_steps(conn, "analytics", STEPS)
        _fill(conn, templates, events, progress)
        conn.execute("COMMIT")
        _fold_all(conn, progress)
    marker.write_text(f"{_VERSION} {events}\n")
    return _describe(path, time.perf_counter() - started)


def _fill(conn: sqlite3.Connection, templates: list[dict[str, Any]], events: int,
          progress: Callable[[str], None]) -> None:
    per_match = sum(len(t["events"]) for t in templates) / len(templates)
    matches = max(1, round(events / per_match))
    rng = random.Random(events)
    pool = max(20, matches * 2 // MATCHES_PER_ATHLETE)
    conn.executemany("INSERT INTO athletes (id, short_name, long_name, country) "
                     "VALUES (?, ?, ?, ?)",
                     [(i, f"{_FIRST[i % 18][0]}. {_LAST[i % 20]}",
                       f"{_FIRST[i % 18]} {_LAST[i % 20]} {i}", _COUNTRIES[i % 22])
                      for i in range(1, pool + 1)])
    first_day = date(2020, 1, 6)
    datagram_id = event_id = 0
    stored = 0
    for index in range(matches):
        day_number, slot = divmod(index, MATCHES_PER_DAY)
        tournament = day_number // DAYS_PER_TOURNAMENT + 1
        day = first_day + timedelta(days=day_number)
        if slot == 0:
            if day_number % DAYS_PER_TOURNAMENT == 0:
                conn.execute("INSERT INTO tournaments (id, name, created_at) VALUES (?, ?, ?)",
                             (tournament, f"Open {tournament}", _local(day, 8)))
            conn.execute("INSERT INTO days (id, tournament_id, date, created_at) "
                         "VALUES (?, ?, ?, ?)", (day_number + 1, tournament, day.isoformat(),
                                                 _local(day, 8)))
        template = templates[index % len(templates)]
        base = _local(day, 9) + slot * 450.0
        blue, red = rng.sample(range(1, pool + 1), 2)
        _number, scoring_id, phase, category, division, winner, decision, result = \
            template["info"]
        match_id = index + 1
        conn.execute(
            "INSERT INTO matches (id, day_id, number, match_id, phase, category, division, "
            "blue_athlete_id, red_athlete_id, loaded_at, started_at, ended_at, winner, "
            "decision, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (match_id, day_number + 1, str(100 + slot), f"{scoring_id}-{index}", phase,
             category, division, blue, red, base, base + template["started"],
             base + template["ended"], winner, decision, result))
        ids = {}
        rows: list[tuple[Any, ...]] = []
        for old, offset, source, data, seq in template["datagrams"]:
            datagram_id += 1
            ids[old] = datagram_id
            rows.append((datagram_id, base + offset, source, data, match_id, seq))
        conn.executemany("INSERT INTO datagrams (id, received_at, source, data, match_id, seq) "
                         "VALUES (?, ?, ?, ?, ?, ?)", rows)
        rows = []
        for old, seq, offset, code, kind, athlete, args, raw, error, truncated in \
                template["events"]:
            event_id += 1
            rows.append((event_id, ids[old], match_id, seq, base + offset, code, kind, athlete,
                         args, raw, error, truncated))
        conn.executemany("INSERT INTO events (id, datagram_id, match_id, seq, received_at, "
                         "code, kind, athlete, args, raw, error, truncated) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        stored += len(rows)
        if index % 500 == 499:
            progress(f"  {stored:,} events, {index + 1:,} matches written")


def _fold_all(conn: sqlite3.Connection, progress: Callable[[str], None]) -> None:
    """Every match's summary, folded and stored by the analytics' own functions."""
    ids = [r[0] for r in conn.execute("SELECT id FROM matches ORDER BY id")]
    for start in range(0, len(ids), 200):
        folded = []
        for match_id in ids[start:start + 200]:
            fold = fold_from(conn, match_id)
            folded.append((match_id, fold.summary(), fold.timeline()))
        conn.execute("BEGIN")
        save_job(folded)(conn)
        conn.execute("COMMIT")
        if start % 2000 == 1800:
            progress(f"  {start + 200:,} of {len(ids):,} matches folded")
    days = [r[0] for r in conn.execute("SELECT id FROM days ORDER BY id")]
    made = [(d, sig, partial) for d, sig, partial, _now in day_partials(conn, days)
            if sig is not None]
    conn.execute("BEGIN")
    save_days_job(made)(conn)
    conn.execute("COMMIT")


def _describe(path: Path, seconds: float) -> DataSet:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        events, matches, athletes, days, tournaments = conn.execute(
            "SELECT (SELECT max(id) FROM events), (SELECT count(*) FROM matches), "
            "(SELECT count(*) FROM athletes), (SELECT count(*) FROM days), "
            "(SELECT count(*) FROM tournaments)").fetchone()
    return DataSet(path, events or 0, matches, athletes, days, tournaments, seconds)
