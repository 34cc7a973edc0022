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
