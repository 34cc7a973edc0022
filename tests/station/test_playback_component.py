"""The review player as a station component: mpv idle with the station, or a clear error."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from restrike.assembly import assemble
from restrike.bus import StatusChanged
from restrike.kernel import Station
from restrike.playback import MpvPlayer
from restrike.playback.component import PlaybackComponent
from tests.helpers import wait_until
from tests.peers.mpv import clip, headless_settings, require_mpv  # noqa: F401
from tests.station.fixtures import station_settings


def _station(tmp_path: Path, component: PlaybackComponent) -> Station:
    """The station with ``component`` as its player (store, ingest, API; no review)."""
    return assemble(station_settings(tmp_path / "data"), extra=[component], review=False,
                    switch_interval=None).station


def _players(statuses: list[StatusChanged]) -> list[dict[str, Any]]:
    return [s.status for s in statuses if s.component == "player" and isinstance(s.status, dict)]


async def test_missing_mpv_leaves_the_station_running_and_is_picked_up_later(
        tmp_path: Path) -> None:
    mpv = require_mpv()
    later = tmp_path / "bin" / "mpv"  # not there yet: "mpv is not installed"
    component = PlaybackComponent(MpvPlayer(headless_settings(mpv_path=str(later))),
                                  retry_first=0.1, retry_max=0.2)
    station = _station(tmp_path, component)
    statuses: list[StatusChanged] = []
    station.bus.subscribe(StatusChanged, statuses.append)
    await station.start()
    try:
        health = station.health()
        assert not health["ok"]
        player_health = health["components"]["playback"]
        assert player_health["state"] == "unavailable"
        assert "playback.mpv_path" in player_health["error"]
        assert str(later) in player_health["error"]
        status = _players(statuses)[-1]
        assert status["ok"] is False and status["error"] == player_health["error"]
        url = f"http://127.0.0.1:{station.bound['http']['port']}"
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/api/health")).status_code == 503
            diagnostics = (await client.get("/api/v1/diagnostics")).json()
            assert "playback.mpv_path" in str(diagnostics["health"])
            assert (await client.get("/api/v1/playback")).json()["alive"] is False
            later.parent.mkdir()
            later.symlink_to(mpv)  # mpv installed while the station runs
            await wait_until(lambda: station.health()["ok"], timeout=15)
            assert (await client.get("/api/v1/playback")).json()["alive"] is True
        assert _players(statuses)[-1]["ok"] is True
        assert _players(statuses)[-1]["error"] is None
    finally:
        await station.stop()
    assert component.player.pid is None


@pytest.mark.peers
async def test_idle_mpv_with_the_station_plays_and_comes_back(tmp_path: Path,
                                                              clip: Path) -> None:  # noqa: F811
    require_mpv()
    component = PlaybackComponent(MpvPlayer(headless_settings()), allowed_roots=[clip.parent])
    station = _station(tmp_path, component)
    statuses: list[StatusChanged] = []
    station.bus.subscribe(StatusChanged, statuses.append)
    await station.start()
    try:
        assert station.health()["ok"]
        assert station.health()["components"]["playback"]["state"] == "running"
        pid = component.player.pid
        assert pid is not None
        url = f"http://127.0.0.1:{station.bound['http']['port']}"
        async with httpx.AsyncClient(base_url=url) as client:
            r = await client.post("/api/v1/playback/open", json={"path": str(clip)})
            assert r.status_code == 200, r.text
            await component.player.wait_position(10, within=10, file=str(clip))
            outside = await client.post("/api/v1/playback/open",
                                        json={"path": str(tmp_path / "x.mp4")})
            assert outside.status_code in (403, 404)
        await wait_until(lambda: any(s["file"] == str(clip) for s in _players(statuses)))
        os.kill(pid, signal.SIGKILL)  # the player restarts mpv by itself
        await wait_until(lambda: component.player.restarts >= 1
                         and component.player.status().alive, timeout=15)
        assert component.player.pid != pid
        await wait_until(lambda: _players(statuses)[-1]["alive"]
                         and _players(statuses)[-1]["ok"])
    finally:
        await station.stop()
