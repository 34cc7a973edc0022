"""End to end: the real `restrike run` process, real UDP datagrams, real SQLite."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import wait_until_sync
from tests.station.fixtures import StationProcess, match_datagrams, send_udp, settled

pytestmark = pytest.mark.slow


@pytest.fixture
def proc(tmp_path: Path) -> Iterator[StationProcess]:
    station = StationProcess(tmp_path / "data").start()
    try:
        yield station
    finally:
        assert station.stop() == 0, station.output


def test_full_match_gives_state_and_stored_events(proc: StationProcess) -> None:
    datagrams = match_datagrams()
    send_udp(proc.udp_port, datagrams, pause=0.001)
    wait_until_sync(lambda: settled(proc.get("/api/v1/stats").json(), len(datagrams)))
    state = proc.get("/api/v1/state").json()
    assert state["scores"] == [3, 1]
    assert state["athletes"][1]["country"] == "USA"
    assert state["winner"]["decision"] == "PTF"
    events = proc.get("/api/v1/events", limit=1000).json()["events"]
    assert events[0]["code"] == "wmh" and events[-1]["code"] == "pre"
    matches = proc.get("/api/v1/matches").json()["matches"]
    assert matches[0]["number"] == "101"
    stats = proc.get("/api/v1/stats").json()
    assert stats["datagrams_received"] == len(datagrams) and stats["dropped"] == 0


def test_malformed_flood_is_stored_while_valid_traffic_flows(proc: StationProcess) -> None:
    rng = random.Random(7)
    flood = [bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300)))
             for _ in range(3000)]
    valid = [b"clk;1:%02d\r\n" % (i % 60) for i in range(300)]
    mixed: list[bytes] = []
    for i, junk in enumerate(flood):
        mixed.append(junk)
        if i % 10 == 0:
            mixed.append(valid[i // 10])
    send_udp(proc.udp_port, mixed)
    total = len(mixed)
    stats = wait_until_sync(lambda: settled(s := proc.get("/api/v1/stats").json(), total)
                            and s, what="every datagram stored and folded")
    assert stats["datagrams_received"] == total
    assert stats["invalid"] + stats["unknown"] >= 2000
    assert proc.get("/api/v1/state").json()["clock"]["time"] == "1:59"
    invalid = proc.get("/api/v1/events", kind="invalid", limit=5).json()["events"]
    assert invalid and all(e["error"] for e in invalid)
    clocks = proc.get("/api/v1/events", kind="clock", limit=1000).json()["count"]
    assert clocks == len(valid)


def test_kill_9_then_restart_loses_nothing_committed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = StationProcess(data).start()
    datagrams = match_datagrams()
    send_udp(first.udp_port, datagrams)
    wait_until_sync(lambda: settled(first.get("/api/v1/stats").json(), len(datagrams)))
    before_state = first.get("/api/v1/state").json()
    before_events = first.get("/api/v1/events", limit=1000).json()["events"]
    first.kill()
    # The receiving child notices its station is gone and ends (it must not hold the port).
    wait_until_sync(lambda: not _receiver_children(first.udp_port), timeout=10)
    second = StationProcess(data, udp_port=first.udp_port, http_port=first.http_port).start()
    try:
        assert second.get("/api/v1/state").json() == before_state
        assert second.get("/api/v1/events", limit=1000).json()["events"] == before_events
    finally:
        assert second.stop() == 0


def test_ctrl_c_stops_in_stages_and_keeps_what_arrived(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = StationProcess(data).start()
    datagrams = [b"clk;1:%02d\r\n" % (i % 60) for i in range(3000)]
    send_udp(first.udp_port, datagrams)
    assert first.interrupt() == 0, first.output  # right after sending: still in flight
    assert "station stopped" in first.output
    second = StationProcess(data).start()
    try:
        newest = second.get("/api/v1/events", kind="clock", limit=1).json()["events"]
        assert newest[0]["raw"] == "clk;1:59"  # the last datagram sent made it
        assert second.get("/api/v1/state").json()["clock"]["time"] == "1:59"
    finally:
        assert second.stop() == 0
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(data / "restrike.sqlite3")) as conn:
        stored = conn.execute("SELECT count(*) FROM datagrams").fetchone()[0]
    assert stored == len(datagrams)


def _receiver_children(port: int) -> list[int]:
    import psutil

    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if "restrike.ingest._child" in cmdline and str(port) in cmdline:
            found.append(proc.pid)
    return found


def test_bad_setting_exits_2_naming_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
    config = tmp_path / "station.toml"
    config.write_text("[udp]\nport = 70000\n")
    result = subprocess.run([sys.executable, "-m", "restrike", "run", "--no-browser",
                             "--config", str(config), "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, env=env, timeout=30)
    assert result.returncode == 2
    assert "udp.port" in result.stderr
    env["RESTRIKE_HTTP_PORT"] = "eighty"
    result = subprocess.run([sys.executable, "-m", "restrike", "run", "--no-browser",
                             "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, env=env, timeout=30)
    assert result.returncode == 2 and "http.port" in result.stderr
    result = subprocess.run([sys.executable, "-m", "restrike", "run", "--no-browser",
                             "--data-dir", str(tmp_path), "--udp-host", "no-such-if0"],
                            capture_output=True, text=True, env=env | {"RESTRIKE_HTTP_PORT":
                                                                         "8080"}, timeout=30)
    assert result.returncode == 2 and "udp.host" in result.stderr
    broken = tmp_path / "broken.wtp"
    broken.write_text("protocol wt-udp 2.3\nmessage zz\n")
    result = subprocess.run([sys.executable, "-m", "restrike", "run", "--no-browser",
                             "--data-dir", str(tmp_path), "--protocol", str(broken)],
                            capture_output=True, text=True,
                            env=env | {"RESTRIKE_HTTP_PORT": "8080"}, timeout=30)
    assert result.returncode == 2 and "station.protocol_file" in result.stderr
    assert "broken.wtp:2" in result.stderr


def test_websocket_snapshot_then_events_and_state(proc: StationProcess) -> None:
    from websockets.sync.client import connect

    url = f"ws://127.0.0.1:{proc.http_port}/ws/live"
    with connect(url) as ws:
        snapshot = json.loads(ws.recv(timeout=5))
        assert snapshot["type"] == "snapshot"
        assert set(snapshot) >= {"state", "stats", "status"}
        assert snapshot["state"]["loaded"] is False
        datagrams = match_datagrams()
        send_udp(proc.udp_port, datagrams)
        codes: list[str] = []
        last_state = None
        deadline = time.monotonic() + 10
        while (len(codes) < len(datagrams) or last_state is None
               or last_state["scores"] != [3, 1]) and time.monotonic() < deadline:
            message = json.loads(ws.recv(timeout=5))
            if message["type"] == "events":
                codes += [e["code"] for e in message["events"]]
            elif message["type"] == "state":
                last_state = message["state"]
        assert codes[0] == "pre" and codes[-1] == "wmh"
        assert last_state is not None and last_state["scores"] == [3, 1]


def test_demo_plays_a_simulated_court_and_stops_cleanly(tmp_path: Path) -> None:
    import httpx

    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
    proc = subprocess.Popen([sys.executable, "-m", "restrike", "demo", "--no-browser",
                             "--speed", "50", "--data-dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert proc.stdout is not None
        url = None
        for line in proc.stdout:
            if "console at " in line:
                url = line.split("console at ", 1)[1].strip().rstrip("/")
                break
        assert url, "no console address printed"
        state = wait_until_sync(lambda: (s := httpx.get(url + "/api/v1/state").json())["loaded"]
                                and s, what="the match loaded")
        assert state["athletes"][0]["long_name"]
        health = httpx.get(url + "/api/health").json()
        assert health["components"]["simulator"]["ok"]
        # At the start, and again when the simulator listened (it asks on the bus).
        assert health["components"]["ingest"]["resyncs"] == 2
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "station stopped" in out


def test_udp_receiver_setting_selects_the_thread_receiver(tmp_path: Path) -> None:
    config = tmp_path / "station.toml"
    config.write_text('[udp]\nreceiver = "thread"\n')
    station = StationProcess(tmp_path / "data", extra=["--config", str(config)]).start()
    try:
        assert not _receiver_children(station.udp_port)  # no receiver process
        ingest = station.get("/api/health").json()["components"]["ingest"]
        assert ingest["receiver_kind"] == "thread" and ingest["receiver_stores"] is False
        datagrams = match_datagrams()
        send_udp(station.udp_port, datagrams, pause=0.001)
        wait_until_sync(lambda: settled(station.get("/api/v1/stats").json(), len(datagrams)))
        assert station.get("/api/v1/state").json()["scores"] == [3, 1]
    finally:
        assert station.stop() == 0, station.output
    config.write_text('[udp]\nreceiver = "asyncio"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
    result = subprocess.run([sys.executable, "-m", "restrike", "run", "--no-browser",
                             "--config", str(config), "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, env=env, timeout=30)
    assert result.returncode == 2 and "udp.receiver" in result.stderr, result.stderr
