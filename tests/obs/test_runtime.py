"""OBS at run time: protocol detected when not set, connections added, changed and
removed from the settings without a restart (real OBS 29 for v5, the v4 fake)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from restrike.assembly import assemble
from restrike.bus import SettingsChanged
from restrike.config import MASK, load_settings
from restrike.obs import Backoff, ObsConnectionSettings, ObsPool
from restrike.obs.headless import HeadlessObs, free_port
from tests.helpers import wait_until
from tests.obs.fake_v4 import FakeObsV4
from tests.peers.obs import OBS_PASSWORD
from tests.station.fixtures import station_settings


async def test_auto_finds_a_v4_server(fake_v4: FakeObsV4) -> None:
    settings = ObsConnectionSettings("old", fake_v4.url)
    assert settings.protocol == "auto"
    async with ObsPool([settings], backoff=Backoff(0.1, 0.5)) as pool:
        conn = pool.get("old")
        await conn.wait_connected(15)
        assert conn.detected == "v4"
        assert (conn.status.websocket_version or "").startswith("4.")


async def test_a_server_of_neither_version_is_reported(tmp_path: Path) -> None:
    settings = ObsConnectionSettings("none", f"ws://127.0.0.1:{free_port()}")
    async with ObsPool([settings], backoff=Backoff(0.1, 0.2)) as pool:
        conn = pool.get("none")
        await wait_until(lambda: conn.status.error, 10, "an error")
        assert "cannot reach OBS" in (conn.status.error or "")


@pytest.mark.peers
async def test_auto_finds_obs_29(obs_with_password: HeadlessObs) -> None:
    settings = ObsConnectionSettings("court", obs_with_password.url, OBS_PASSWORD)
    async with ObsPool([settings], backoff=Backoff(0.1, 0.5)) as pool:
        conn = pool.get("court")
        await conn.wait_connected(15)
        assert conn.detected is None  # v5 answered the first try
        assert (conn.status.websocket_version or "").startswith("5.")


def _obs_value(*entries: dict[str, str]) -> object:
    """``obs`` typed the way the console's live settings type it."""
    return load_settings(None, env={}, cli={"obs": list(entries)}).get("obs")


@pytest.mark.peers
async def test_connections_apply_without_restart(tmp_path: Path, obs_open: HeadlessObs,
                                                 fake_v4: FakeObsV4) -> None:
    parts = assemble(station_settings(tmp_path / "data"), serve_http=False, review=False)
    station, component = parts.station, parts.obs
    assert component is not None  # there even without [[obs]]
    await station.start()
    try:
        pool = component.pool
        assert pool.connections == []
        station.bus.publish(SettingsChanged({"obs": _obs_value(
            {"name": "cam", "url": obs_open.url, "role": "both"})}))
        await wait_until(lambda: "cam" in pool and pool.get("cam").status.connected, 20,
                         "the added OBS connected")
        first = pool.get("cam")
        # Changed (another server under the same name): the old session closes.
        station.bus.publish(SettingsChanged({"obs": _obs_value(
            {"name": "cam", "url": fake_v4.url, "role": "recording"},
            {"name": "live", "url": obs_open.url, "role": "streaming"})}))
        await wait_until(lambda: pool.get("cam") is not first
                         and pool.get("cam").status.connected
                         and pool.get("live").status.connected, 20, "both connected")
        assert pool.get("cam").detected == "v4" and pool.get("cam").role == "recording"
        assert [c.name for c in pool.for_role("streaming")] == ["live"]
        live = pool.get("live")
        station.bus.publish(SettingsChanged({"obs": _obs_value(
            {"name": "live", "url": obs_open.url, "role": "streaming"})}))
        await wait_until(lambda: "cam" not in pool, 20, "cam removed")
        assert pool.get("live") is live and live.status.connected  # untouched
        assert [s.name for s in pool.statuses()] == ["live"]
        station.bus.publish(SettingsChanged({"obs": None}))
        await wait_until(lambda: not pool.connections, 20, "all removed")
        assert component.health()["connections"] == 0
    finally:
        await station.stop()


async def test_the_consoles_save_applies_obs_live(tmp_path: Path, fake_v4: FakeObsV4) -> None:
    """The path of the console's settings page: `LiveSettings.apply_now` with ``obs``."""
    from restrike.api.live_settings import LiveSettings

    parts = assemble(station_settings(tmp_path / "data"), serve_http=False, review=False)
    await parts.station.start()
    try:
        live = LiveSettings(parts.view)
        assert live.apply_now({"obs": [{"name": "old", "url": fake_v4.url,
                                        "password": "x", "role": "recording"}]}) == ["obs"]
        assert parts.obs is not None
        pool = parts.obs.pool
        await wait_until(lambda: "old" in pool and pool.get("old").status.connected, 20,
                         "the v4 fake connected")
        shown = parts.view.effective["settings"]["obs"]
        assert shown == [{"name": "old", "url": fake_v4.url, "password": MASK,
                          "role": "recording", "protocol": "auto"}]
    finally:
        await parts.station.stop()


async def test_angle_names_and_order_apply_in_the_same_sessions(fake_v4: FakeObsV4) -> None:
    """The console renames a camera angle and moves it up: the pool takes the new order
    and name without closing the connection (the camera's replay buffer goes on)."""
    rec = ObsConnectionSettings("rec", fake_v4.url, role="recording", protocol="v4")
    cam2 = ObsConnectionSettings("cam2", fake_v4.url, role="angle", protocol="v4")
    cam3 = ObsConnectionSettings("cam3", fake_v4.url, role="angle", protocol="v4")
    async with ObsPool([rec, cam2, cam3], backoff=Backoff(0.1, 0.5)) as pool:
        for conn in pool.connections:
            await conn.wait_connected(15)
        before = {c.name: c for c in pool.connections}
        assert [c.angle_name for c in pool.for_role("angle")] == ["cam2", "cam3"]
        result = await pool.apply([rec, cam3, replace(cam2, angle_name="Corner blue")])
        assert result == {"added": [], "changed": [], "removed": []}
        assert [c.angle_name for c in pool.for_role("angle")] == ["cam3", "Corner blue"]
        assert [s.as_dict()["angle"] for s in pool.statuses()] == ["rec", "cam3", "Corner blue"]
        assert all(pool.get(n) is c and c.status.connected for n, c in before.items())
        # A key that needs a new session still gives one.
        result = await pool.apply([rec, cam3, replace(cam2, angle_name="Corner blue",
                                                      protocol="auto")])
        assert result["changed"] == ["cam2"] and pool.get("cam2") is not before["cam2"]
