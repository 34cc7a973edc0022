"""restrike export / import: capture files out of and into real SQLite files."""

from __future__ import annotations

import base64
import contextlib
import json
import sqlite3
from pathlib import Path

from restrike.protocol.capture import read_capture
from restrike.store import Store
from restrike.store.component import DB_FILE
from tests.ops.conftest import fill, run_cli
from tests.store.conftest import MATCH_1, datagrams, feed

START = 1_780_000_000.0

MATCH_SQL = ("SELECT m.number, m.match_id, m.phase, m.category, b.long_name, b.country, "
             "r.long_name, r.country, m.loaded_at, m.started_at, m.ended_at, m.winner, "
             "m.decision, m.result, y.date FROM matches m JOIN days y ON y.id = m.day_id "
             "LEFT JOIN athletes b ON b.id = m.blue_athlete_id "
             "LEFT JOIN athletes r ON r.id = m.red_athlete_id ORDER BY m.loaded_at")
# what analytics read: events by kind and by hour of arrival
BY_HOUR_SQL = ("SELECT kind, code, athlete, args, CAST(received_at / 3600 AS INTEGER), count(*) "
               "FROM events GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5")


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def test_export_then_import_gives_the_same_matches_and_figures(station_dir: Path,
                                                               tmp_path: Path) -> None:
    capture = tmp_path / "day.jsonl"
    day = str(rows(station_dir / DB_FILE, "SELECT date FROM days")[0][0])
    result = run_cli("export", "--data-dir", station_dir, "--day", day, "--to", capture)
    assert result.exit_code == 0, result.output
    sent = datagrams(*MATCH_1)
    lines = list(read_capture(capture.read_bytes().splitlines()))
    assert len(lines) == rows(station_dir / DB_FILE, "SELECT count(*) FROM datagrams")[0][0]
    assert lines[0].t == START and lines[0].data == sent[0]  # type: ignore[union-attr]

    court = tmp_path / "court2"
    imported = run_cli("import", capture, "--data-dir", court)
    assert imported.exit_code == 0, imported.output
    assert "2 new matches" in imported.stdout
    for sql in (MATCH_SQL, BY_HOUR_SQL, "SELECT received_at, data FROM datagrams ORDER BY id"):
        assert rows(court / DB_FILE, sql) == rows(station_dir / DB_FILE, sql)

    again = run_cli("import", capture, "--data-dir", court)
    assert again.exit_code == 0, again.output
    assert "0 datagrams imported" in again.stdout and "0 new matches" in again.stdout
    assert rows(court / DB_FILE, "SELECT count(*) FROM matches") == [(2,)]
    # and into the station it came from: all there already
    home = run_cli("import", capture, "--data-dir", station_dir)
    assert "0 datagrams imported" in home.stdout


def test_export_by_match_and_tournament(station_dir: Path, tmp_path: Path) -> None:
    one = run_cli("export", "--data-dir", station_dir, "--match", "101")
    assert one.exit_code == 0, one.output
    got = [json.loads(line) for line in one.stdout.splitlines()]
    assert base64.b64decode(got[0]["data"]).startswith(b"pre;")
    assert len(got) == len(datagrams(*MATCH_1))  # the first match: pre ... wmh
    name = rows(station_dir / DB_FILE, "SELECT name FROM tournaments")[0][0]
    assert isinstance(name, str)
    whole = run_cli("export", "--data-dir", station_dir, "--tournament", name)
    assert len(whole.stdout.splitlines()) == rows(station_dir / DB_FILE,
                                                  "SELECT count(*) FROM datagrams")[0][0]
    none = run_cli("export", "--data-dir", station_dir, "--tournament", "Nowhere Open")
    assert none.exit_code == 1 and "0 datagrams exported" in none.stderr
    bad = run_cli("export", "--data-dir", station_dir, "--day", "29/05/2026")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr
    assert run_cli("export", "--data-dir", station_dir).exit_code == 2


def test_import_keeps_the_station_current_and_takes_a_tournament(tmp_path: Path) -> None:
    capture = tmp_path / "m.jsonl"
    fill(tmp_path / "source")
    run_cli("export", "--data-dir", tmp_path / "source", "--match", "101", "--to", capture)
    live = tmp_path / "live"
    store = Store(live / DB_FILE)
    store.start()
    store.set_tournament("Live Open")
    feed(store, datagrams("pre;FightLoaded;", "mch;301;Final;W -49kg;;blue;white;red;white;"
                          "M-301;Senior;3;120;cntDown;25;20;"), start=1_790_000_000.0)
    store.close()
    before = rows(live / DB_FILE, "SELECT key, value FROM settings ORDER BY key")
    result = run_cli("import", capture, "--data-dir", live, "--tournament", "Paris Open 2026")
    assert result.exit_code == 0, result.output
    assert rows(live / DB_FILE, "SELECT key, value FROM settings ORDER BY key") == before
    assert rows(live / DB_FILE, "SELECT m.number, t.name FROM matches m JOIN days y ON "
                                "y.id = m.day_id JOIN tournaments t ON t.id = y.tournament_id "
                                "ORDER BY m.id") == [("301", "Live Open"),
                                                     ("101", "Paris Open 2026")]
    # the live station goes on with its own match
    store = Store(live / DB_FILE)
    store.start()
    feed(store, datagrams("clk;2:00;start;"), start=1_790_000_100.0)
    store.close()
    assert rows(live / DB_FILE, "SELECT started_at FROM matches WHERE number = '301'") == [
        (1_790_000_100.0,)]


def test_a_spill_file_imports_and_bad_lines_are_named(tmp_path: Path) -> None:
    data = datagrams(*MATCH_1)
    spill = tmp_path / "spill-2026-05-28.jsonl"
    good = [json.dumps({"t": START + i, "data": base64.b64encode(d).decode()})
            for i, d in enumerate(data)]
    spill.write_text("\n".join([good[0], "{not json", "plain text line;", *good[1:],
                                '{"t": "soon", "data": "eA=="}']) + "\n", encoding="utf-8")
    result = run_cli("import", spill, "--data-dir", tmp_path / "d")
    assert result.exit_code == 1
    assert f"{spill}: line 2: not JSON" in result.stderr
    assert f"{spill}: line 3: no arrival time" in result.stderr
    assert "must be a number of seconds" in result.stderr
    assert f"{len(data)} datagrams imported" in result.stdout
    assert rows(tmp_path / "d" / DB_FILE, "SELECT number, winner FROM matches") == [
        ("101", "BLUE")]
    assert rows(tmp_path / "d" / DB_FILE, "SELECT DISTINCT source FROM datagrams") == [
        ("import",)]
