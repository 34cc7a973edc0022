"""The components the composition root builds from the settings (OBS pool, player)."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx

from restrike.assembly import assemble
from restrike.bus import StatusChanged
from restrike.obs.component import ObsComponent
from restrike.playback import MpvPlayer, PlaybackSettings
from restrike.playback.component import PlaybackComponent
from tests.helpers import wait_until
from tests.station.fixtures import free_port, station_settings


def _names(tmp_path: Path, **values: object) -> list[str]:
    parts = assemble(station_settings(tmp_path, **values), plugins=False)
    return [c.name for c in parts.station.components]


def test_the_components_the_settings_ask_for(tmp_path: Path) -> None:
    """OBS is always there (an empty pool without [[obs]]: connections added from the
    console apply at run time), so is the system monitor; mpv only when enabled."""
    assert _names(tmp_path) == ["store", "ingest", "obs", "monitor", "review", "api"]
    assert _names(tmp_path, **{"playback.enabled": True}) == [
        "store", "ingest", "obs", "monitor", "playback", "review", "api"]
    parts = assemble(station_settings(tmp_path), review=False, serve_http=False,
                     plugins=False)
    assert [c.name for c in parts.station.components] == ["store", "ingest", "obs", "monitor"]
    assert all(part is None for part in (parts.review, parts.playback, parts.api))
    assert isinstance(parts.obs, ObsComponent)


async def test_obs_component_reports_an_unreachable_obs(tmp_path: Path) -> None:
    port = free_port(socket.SOCK_STREAM)  # nothing listens there
    settings = station_settings(tmp_path, obs=f'[{{name = "court1", url = '
                                              f'"ws://127.0.0.1:{port}", role = "recording"}}]')
    parts = assemble(settings, review=False, plugins=False)
    component = parts.obs
    assert isinstance(component, ObsComponent)
    assert [c.name for c in parts.station.components] == ["store", "ingest", "obs", "monitor",
                                                          "api"]
    station = parts.station
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
    parts = assemble(station_settings(tmp_path, **{"playback.enabled": True}))
    assert parts.playback is not None and parts.review is not None
    assert parts.playback.allowed_roots == [parts.review.options.recordings_root]
    assert parts.review.player is parts.playback.player  # the review plays on it


def test_player_status_carries_the_players_own_error() -> None:
    component = PlaybackComponent(MpvPlayer(PlaybackSettings()))
    status = component.status({"alive": True, "error": "supervisor crashed"})
    assert status["error"] == "supervisor crashed" and status["ok"] is False
    assert component.status({"alive": True, "error": None})["ok"] is True
    component.error = "mpv not found"
    assert component.status({"alive": False, "error": "other"})["error"] == "mpv not found"


def test_store_health_follows_the_current_error_not_the_error_count(tmp_path: Path) -> None:
    from restrike.store.component import StoreComponent
    from restrike.store.types import StoreStats

    class FakeStore:
        def __init__(self) -> None:
            self.current = StoreStats(1, 1, 1, 0, 1, 1, 1.0, errors=1)

        def stats(self) -> StoreStats:
            return self.current

    component = StoreComponent(tmp_path / "s.db", batch_rows=1, batch_ms=1.0)
    fake = FakeStore()
    component.store = fake  # type: ignore[assignment]  # only stats() is read
    health = component.health()
    assert health["ok"] is True and health["errors"] == 1  # one transient busy, recovered
    failing = "database write failing: disk full — datagrams held in memory: 5"
    fake.current = StoreStats(1, 1, 1, 5, 5, 1, 1.0, errors=3, error=failing, spilled=2,
                              spill_path=str(tmp_path / "spill-x.jsonl"))
    health = component.health()
    assert health["ok"] is False and health["error"] == failing
    assert health["spilled"] == 2 and health["spill_path"].endswith("spill-x.jsonl")
