"""Optional components built from the settings (OBS pool)."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx

from restrike.bus import StatusChanged
from restrike.cli.components import PlaybackComponent
from restrike.cli.run import ObsComponent, components_for
from restrike.config import load_settings
from restrike.station import Station, StationConfig
from tests.helpers import wait_until
from tests.station.fixtures import free_port


def test_no_obs_configured_no_component() -> None:
    off = load_settings(None, env={}, cli={"playback.enabled": False})
    assert components_for(off, review=False) == []
    [review] = components_for(off)
    assert review.name == "review"
    playback, review = components_for(load_settings(None, env={}))
    assert isinstance(playback, PlaybackComponent) and review.name == "review"


async def test_obs_component_reports_an_unreachable_obs(tmp_path: Path) -> None:
    port = free_port(socket.SOCK_STREAM)  # nothing listens there
    settings = load_settings(None, env={}, cli={
        "obs": f'[{{name = "court1", url = "ws://127.0.0.1:{port}", role = "recording"}}]',
        "playback.enabled": False})
    [component] = components_for(settings, review=False)
    assert isinstance(component, ObsComponent)
    station = Station(StationConfig(data_dir=tmp_path, udp_host="127.0.0.1", udp_port=0,
                                    http_host="127.0.0.1", http_port=0))
    station.add(component)
    statuses: list[StatusChanged] = []
    station.bus.subscribe(StatusChanged, statuses.append)
    await station.start()
    try:
        assert station.health()["ok"]  # OBS away is not a station failure
        await wait_until(lambda: any(s.component == "obs" for s in statuses))
        url = f"http://127.0.0.1:{station.bound['http']['port']}"
        async with httpx.AsyncClient(base_url=url) as client:
            body = (await client.get("/api/v1/obs")).json()
        assert body[0]["name"] == "court1" and body[0]["connected"] is False
    finally:
        await station.stop()
    assert not component.started


def test_playback_may_open_only_the_recordings_root(tmp_path: Path) -> None:
    settings = load_settings(None, env={}, cli={"station.data_dir": str(tmp_path)})
    playback, review = components_for(settings)
    assert isinstance(playback, PlaybackComponent)
    assert playback.allowed_roots == [review.options.recordings_root]


def test_player_status_carries_the_players_own_error() -> None:
    from restrike.playback import PlaybackSettings

    component = PlaybackComponent(PlaybackSettings())
    status = component.status({"alive": True, "error": "supervisor crashed"})
    assert status["error"] == "supervisor crashed" and status["ok"] is False
    assert component.status({"alive": True, "error": None})["ok"] is True
    component.error = "mpv not found"
    assert component.status({"alive": False, "error": "other"})["error"] == "mpv not found"


def test_store_health_follows_the_current_error_not_the_error_count(tmp_path: Path) -> None:
    from restrike.ingest.components import StoreComponent
    from restrike.store.types import StoreStats

    class FakeStore:
        def __init__(self) -> None:
            self.current = StoreStats(1, 1, 1, 0, 1, 1, 1.0, errors=1)

        def stats(self) -> StoreStats:
            return self.current

    component = StoreComponent(tmp_path / "s.db", batch_rows=1, batch_ms=1.0)
    fake = FakeStore()
    component.store = fake
    health = component.health()
    assert health["ok"] is True and health["errors"] == 1  # one transient busy, recovered
    failing = "database write failing: disk full — datagrams held in memory: 5"
    fake.current = StoreStats(1, 1, 1, 5, 5, 1, 1.0, errors=3, error=failing, spilled=2,
                              spill_path=str(tmp_path / "spill-x.jsonl"))
    health = component.health()
    assert health["ok"] is False and health["error"] == failing
    assert health["spilled"] == 2 and health["spill_path"].endswith("spill-x.jsonl")
