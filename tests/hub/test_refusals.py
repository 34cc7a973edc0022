"""What the hub refuses, and what a station shows when refused: a wrong token (401),
a court name another station holds (409, both named), an upload format the hub does not
read (426), a body that is not an upload (422/400) — never a 500."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from restrike.hub.wire import FORMAT
from tests.helpers import wait_until_sync
from tests.hub.conftest import HubProcess, hub_station, upload

pytestmark = [pytest.mark.peers, pytest.mark.timeout(300)]


def test_a_wrong_token_is_401_and_the_station_says_so(guarded: HubProcess,
                                                      tmp_path: Path) -> None:
    answer = upload(guarded, "Mat A", token="bad")
    assert answer.status_code == 401
    assert "wrong or missing token for court 'Mat A'" in answer.json()["detail"]
    assert upload(guarded, "Mat C").status_code == 401  # a court without a token
    station = hub_station(tmp_path, "Mat A", guarded.url, token="bad", flag=True).start(
        90, ready=(200, 503))  # restrike run --hub URL --court "Mat A"
    try:
        deadline = time.monotonic() + 60
        hub = {}
        while time.monotonic() < deadline:
            hub = station.get("/api/health").json()["components"]["hub"]
            if hub["state"] == "refused":
                break
            time.sleep(0.1)
        assert hub["state"] == "refused" and not hub["ok"]
        assert "401" in hub["error"] and "token" in hub["error"]
        assert station.get("/api/v1/hub").json()["state"] == "refused"
    finally:
        station.stop()


def test_a_court_name_is_one_stations_at_a_time(guarded: HubProcess) -> None:
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    assert upload(guarded, "Mat B", "other", first).json()["last_id"] == 0
    answer = upload(guarded, "Mat B", "other", second)
    assert answer.status_code == 409
    detail = answer.json()["detail"]
    assert first[:8] in detail and second[:8] in detail and "Mat B" in detail


def test_a_second_station_of_a_held_court_is_refused_and_says_so(
        guarded: HubProcess, tmp_path: Path) -> None:
    """A real station given a court name another station is sending: its health is
    refused, naming both stations (the first one keeps sending meanwhile)."""
    first = uuid.uuid4().hex
    stop = threading.Event()

    def keep_sending() -> None:
        while not stop.wait(1.0):
            upload(guarded, "Mat 8", station=first)

    assert upload(guarded, "Mat 8", station=first).status_code == 200
    sender = threading.Thread(target=keep_sending, name="test-first-station")
    sender.start()
    station = hub_station(tmp_path, "Mat 8", guarded.url, token="good-token").start(
        90, ready=(200, 503))
    try:
        hub = wait_until_sync(lambda: (h := station.get("/api/health").json()[
            "components"]["hub"])["state"] == "refused" and h, 60, "the refusal")
        assert not hub["ok"] and "409" in hub["error"]
        mine = station.get("/api/v1/hub").json()["station"]
        assert first[:8] in hub["error"] and mine[:8] in hub["error"], hub["error"]
    finally:
        stop.set()
        sender.join()
        station.stop()


def test_a_station_whose_hub_is_too_old_says_upgrade_the_hub(guarded: HubProcess,
                                                             tmp_path: Path) -> None:
    """A hub without the upload route this station uses (an older one, or no hub at
    that URL): the station's health is refused and says to upgrade the hub."""
    station = hub_station(tmp_path, "Mat 9", guarded.url + "/older", "good-token",
                          flag=True).start(90, ready=(200, 503))
    try:
        hub = wait_until_sync(lambda: (h := station.get("/api/health").json()[
            "components"]["hub"])["state"] == "refused" and h, 60, "the refusal")
        assert not hub["ok"] and "404" in hub["error"] and "upgrade the hub" in hub["error"]
    finally:
        station.stop()


def test_an_upload_format_the_hub_does_not_read(guarded: HubProcess) -> None:
    answer = upload(guarded, "Mat A", format=FORMAT + 1)
    assert answer.status_code == 426 and "upgrade the hub" in answer.json()["detail"]


@pytest.mark.parametrize("body", [
    {"datagrams": [[1, 1.0, "x", "!!notbase64", None, 1]]},
    {"datagrams": [["one", 1.0, "x", "", None, 1]]},
    {"datagrams": [[1, 1.0, "x", "", None, 1]],  # the database's JSON check, in the COPY
     "events": [[1, 1, None, 0, 1.0, "pt1", "point", 1, "{not json", "pt1;3", None, False]]},
    {"datagrams": [[2, 1.0, "x", "", None, 1], [1, 1.0, "x", "", None, 1]]},  # out of order
    {"events": [[1, 1, None, 0, 1.0, "pt1", "point", 1, "{}", "pt1;3", None, False]]},
    {"unknown": 1},
])
def test_a_bad_upload_is_a_clear_4xx(guarded: HubProcess, body: dict[str, Any]) -> None:
    answer = upload(guarded, "Mat A", **body)
    assert answer.status_code in (400, 422), answer.text
    assert set(answer.json()) >= {"error", "detail"}


def test_not_json_is_400(guarded: HubProcess) -> None:
    answer = httpx.post(guarded.url + "/api/v1/hub/upload", content=b"{",
                        headers={"Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 400


def test_a_day_that_is_no_date_is_422(guarded: HubProcess) -> None:
    answer = httpx.get(guarded.url + "/api/v1/analytics/days/2026-13", timeout=10)
    assert answer.status_code == 422 and set(answer.json()) >= {"error", "detail"}
    # the shape of a date but no calendar day: 422 as at the station (was an empty 200)
    answer = httpx.get(guarded.url + "/api/v1/analytics/days/2026-13-45", timeout=10)
    assert answer.status_code == 422 and "calendar date" in answer.json()["detail"]
    empty = httpx.get(guarded.url + "/api/v1/analytics/days/2001-01-01", timeout=10).json()
    assert empty["day"] == "2001-01-01" and empty["days"] == [] and empty["courts"] == []
