"""GET /api/v1/system of a real station; thresholds from the settings (live); the
warnings logged and published; OBS GetStats of the v4 fake and of real OBS 29."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from restrike.api.app import create_app
from restrike.assembly import Assembly, assemble
from restrike.bus import SettingsChanged, StatusChanged
from restrike.monitor import MonitorComponent
from restrike.obs import Backoff, ObsConnectionSettings, ObsPool
from restrike.obs.headless import HeadlessObs
from tests.helpers import wait_until
from tests.obs.fake_v4 import FakeObsV4
from tests.station.fixtures import station_settings


@pytest.fixture
async def station(tmp_path: Path) -> AsyncIterator[Assembly]:
    # A threshold no disk meets: the disk warning is there from the first sample.
    parts = assemble(station_settings(tmp_path / "data", **{"monitor.disk_warn_gb": 1e6}),
                     serve_http=False, review=False)
    await parts.station.start()
    try:
        yield parts
    finally:
        await parts.station.stop()


def _monitor(parts: Assembly) -> MonitorComponent:
    monitor = parts.station.get("monitor")
    assert isinstance(monitor, MonitorComponent)
    return monitor


async def test_system_endpoint_and_live_thresholds(station: Assembly,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    published: list[Any] = []
    station.station.bus.subscribe(StatusChanged, lambda e: published.append(e))
    monitor = _monitor(station)
    app = create_app(station.view)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://station") as client:
        with caplog.at_level(logging.INFO, "restrike.monitor"):
            await monitor.sample()
            body = (await client.get("/api/v1/system")).json()
            assert 0 <= body["cpu_percent"] <= 100
            assert body["memory"]["total_bytes"] > body["memory"]["available_bytes"] > 0
            disk = body["disk"]
            assert disk["path"].endswith("recordings")
            assert 0 < disk["free_bytes"] <= disk["total_bytes"]
            assert disk["hours_left"] is None  # nothing records: no bitrate yet
            assert body["obs"] == []
            [warning] = body["warnings"]
            assert warning.startswith("disk nearly full")
            # Logged once, by the station's own first sample (at start).
            assert any(r.levelname == "WARNING" and "disk nearly full" in r.message
                       for r in caplog.get_records("setup") + caplog.records)
            assert any(e.component == "system" and e.status["warnings"] for e in published)
            # The threshold changed in the console: applied at the next sample.
            station.station.bus.publish(SettingsChanged({"monitor.disk_warn_gb": 0.0}))
            await monitor.sample()
            body = (await client.get("/api/v1/system")).json()
            assert body["warnings"] == [] and body["thresholds"]["disk_warn_gb"] == 0.0
            assert any(r.levelname == "INFO" and "cleared" in r.message
                       for r in caplog.records)


async def _stats_of(url: str, tmp_path: Path, password: str | None = None) -> dict[str, Any]:
    settings = station_settings(tmp_path / "data")
    async with ObsPool([ObsConnectionSettings("rec", url, password or "")],
                       backoff=Backoff(0.1, 0.5)) as pool:
        await pool.get("rec").wait_connected(15)
        monitor = MonitorComponent(settings.monitor, tmp_path / "rec", pool)
        await monitor.sample()
        frames = monitor.last["obs"][0]["stats"]["render_total_frames"]  # type: ignore[index]
        await wait_until(lambda: _more_frames(pool, frames), 10, "OBS rendering")
        body = await monitor.sample()
    [entry] = body["obs"]
    assert entry["name"] == "rec" and entry["connected"], entry
    assert isinstance(entry, dict)
    return entry


async def _more_frames(pool: ObsPool, than: int) -> bool:
    return (await pool.get("rec").control.get_stats()).render_total > than


async def test_obs_stats_v4(fake_v4: FakeObsV4, tmp_path: Path) -> None:
    entry = await _stats_of(fake_v4.url, tmp_path)
    assert entry["stats"]["render_total_frames"] > 0
    # The fake skips one encoded frame in a hundred: over the 0.5 % threshold.
    assert entry["output_skipped_percent"] is not None


@pytest.mark.peers
async def test_obs_stats_real_obs(obs_open: HeadlessObs, tmp_path: Path) -> None:
    entry = await _stats_of(obs_open.url, tmp_path)
    stats = entry["stats"]
    assert stats["render_total_frames"] > 0 and stats["fps"] is not None
    assert entry["render_skipped_percent"] is not None  # frames rendered between samples
