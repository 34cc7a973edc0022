"""The control room's bulk actions reach a court's real OBS through its station: "start
recording" on every court makes the station's OBS 29 record, the hub shows each court's
answer and, from the station's uploads, its OBS recording; a scene switch on one court;
"stop recording" leaves the file OBS wrote. The hub has a tokens file, so every command
travels signed with the court's token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from restrike.obs.headless import HeadlessObs, HeadlessObsConfig, free_port
from tests.helpers import wait_until_sync
from tests.hub.conftest import HubProcess, hub_station
from tests.station.fixtures import StationProcess

pytestmark = [pytest.mark.peers, pytest.mark.slow, pytest.mark.timeout(300)]

COURT = "Mat 6"


@pytest.fixture(scope="module")
def obs(xvfb_display: str, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[HeadlessObs]:
    """One real OBS (auth off) for this module: the court's recording and program."""
    cfg = HeadlessObsConfig(home=tmp_path_factory.mktemp("obs-hub"), port=free_port(),
                            password=None, width=320, height=180)
    running = HeadlessObs(cfg, display=xvfb_display)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def station(guarded: HubProcess, obs: HeadlessObs,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[StationProcess]:
    more = f'[[obs]]\nname = "court"\nurl = "{obs.url}"\nrole = "both"\n'
    running = hub_station(tmp_path_factory.mktemp("obs-station"), COURT, guarded.url,
                          "good-token", more=more).start(90)
    try:
        wait_until_sync(lambda: (court := hub_court(guarded)) and court["commands"]
                        and court["obs"] and court["obs"][0]["connected"], 60,
                        "the court's channel and its OBS at the hub")
        yield running
    finally:
        running.stop()


def hub_court(hub: HubProcess) -> dict[str, Any] | None:
    return next((c for c in hub.get("/api/v1/courts")["courts"] if c["court"] == COURT),
                None)


def command(hub: HubProcess, action: str, courts: list[str] | None = None,
            **params: str) -> dict[str, Any]:
    """POST the action as the control room does; this court's answer."""
    answer = httpx.post(hub.url + "/api/v1/commands", timeout=30,
                        json={"action": action, "params": params, "courts": courts},
                        headers={"Origin": hub.url})
    assert answer.status_code == 200, answer.text
    return next(c for c in answer.json()["courts"] if c["court"] == COURT)


def test_bulk_recording_and_a_scene_through_the_station(guarded: HubProcess,
                                                        station: StationProcess) -> None:
    started = command(guarded, "start_recording")  # every court
    assert started["state"] == "done" and started["ok"], started
    assert [(c["name"], c["ok"]) for c in started["connections"]] == [("court", True)]
    wait_until_sync(lambda: (hub_court(guarded) or {})["obs"][0]["recording"], 30,
                    "the hub to show the court's OBS recording")

    again = command(guarded, "start_recording", [COURT])  # OBS says why it cannot
    assert again["state"] == "failed" and "court:" in again["error"]

    switched = command(guarded, "switch_scene", [COURT], scene="Scene")
    assert switched["state"] == "done", switched
    missing = command(guarded, "switch_scene", [COURT], scene="No Such Scene")
    assert missing["state"] == "failed" and "No Such Scene" in missing["error"]

    stopped = command(guarded, "stop_recording")
    assert stopped["state"] == "done", stopped
    path = Path(stopped["connections"][0]["result"]["path"])
    assert path.is_file() and path.stat().st_size > 0
    wait_until_sync(lambda: not (hub_court(guarded) or {})["obs"][0]["recording"], 30,
                    "the hub to show the recording stopped")
    last = station.get("/api/v1/hub").json()["commands"]["last"]
    assert last["action"] == "stop_recording" and last["ok"]
