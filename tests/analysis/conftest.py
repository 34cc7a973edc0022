"""Fixtures of the analysis tests: ffmpeg, generated recordings (made once per session),
a station database with matches, recordings and tags."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from restrike.analysis.bench import make_recording
from restrike.analysis.ffmpeg import Tools, find_tools
from restrike.analysis.rules import Tag
from restrike.analysis.tables import OWNER, STEPS, write_changes
from restrike.store import Store
from restrike.store.owned import apply_owned_steps

#: The recording's wall-clock start in the database below.
STARTED = 1_800_000_000.0


@pytest.fixture(scope="session")
def tools() -> Tools:
    return find_tools()


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def recording(tools: Tools, media: Path) -> Path:
    """40 s, 320x240, 30 frames/s, keyframes every 2 s, H.264/AAC in Matroska (like OBS)."""
    return make_recording(tools, media / "match-101.mkv", 40, size="320x240")


@pytest.fixture(scope="session")
def mpeg4_recording(tools: Tools, media: Path, recording: Path) -> Path:
    """The same recording in a codec an MP4 reel cannot copy (every part re-encoded)."""
    path = media / "match-102.mkv"
    tools.run([tools.ffmpeg, "-v", "error", "-i", str(recording), "-t", "8", "-c:v", "mpeg4",
               "-c:a", "copy", "-y", str(path)], what="test recording")
    return path


def _seed(conn: sqlite3.Connection, recordings: dict[str, Path | None]) -> None:
    conn.execute("INSERT INTO tournaments (id, name, created_at) VALUES (1, 'Open', 0)")
    conn.execute("INSERT INTO days (id, tournament_id, date, created_at) "
                 "VALUES (1, 1, '2027-01-15', 0)")
    conn.execute("INSERT INTO athletes (id, short_name, long_name, country) VALUES "
                 "(1, 'KIM', 'KIM Minsu', 'KOR'), (2, 'DOE', 'John DOE', 'USA')")
    for index, (number, path) in enumerate(recordings.items(), start=1):
        start = STARTED + 1000 * index
        result = {"blue_points": 12, "red_points": 5, "decision": "PTF"}
        conn.execute("INSERT INTO matches (id, day_id, number, blue_athlete_id, red_athlete_id,"
                     " loaded_at, result) VALUES (?, 1, ?, 1, 2, ?, ?)",
                     (index, number, start, json.dumps(result)))
        if path is not None:
            conn.execute("INSERT INTO recording_sessions (day, output, obs_name, match, path,"
                         " started_at, ended_at) VALUES ('2027-01-15', 'recording', 'obs', ?,"
                         " ?, ?, ?)", (number, str(path), start, start + 100))
    apply_owned_steps(conn, OWNER, STEPS)


def tag_at(match: int, event_id: int, offset: float, kind: str = "head_kick",
           weight: float = 0.6) -> Tag:
    """A tag ``offset`` s into match ``match``'s recording (the layout of ``database``)."""
    return Tag(event_id, match, kind, 1, 1, 60, (0, 0), (3, 0), weight,
               STARTED + 1000 * match + offset)


@pytest.fixture
def database(tmp_path: Path, recording: Path, mpeg4_recording: Path) -> Iterator[Path]:
    """Matches 101 (recorded, H.264), 102 (recorded, MPEG-4), 103 (no recording), with
    tags at 5, 7 and 30 s of 101, 4 s of 102 and 10 s of 103."""
    path = tmp_path / "restrike.db"
    store = Store(path)
    store.start()
    try:
        store.call(lambda conn: _seed(conn, {"101": recording, "102": mpeg4_recording,
                                             "103": None})).result(30)
        tags = [tag_at(1, 1, 5.0), tag_at(1, 2, 7.0, "lead_change"),
                tag_at(1, 3, 30.0, "decisive", 0.9), tag_at(2, 4, 4.0), tag_at(3, 5, 10.0)]
        store.call(lambda conn: write_changes(conn, tags)).result(30)
    finally:
        store.close()
    yield path
