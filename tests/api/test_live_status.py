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
from typing import Any

import pytest
import websockets

from restrike.assembly import Assembly, assemble
from restrike.bus import HealthChanged, StatusChanged
from tests.helpers import wait_until
from tests.peers.mpv import HEADLESS, require_mpv
from tests.station.fixtures import free_port, station_settings


@pytest.fixture
async def full_station(tmp_path: Path) -> AsyncIterator[Assembly]:
    """The station with an OBS that cannot be reached, a real idle mpv and HTTP."""
    require_mpv()
    port = free_port(socket.SOCK_STREAM)
    settings = station_settings(tmp_path / "data", **{
        "obs": f'[{{name = "rec", url = "ws://127.0.0.1:{port}", role = "both"}}]',
        "playback.enabled": True})
    parts = assemble(settings, review=False, playback_driving=HEADLESS, switch_interval=None)
    await parts.station.start()
    try:
        yield parts
    finally:
        await parts.station.stop()


def _check_status(status: dict[str, Any]) -> None:
    assert isinstance(status["obs"], list), status["obs"]
    assert [o["name"] for o in status["obs"]] == ["rec"]
    assert status["obs"][0]["connected"] is False
    player = status["player"]
    assert isinstance(player, dict) and "alive" in player and "file" in player, player
    assert "connections" not in player


async def test_status_keeps_the_contract_keys_and_health_apart(
        full_station: Assembly) -> None:
    station = full_station.station
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
        obs = full_station.obs
        assert obs is not None
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
    parts = assemble(station_settings(tmp_path / "data"), serve_http=False, review=False,
                     plugins=False)
    station = parts.station
    await station.start()
    try:
        station.bus.publish(StatusChanged("obs", [{"name": "a", "connected": True}]))
        from restrike.api.live import LiveHub

        hub = LiveHub(parts.view)
        await hub.start()
        try:
            assert hub.status["obs"] == [{"name": "a", "connected": True}]
            assert hub.status["player"] is None
            assert set(hub.status["health"]) == {"store", "ingest", "obs", "monitor"}
            assert "store" not in hub.status and "ingest" not in hub.status
        finally:
            await hub.stop()
    finally:
        await station.stop()
