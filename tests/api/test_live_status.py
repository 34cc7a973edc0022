"""``/ws/live`` ``status`` over a real WebSocket: the contract's keys, health apart.

A real station (HTTP on a free port) with an OBS connection that cannot connect and
a real idle mpv: every ``status`` a client sees has ``obs`` as the list of
connections and ``player`` as the player's status; components' health is under
``status.health``, never in their place.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import websockets

from restrike.bus import HealthChanged, StatusChanged
from restrike.cli.components import PlaybackComponent
from restrike.cli.run import ObsComponent
from restrike.station import Station, StationConfig
from tests.helpers import wait_until
from tests.peers.mpv import headless_settings, require_mpv
from tests.station.fixtures import free_port


def _obs_entry(port: int) -> Any:
    return SimpleNamespace(name="rec", url=f"ws://127.0.0.1:{port}", password="",
                           role="both", protocol="v5")


@pytest.fixture
async def full_station(tmp_path: Path) -> AsyncIterator[Station]:
    require_mpv()
    station = Station(StationConfig(data_dir=tmp_path / "data", udp_host="127.0.0.1",
                                    udp_port=0, http_host="127.0.0.1", http_port=0,
                                    switch_interval=None))
    station.add(ObsComponent([_obs_entry(free_port(socket.SOCK_STREAM))]))
    station.add(PlaybackComponent(headless_settings()))
    await station.start()
    try:
        yield station
    finally:
        await station.stop()


def _check_status(status: dict[str, Any]) -> None:
    assert isinstance(status["obs"], list), status["obs"]
    assert [o["name"] for o in status["obs"]] == ["rec"]
    assert status["obs"][0]["connected"] is False
    player = status["player"]
    assert isinstance(player, dict) and "alive" in player and "file" in player, player
    assert "connections" not in player


async def test_status_keeps_the_contract_keys_and_health_apart(full_station: Station) -> None:
    station = full_station
    url = f"ws://127.0.0.1:{station.bound['http']['port']}/ws/live"
    async with websockets.connect(url) as ws:
        snapshot = json.loads(await ws.recv())
        assert snapshot["type"] == "snapshot"
        status = snapshot["status"]
        _check_status(status)
        assert status["player"]["alive"] is True
        health = status["health"]
        assert {"store", "ingest", "obs", "playback", "api"} <= set(health)
        assert health["obs"]["connections"] == 1
        # A pool change and a health change on the bus, as the components publish them.
        obs = station.get("obs")
        assert isinstance(obs, ObsComponent)
        station.bus.publish(StatusChanged("obs", [s.as_dict() for s in obs.pool.statuses()]))
        station.bus.publish(HealthChanged("obs", {**obs.health(), "ok": False}))
        seen: list[dict[str, Any]] = []

        async def health_arrived() -> bool:
            message = json.loads(await ws.recv())
            if message["type"] == "status":
                seen.append(message["status"])
            return bool(seen) and seen[-1]["health"]["obs"]["ok"] is False

        await wait_until(health_arrived, timeout=5)
        for status in seen:
            _check_status(status)


async def test_a_hub_started_late_begins_with_what_was_published(tmp_path: Path) -> None:
    station = Station(StationConfig(data_dir=tmp_path / "data", udp_host="127.0.0.1",
                                    udp_port=0, http_port=0, serve_http=False))
    await station.start()
    try:
        station.bus.publish(StatusChanged("obs", [{"name": "a", "connected": True}]))
        from restrike.api.live import LiveHub

        hub = LiveHub(station)
        await hub.start()
        try:
            assert hub.status["obs"] == [{"name": "a", "connected": True}]
            assert hub.status["player"] is None
            assert set(hub.status["health"]) == {"store", "ingest"}
            assert "store" not in hub.status and "ingest" not in hub.status
        finally:
            await hub.stop()
    finally:
        await station.stop()
