"""The licence in real station processes: activation through the station's API against
a real licence server, revocation, and the clock moved by libfaketime with the server
stopped (+6 days warning, +8 days locked: the licensed features answer 403 while the
scoreboard, the archive and the API keep working). The trial's end under +31 days."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from restrike.license.service import LicenseService
from restrike.license_server.db import LicenseDB
from tests.license.conftest import FakeTimeStation, Server, needs_faketime, run_cli


@pytest.fixture
def station_at(tmp_path: Path) -> Iterator[list[FakeTimeStation]]:
    started: list[FakeTimeStation] = []
    yield started
    for proc in started:
        proc.stop()


def launch(started: list[FakeTimeStation], data: Path, xdg: Path,
           shift: str | None = None) -> FakeTimeStation:
    proc = FakeTimeStation(data, xdg, shift)
    started.append(proc)
    return proc.start(timeout=60, ready=(200, 503))  # 503: another plugin not ok yet


def locked_features(proc: FakeTimeStation, reason: str) -> None:
    """Replay, overlays refused with the reason; the scoreboard and the archive answer."""
    replay = httpx.post(proc.url + "/api/v1/replay", json={}, timeout=10)
    assert replay.status_code == 403 and reason in replay.json()["detail"]
    assert "replay is locked" in replay.json()["detail"]
    overlay = httpx.get(proc.url + "/overlays/intro.html", timeout=10)
    assert overlay.status_code == 403 and "overlays is locked" in overlay.json()["detail"]
    gates = httpx.get(proc.url + "/api/v1/gates", timeout=10).json()
    assert set(gates["denied"]) == {"recording", "replay", "overlays"}
    for path in ("/api/v1/state", "/api/v1/events", "/api/v1/clips"):
        assert httpx.get(proc.url + path, timeout=10).status_code == 200, path


def test_activation_and_revocation_through_the_station(server: Server, tmp_path: Path,
                                                       station_at: list[FakeTimeStation]
                                                       ) -> None:
    key = server.quick_key(days=30)
    proc = launch(station_at, tmp_path / "data", tmp_path / "xdg")
    before = httpx.get(proc.url + "/api/v1/license", timeout=10).json()
    assert (before["state"], before["days_left"]) == ("trial", 30)
    wrong = httpx.post(proc.url + "/api/v1/license/activate",
                       json={"key": "RSTK-22222-33333-44444-55555", "server": server.url},
                       timeout=30)
    assert wrong.status_code == 409 and wrong.json()["error"] == "unknown_key"
    done = httpx.post(proc.url + "/api/v1/license/activate",
                      json={"key": key, "server": server.url}, timeout=30)
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["days_left"]) == ("active", 30)
    assert httpx.get(proc.url + "/overlays/intro.html", timeout=10).status_code == 200
    health = httpx.get(proc.url + "/api/health", timeout=10).json()["components"]["license"]
    assert health["state"] == "active"
    db = LicenseDB(server.data_dir)
    db.revoke(key, now=time.time())
    db.close()
    checked = httpx.post(proc.url + "/api/v1/license/validate", timeout=30).json()
    assert checked["state"] == "revoked" and "revoked" in checked["error"]
    locked_features(proc, "licence revoked")


@needs_faketime
@pytest.mark.parametrize(("shift", "state"), [("+6d", "warning"), ("+8d", "locked")])
def test_offline_station_under_faketime(offline_licence: tuple[Path, Path], tmp_path: Path,
                                        station_at: list[FakeTimeStation], shift: str,
                                        state: str, browser: Any) -> None:
    data = tmp_path / "data"
    shutil.copytree(offline_licence[0], data)
    proc = launch(station_at, data, offline_licence[1], shift)
    body = httpx.get(proc.url + "/api/v1/license", timeout=10).json()
    assert body["state"] == state and "not validated for" in body["reason"]
    if state == "locked":
        locked_features(proc, "connect to the internet")
    else:
        assert body["days_left"] == 1
        replay = httpx.post(proc.url + "/api/v1/replay", json={}, timeout=10)
        assert replay.status_code != 403
        assert httpx.get(proc.url + "/api/v1/gates", timeout=10).json()["denied"] == {}
    banner = _console_banner(browser, proc.url)
    assert banner.startswith("LICENCE LOCKED" if state == "locked" else "Licence warning")
    assert "not validated for" in banner
    proc.stop()
    assert f"licence {state}" in proc.output  # logged


@needs_faketime
def test_trial_ends_after_30_days(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    first = LicenseService(tmp_path / "data", trial_folder=xdg / "restrike" / "license")
    assert first.snapshot(start_trial=True).status.state == "trial"  # the first start
    done = run_cli("license", "status", "--json", "--data-dir", str(tmp_path / "data"),
                   xdg=xdg, shift="+31d")
    body = json.loads(done.stdout)
    assert body["state"] == "locked" and "30-day trial ended" in body["reason"]
    assert "restrike license activate" in body["reason"]


def _console_banner(browser: Any, url: str) -> str:
    """The licence banner the console shows (the operator's first sight of it)."""
    page = browser.new_page()
    try:
        page.goto(url + "/")
        banner = page.locator('#banners [data-kind^="license"]')
        banner.wait_for(timeout=20_000)
        return str(banner.inner_text())
    finally:
        page.close()
