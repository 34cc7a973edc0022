"""The control room's OBS actions through the command channel, without OBS: a real station
with no OBS connection answers the hub a clear error; what the hub refuses (a page of
another site, a wrong token on the channel, an unknown court, bad parameters); a command
not signed with the court's token is not run."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from restrike.bus import Bus, ObsCommandRequested
from restrike.hub.commands import CommandChannel, commands_url
from restrike.hub.wire import Command, signature
from tests.helpers import wait_until_sync
from tests.hub.conftest import HubProcess, hub_station
from tests.station.fixtures import StationProcess

pytestmark = [pytest.mark.peers, pytest.mark.timeout(300)]

COURT = "Mat 3"
JSON = {"Content-Type": "application/json"}


def listening(hub: HubProcess, court: str) -> bool:
    return any(c["court"] == court and c["commands"]
               for c in hub.get("/api/v1/courts")["courts"])


@pytest.fixture(scope="module")
def station(guarded: HubProcess, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[StationProcess]:
    """A station of court Mat 3 without any OBS connection, its channel open to the hub."""
    running = hub_station(tmp_path_factory.mktemp("no-obs"), COURT, guarded.url,
                          "good-token").start(90)
    try:
        wait_until_sync(lambda: listening(guarded, COURT), 60, "the command channel")
        yield running
    finally:
        running.stop()


def post(hub: HubProcess, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(hub.url + "/api/v1/commands", json=body, headers=headers, timeout=30)


def test_a_station_without_obs_answers_a_clear_error(guarded: HubProcess,
                                                     station: StationProcess) -> None:
    answer = post(guarded, {"action": "start_recording", "courts": [COURT]})
    assert answer.status_code == 200, answer.text
    [court] = answer.json()["courts"]
    assert court["court"] == COURT and court["state"] == "failed" and not court["ok"]
    assert "no OBS connection for recording" in court["error"]
    recent = guarded.get("/api/v1/commands")
    assert recent["commands"][0]["id"] == answer.json()["id"] and COURT in recent["listening"]
    health = station.get("/api/v1/hub").json()["commands"]
    assert health["state"] == "connected" and health["received"] >= 1
    hub = station.get("/api/v1/stats").json()["hub"]  # in step: nothing waits
    assert hub["state"] == "connected" and hub["lag_rows"] == 0 and hub["lag_seconds"] == 0
    assert health["last"]["action"] == "start_recording" and not health["last"]["ok"]


def test_every_court_includes_the_ones_not_listening(guarded: HubProcess,
                                                     station: StationProcess) -> None:
    silent = uuid.uuid4().hex  # a court that uploaded but keeps no channel open
    upload = httpx.post(guarded.url + "/api/v1/hub/upload", timeout=10, headers={
        "Authorization": "Bearer good-token"}, json={
        "format": 1, "court": "Mat 4", "station": silent, "host": "test"})
    assert upload.status_code == 200, upload.text
    answer = post(guarded, {"action": "stop_streaming"})
    courts = {c["court"]: c for c in answer.json()["courts"]}
    assert courts["Mat 4"]["state"] == "offline" and "no command channel" in \
        courts["Mat 4"]["error"]
    assert courts[COURT]["state"] == "failed"
    assert "no OBS connection for streaming" in courts[COURT]["error"]


@pytest.mark.parametrize(("body", "headers", "status", "text"), [
    ({"action": "start_recording"}, {"Origin": "http://evil.example"}, 403, "page from"),
    ({"action": "start_recording"}, {"Sec-Fetch-Site": "cross-site"}, 403, "another site"),
    ({"action": "start_recording"}, {"Host": "evil.example"}, 421, "host name"),
    ({"action": "switch_scene", "params": {"scene": "IVR"}}, {}, 422, "names its courts"),
    ({"action": "switch_scene", "courts": [COURT]}, {}, 422, "scene"),
    ({"action": "start_recording", "params": {"scene": "x"}}, {}, 422, "no params"),
    ({"action": "save_replay_buffer"}, {}, 422, "action"),
    ({"action": "start_recording", "courts": ["No Such Court"]}, {}, 404, "No Such Court"),
])
def test_what_the_control_room_refuses(guarded: HubProcess, body: dict[str, Any],
                                       headers: dict[str, str], status: int,
                                       text: str) -> None:
    answer = post(guarded, body, **headers)
    assert answer.status_code == status, answer.text
    assert set(answer.json()) >= {"error", "detail"} and text in answer.json()["detail"]


def test_a_form_post_is_415(guarded: HubProcess) -> None:
    answer = httpx.post(guarded.url + "/api/v1/commands", timeout=10,
                        content=b'{"action": "start_recording"}',
                        headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415, answer.text


async def test_the_channel_needs_the_courts_token(guarded: HubProcess) -> None:
    url = commands_url(guarded.url, "Mat 5", uuid.uuid4().hex)
    for headers, status in (({"Authorization": "Bearer bad"}, 401),
                            ({"Authorization": "Bearer good-token",
                              "Origin": "http://evil.example"}, 403)):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, additional_headers=headers, proxy=None):
                pass
        assert refused.value.response.status_code == status
    async with connect(url, additional_headers={"Authorization": "Bearer good-token"},
                       proxy=None) as ws:
        assert ws.state.name == "OPEN"


async def test_a_courts_channel_is_one_stations(guarded: HubProcess) -> None:
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    token = {"Authorization": "Bearer good-token"}
    async with connect(commands_url(guarded.url, "Mat 7", first), additional_headers=token,
                       proxy=None):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(commands_url(guarded.url, "Mat 7", second),
                               additional_headers=token, proxy=None):
                pass
    answer = refused.value.response
    assert answer.status_code == 409
    assert first[:8] in answer.body.decode() and second[:8] in answer.body.decode()


async def test_a_command_not_signed_with_the_token_is_not_run() -> None:
    bus = Bus(asyncio.get_running_loop())
    asked: list[ObsCommandRequested] = []

    def answer(event: ObsCommandRequested) -> None:
        asked.append(event)
        event.done.set_result([{"name": "court", "ok": True, "result": None}])

    bus.subscribe(ObsCommandRequested, answer)
    channel = CommandChannel("http://hub:8090", "court-token", COURT, "0" * 32, bus)
    params = {"scene": "IVR"}
    for sig in (None, signature("other-token", COURT, 7, "switch_scene", params),
                signature("court-token", "Mat 9", 7, "switch_scene", params)):
        result = await channel.apply(Command(id=7, action="switch_scene", params=params,
                                             signature=sig))
        assert not result.ok and "not signed with court 'Mat 3'" in (result.error or "")
    assert asked == []
    good = signature("court-token", COURT, 7, "switch_scene", params)
    result = await channel.apply(Command(id=7, action="switch_scene", params=params,
                                         signature=good))
    assert result.ok and [e.action for e in asked] == ["switch_scene"]
    assert asked[0].params == params


def test_commands_url_keeps_the_scheme_and_prefix() -> None:
    assert commands_url("https://hub.example/tour/", "Court 1", "ab" * 16) == (
        "wss://hub.example/tour/api/v1/hub/commands?court=Court+1&station=" + "ab" * 16)
    assert commands_url("http://10.0.0.2:8090", "C", "x").startswith("ws://10.0.0.2:8090/")

