"""The control room's bulk actions reach a court's real OBS through its station: "start
recording" on every court makes the station's OBS 29 record, the hub shows each court's
answer and, from the station's uploads, its OBS recording; a scene switch on one court;
"stop recording" leaves the file OBS wrote. The hub has a tokens file, so every command
travels signed with the court's token. Then the same through the control room page in
Chromium: its buttons, each court's answer, and the court's card."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from restrike.obs.headless import HeadlessObs, HeadlessObsConfig, free_port
from tests.helpers import wait_until_sync
from tests.hub.conftest import HubProcess, hub_station, upload
from tests.station.fixtures import StationProcess, match_datagrams, send_udp
from tests.ui.conftest import browser  # noqa: F401  (Chromium through Playwright)

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


def hub_tournament(hub: HubProcess, name: str) -> dict[str, Any]:
    return next(t for t in hub.get("/api/v1/tournaments")["tournaments"] if t["name"] == name)


def card(page: Any) -> Any:
    return page.locator(f'article.court[data-court="{COURT}"]')


def answer_line(page: Any) -> Any:
    return page.locator(f'#command-result li[data-court="{COURT}"]')


def test_the_control_room_page_drives_and_shows_the_court(
        guarded: HubProcess, station: StationProcess, browser: Any) -> None:  # noqa: F811
    """In Chromium: the court's card shows its scoreboard, clock, open review counting
    down, feed / OBS / recording health and lag; the bulk buttons reach the court's OBS
    and each answer shows; a finished match's figures open from the results."""
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())  # "Stop recording on every court?"
    try:
        page.goto(guarded.url + "/")
        expect(page.locator("#link")).to_have_text("live")  # its /ws/live is open
        expect(page.locator("#open-warning")).to_be_hidden()  # the hub has tokens
        expect(card(page).locator(".health")).to_contain_text("OBS court not recording",
                                                              timeout=30_000)
        page.get_by_role("button", name="Start recording").click()
        expect(answer_line(page)).to_have_class("done", timeout=30_000)
        expect(answer_line(page)).to_contain_text(f"{COURT}: done (court ok)")
        expect(card(page).locator(".health")).to_contain_text("●REC", timeout=30_000)

        page.locator("#scene-court").select_option(COURT)
        page.locator("#scene-name").fill("No Such Scene")
        page.get_by_role("button", name="Switch scene").click()
        expect(answer_line(page)).to_have_class("failed", timeout=30_000)
        expect(answer_line(page)).to_contain_text("No Such Scene")
        page.locator("#scene-name").fill("Scene")
        page.get_by_role("button", name="Switch scene").click()
        expect(answer_line(page)).to_have_class("done", timeout=30_000)

        page.get_by_role("button", name="Stop recording").click()
        expect(answer_line(page)).to_have_class("done", timeout=30_000)
        expect(card(page).locator(".health")).to_contain_text("OBS court not recording",
                                                              timeout=30_000)
        assert station.get("/api/v1/hub").json()["commands"]["last"]["action"] == \
            "stop_recording"

        send_udp(station.udp_port, match_datagrams())
        expect(card(page).locator(".score")).to_have_text(["3", "1"], timeout=30_000)
        expect(card(page).locator(".clock")).to_have_text(re.compile(r"^\d+:\d\d"))
        # (the station records the match on its own: the OBS pill may say either)
        expect(card(page).locator(".health")).to_contain_text(
            re.compile(r"OBS court (●REC|not recording)"))
        expect(card(page).locator(".health")).to_contain_text(re.compile(r"lag \d+\.\d s"))
        expect(card(page).locator(".health")).to_contain_text("feed")

        opened = httpx.post(station.url + "/api/v1/replay", json={"requested_by": "blue"},
                            timeout=30)
        assert opened.status_code == 200, opened.text
        left = card(page).locator(".review .left")
        expect(card(page).locator(".review")).to_contain_text("requested by blue")
        expect(left).to_have_text(re.compile(r"^\d+ s left$"), timeout=15_000)
        first = int(left.inner_text().split()[0])
        wait_until_sync(lambda: int(left.inner_text().split()[0]) < first, 10,
                        "the review's countdown to run")
        assert httpx.post(station.url + "/api/v1/replay/close", timeout=30,
                          json={"decision": "closed"}).status_code == 200
        expect(card(page).locator(".review")).to_have_count(0, timeout=15_000)

        row = page.locator("#results-body tr", has_text=COURT).first
        expect(row).to_be_visible(timeout=15_000)  # the results refresh every 5 s
        row.click()
        expect(page.locator("#report h3")).to_contain_text(f"on {COURT}")
        expect(page.locator("#report")).to_contain_text("KIM Minsu")
        page.locator("#athlete-search").fill("minsu")
        page.get_by_role("button", name="Find athletes").click()
        page.locator("#athletes li", has_text="KIM Minsu").click()
        expect(page.locator("#report h3")).to_contain_text("Athlete KIM Minsu")
        expect(page.locator("#report")).to_contain_text(COURT)
        page.locator("#tournament").select_option(
            value=str(hub_tournament(guarded, "Hub Open")["id"]))
        expect(page.locator("#report h3")).to_have_text("Tournament Hub Open")
        expect(page.locator("#report")).to_contain_text("KIM Minsu")
        page.locator("#day").select_option(index=1)
        expect(page.locator("#report h3")).to_contain_text("Day ")
        expect(page.locator("#report")).to_contain_text("Hub Open")
        assert errors == []
    finally:
        page.close()


def test_a_hub_without_tokens_warns_in_the_control_room(
        hub_process: HubProcess, browser: Any) -> None:  # noqa: F811
    """Started without --tokens the hub takes every court (a demo works out of the box)
    and says so: in its log at start, in the courts' answer and on the page."""
    assert upload(hub_process, "Demo Court", token="anything").status_code == 200
    assert hub_process.get("/api/v1/courts")["tokens"] is False
    page = browser.new_page()
    try:
        page.goto(hub_process.url + "/")
        expect(page.locator("#open-warning")).to_be_visible()
        expect(page.locator("#open-warning")).to_contain_text("without a tokens file")
        expect(page.locator('article.court[data-court="Demo Court"]')).to_be_visible()
    finally:
        page.close()
    hub_process.stop()
    assert "runs without --tokens" in hub_process.output
