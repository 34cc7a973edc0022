"""The console with a real OBS Studio (headless, on Xvfb) configured on the station."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from restrike.obs.headless import HeadlessObs, HeadlessObsConfig, free_port
from tests.helpers import wait_until_sync
from tests.peers.xvfb import xvfb_display  # noqa: F401 - fixture
from tests.ui.conftest import ConsoleStation, running_station, shoot

pytestmark = pytest.mark.peers


@pytest.fixture(scope="module")
def obs_open(xvfb_display: str, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
             ) -> Iterator[HeadlessObs]:
    """OBS for this module only: it renders all the time, so it must not outlive the
    module and slow the other UI tests on a 2-core machine."""
    if shutil.which("obs") is None:
        pytest.skip("OBS Studio is not installed (apt-get install obs-studio)")
    cfg = HeadlessObsConfig(home=tmp_path_factory.mktemp("ui-obs"), port=free_port(),
                            password=None, replay_seconds=10)
    obs = HeadlessObs(cfg, display=xvfb_display)
    obs.start()
    try:
        yield obs
    finally:
        obs.stop()


@pytest.fixture(scope="module")
def obs_station(obs_open: HeadlessObs, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[ConsoleStation]:
    settings = f'[[obs]]\nname = "court"\nurl = "{obs_open.url}"\nrole = "both"\n'
    with running_station(tmp_path_factory, "ui-obs-station", settings) as proc:
        wait_until_sync(lambda: (conns := proc.get("/api/v1/obs").json()) and conns[0]["connected"],
                        20, "the station connected to OBS")
        yield proc


def test_status_bar_scene_buttons_and_obs_test(page, obs_station):
    station = obs_station
    assert station.post("/api/v1/obs/court/create_scene",
                        json={"scene": "IVR_SCENE"}).status_code == 200
    page.goto(station.url + "/#/live")
    pill = page.locator("#st-obs .pill[data-obs='court']")
    pill.wait_for()
    page.wait_for_selector("#st-obs .pill[data-obs='court'] .dot.ok")
    current = station.get("/api/v1/obs/court").json()["scene"]
    assert current and current in pill.inner_text()
    # The scene buttons list OBS's scenes; pressing one switches the program scene.
    page.wait_for_selector("#scene-buttons button:has-text('IVR_SCENE')")
    page.click("#scene-buttons button:has-text('IVR_SCENE')")
    page.wait_for_selector("#st-obs .pill[data-obs='court']:has-text('IVR_SCENE')")
    assert station.get("/api/v1/obs/court").json()["scene"] == "IVR_SCENE"
    page.wait_for_selector("#scene-buttons button[aria-pressed='true']:has-text('IVR_SCENE')")
    # Outputs show as tags: the replay buffer.
    assert station.post("/api/v1/obs/court/start_replay_buffer").status_code == 200
    page.wait_for_selector("#st-obs .pill[data-obs='court'] .tag.rb")
    shoot(page, "live-obs-1920x1080")
    page.click(f"#scene-buttons button:has-text('{current}')")
    page.wait_for_selector(f"#st-obs .pill[data-obs='court']:has-text('{current}')")
    station.post("/api/v1/obs/court/stop_replay_buffer")

    # Settings: the configured connection is listed and its Test button reaches OBS.
    page.goto(station.url + "/#/settings")
    page.click("#obs-list tr[data-obs='court'] button:has-text('Test')")
    page.wait_for_selector("#obs-msg .ok-text:has-text('connected to OBS')", timeout=15000)
    assert "websocket 5." in page.locator("#obs-msg").inner_text()
