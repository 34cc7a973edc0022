"""Degraded, not dead: a data folder that cannot be written does not stop the station.

The folders are made unwritable in ways that hold for root too (CI may run as root,
and root ignores chmod): the data folder's path runs through a regular FILE, a
directory sits where the database file should be, or the database file is not a
database. Removing the obstacle is the folder becoming writable again.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

from restrike.errors import StoreError
from restrike.logs import setup_logging
from restrike.playback.process import kill_recorded, record_pid
from restrike.protocol import parse
from restrike.protocol.capture import Datagram, read_capture
from restrike.store import Received, Store
from tests.helpers import wait_until_sync
from tests.station.fixtures import StationProcess, match_datagrams, send_udp

DB = "restrike.sqlite3"


def _received(n: int, t: float = 1_000.0) -> Received:
    data = b"clk;1:%02d;" % (n % 60) + b"#" + str(n).encode()
    return Received(n, t + n, "10.0.0.1:5000", data, parse(data))


def _stored(path: Path) -> list[bytes]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT data FROM datagrams ORDER BY id")]
    finally:
        conn.close()


class Obstacle:
    """One way a data folder cannot be written, and how it is removed."""

    def __init__(self, kind: str, root: Path) -> None:
        self.kind = kind
        self.root = root
        if kind == "file where the folder should be":
            (root / "blocker").write_text("not a folder\n", encoding="utf-8")
            self.data_dir = root / "blocker" / "data"
            self.reason = "Not a directory"
        elif kind == "folder where the database should be":
            self.data_dir = root / "data"
            (self.data_dir / DB).mkdir(parents=True)
            self.reason = "unable to open database file"
        else:  # "not a database"
            self.data_dir = root / "data"
            self.data_dir.mkdir()
            (self.data_dir / DB).write_bytes(b"\x00garbage, not SQLite\n" * 300)
            self.reason = "not a database"

    @property
    def database(self) -> Path:
        return self.data_dir / DB

    def remove(self) -> None:
        if self.kind == "file where the folder should be":
            (self.root / "blocker").unlink()
        elif self.kind == "folder where the database should be":
            self.database.rmdir()
        else:
            self.database.unlink()


@pytest.fixture(autouse=True)
def own_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fallback spill folder lives in the system's temporary folder: use the test's."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))  # for the station processes too
    return folder


KINDS = ["file where the folder should be", "folder where the database should be",
         "not a database"]


# -- the store on its own -------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_store_holds_datagrams_until_the_database_opens(kind: str, tmp_path: Path) -> None:
    obstacle = Obstacle(kind, tmp_path)
    with pytest.raises(StoreError, match="cannot"):
        Store(obstacle.database)  # without retry_open: refused at once, as before
    store = Store(obstacle.database, retry_open=True)
    try:
        assert not store.is_open
        error = store.stats().error
        assert error is not None and error.startswith("database cannot be opened: ")
        assert obstacle.reason in error and "datagrams held in memory: 0" in error
        with pytest.raises(StoreError, match="not open"):
            store.reader()
        store.start()
        for n in range(1, 51):
            store.submit(_received(n))
        time.sleep(0.3)  # a few retries
        assert not store.is_open
        assert "datagrams held in memory: 50" in (store.stats().error or "")
        job = store.call(lambda conn: conn.execute("SELECT count(*) FROM datagrams")
                         .fetchone()[0])
        obstacle.remove()  # the folder is writable again
        assert job.result(15) == 50  # in order: the job saw every datagram before it
        assert store.is_open and store.stats().error is None
        assert store.stats().stored_datagrams == 50
    finally:
        store.close()
    assert _stored(obstacle.database) == [_received(n).data for n in range(1, 51)]


def test_store_spills_to_the_temporary_folder_and_at_close(tmp_path: Path) -> None:
    obstacle = Obstacle("file where the folder should be", tmp_path)
    store = Store(obstacle.database, max_backlog=5, retry_open=True)
    store.start()
    for n in range(1, 21):
        store.submit(_received(n))
    stats = store.stats()
    fallback = tmp_path / "tmp" / "restrike-spill"
    assert stats.spilled == 15 and stats.spill_path is not None
    assert Path(stats.spill_path).parent == fallback  # the data folder could not take it
    assert f"15 spilled to {fallback}" in (stats.error or "")
    job = store.call(lambda conn: None)
    store.close()  # still not open: the 5 held in memory are spilled after the others
    with pytest.raises(StoreError, match="database cannot be opened"):
        job.result(0)
    (spill,) = fallback.glob("spill-*.jsonl")
    with spill.open("rb") as f:
        kept = [e.data for e in read_capture(f) if isinstance(e, Datagram)]
    assert sorted(kept, key=lambda d: int(d.split(b"#")[1])) == \
        [_received(n).data for n in range(1, 21)]
    assert kept[:15] == [_received(n).data for n in range(6, 21)]


def test_spill_folders_that_fail_are_logged_once_not_per_datagram(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "also-a-file").write_text("x", encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "also-a-file" / "tmp"))
    obstacle = Obstacle("file where the folder should be", tmp_path)
    store = Store(obstacle.database, max_backlog=2, retry_open=True)
    try:
        with caplog.at_level(logging.ERROR, logger="restrike.store"):
            for n in range(1, 201):
                store.submit(_received(n))
        assert store.stats().queue_depth == 200  # nothing lost: kept in memory
        assert store.stats().spilled == 0
        spill_errors = [r for r in caplog.records if "cannot spill" in r.getMessage()]
        assert len(spill_errors) == 2  # one per folder, not 2 x 198
    finally:
        obstacle.remove()
        store.start()
        wait_until_sync(lambda: store.stats().stored_datagrams == 200, what="the held datagrams")
        store.close()


# -- the other writers of the data folder ----------------------------------------------------


def test_log_folder_that_fails_logs_to_stderr(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    obstacle = Obstacle("file where the folder should be", tmp_path)
    root = logging.getLogger()
    level = root.level
    try:
        path = setup_logging(level="INFO", log_dir=obstacle.data_dir / "logs", console=False)
        logging.getLogger("restrike.test").warning("still heard")
    finally:
        for handler in list(root.handlers):
            if getattr(handler, "_restrike", False):
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
    assert path is None
    err = capsys.readouterr().err
    assert f"cannot write the log file in {obstacle.data_dir / 'logs'}: Not a directory" in err
    assert "logging to stderr only" in err and "still heard" in err


def test_mpv_pid_file_in_a_folder_that_fails(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    obstacle = Obstacle("file where the folder should be", tmp_path)
    pid_file = obstacle.data_dir / "mpv.pid"
    assert kill_recorded(pid_file) is None  # nothing recorded there, nothing said
    with caplog.at_level(logging.WARNING, logger="restrike.playback"):
        record_pid(pid_file, os.getpid())
    (record,) = [r for r in caplog.records if "cannot record the mpv pid" in r.getMessage()]
    assert "Not a directory" in record.getMessage()
    assert "will not be stopped at the next start" in record.getMessage()


# -- the real station --------------------------------------------------------------------------


def _start_degraded(station: StationProcess) -> StationProcess:
    """Start ``restrike run`` and wait for its scoreboard (health is red, by design)."""
    return station.start(30.0, path="/api/v1/state")


def test_run_with_a_data_folder_that_cannot_be_written(tmp_path: Path) -> None:
    obstacle = Obstacle("file where the folder should be", tmp_path)
    station = _start_degraded(StationProcess(obstacle.data_dir))
    try:
        url = station.url
        health = httpx.get(url + "/api/health", timeout=5)
        assert health.status_code == 503
        store = health.json()["components"]["store"]
        assert store["ok"] is False and store["state"] == "failing"
        assert "database cannot be opened" in store["error"] and "Not a directory" in \
            store["error"]
        components = health.json()["components"]
        core = {name: components[name]["ok"] for name in ("ingest", "obs", "review", "api")}
        assert all(core.values()), components  # the station's own parts run
        # A plugin that keeps tables in the database cannot start without it: it is
        # shown failed, saying why; the others run.
        failed = {name: h for name, h in components.items()
                  if name not in ("store", *core) and not h.get("ok", True)}
        for name, h in failed.items():
            assert "store" in str(h).lower() or "database" in str(h).lower(), (name, h)

        # The scoreboard follows the court.
        datagrams = match_datagrams()
        send_udp(station.udp_port, datagrams, pause=0.002)
        state = wait_until_sync(lambda: (s := httpx.get(url + "/api/v1/state", timeout=5).json())
                                ["scores"] == [3, 1] and s, what="the live scores")
        assert state["loaded"] is True
        # The console, flags and /ws/live answer; the store's readers say why they wait.
        assert httpx.get(url + "/", timeout=5).status_code == 200
        assert httpx.get(url + "/flags/KOR.svg", timeout=5).status_code == 200
        with ws_connect(url.replace("http", "ws") + "/ws/live", open_timeout=5) as ws:
            snapshot = json.loads(ws.recv(timeout=5))
        assert snapshot["state"]["scores"] == [3, 1]
        assert snapshot["status"]["health"]["store"]["ok"] is False
        events = httpx.get(url + "/api/v1/events", timeout=5)
        assert events.status_code == 503 and "store is not open" in events.text
        stats = httpx.get(url + "/api/v1/stats", timeout=5).json()
        assert stats["stored"] == 0 and stats["datagrams_received"] == len(datagrams)
        held = f"datagrams held in memory: {len(datagrams)}"
        wait_until_sync(lambda: held in httpx.get(url + "/api/health", timeout=5).json()
                        ["components"]["store"]["error"], what="every datagram held")

        obstacle.remove()  # the folder can be written again: the held datagrams are stored
        wait_until_sync(lambda: httpx.get(url + "/api/health", timeout=5).status_code == 200, 30.0,
                        "the store to open")
        wait_until_sync(lambda: httpx.get(url + "/api/v1/stats", timeout=5).json()["stored"]
                        == len(datagrams), what="the held datagrams stored")
        assert httpx.get(url + "/api/v1/events", timeout=5).json()["count"] > 0
    finally:
        code = station.stop()
    assert code == 0, station.output
    out = station.output
    assert "Traceback" not in out
    assert f"cannot write the log file in {obstacle.data_dir / 'logs'}" in out
    assert "logging to stderr only" in out and "log: stderr only" in out
    assert "database cannot be opened" in out and "runs without its database" in out
    assert "is open after" in out  # the recovery is said too
    assert "reviews are not archived" in out
    assert [bytes(d) for d in _stored(obstacle.database)] == datagrams


def test_run_keeps_what_it_held_when_the_folder_never_comes_back(
        tmp_path: Path, own_temporary_folder: Path) -> None:
    """Stopped while the database still cannot be opened: the held datagrams are in a
    spill file, in order (nothing is lost; the operator re-imports it)."""
    obstacle = Obstacle("folder where the database should be", tmp_path)
    station = StationProcess(obstacle.data_dir)
    spill_root = own_temporary_folder
    _start_degraded(station)
    try:
        datagrams = match_datagrams()
        send_udp(station.udp_port, datagrams, pause=0.002)
        wait_until_sync(lambda: httpx.get(station.url + "/api/v1/state", timeout=5).json()["scores"]
                        == [3, 1], what="the live scores")
        held = f"held in memory: {len(datagrams)}"
        wait_until_sync(lambda: held in httpx.get(station.url + "/api/health", timeout=5)
                        .json()["components"]["store"]["error"], what="every datagram held")
    finally:
        code = station.stop()
    assert code == 0, station.output
    spills = list(obstacle.data_dir.glob("spill-*.jsonl")) + \
        list((spill_root / "restrike-spill").glob("spill-*.jsonl"))
    assert len(spills) == 1, (spills, station.output)
    with spills[0].open("rb") as f:
        kept = [e.data for e in read_capture(f) if isinstance(e, Datagram)]
    assert kept == datagrams
