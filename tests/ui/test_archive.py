"""The archive: tournaments → days → matches, search, timeline, click to play."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.ui.conftest import NARROW, WIDE, shoot

pytestmark = pytest.mark.peers


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _shown_matches(page: Page) -> list[str]:
    shown: list[str] = page.eval_on_selector_all("#archive-tree .match-btn",
                                                 "bs => bs.map(b => b.dataset.match)")
    return shown


def test_archive_search_and_timeline_click(page, station, played):
    # A championship match has coach challenges and injuries too.
    station.simulate("demo", "--scenario", "championship", "--speed", "400", "--seed", "1")
    matches = station.get("/api/v1/matches").json()["matches"]
    assert len(matches) >= 2
    target = matches[-1]  # the match of the `played` fixture (oldest)
    page.goto(station.url + "/#/archive")
    page.wait_for_selector("#archive-tree .match-btn")
    assert sorted(_shown_matches(page)) == sorted(str(m["id"]) for m in matches)
    # Tournament → day → match tree.
    tree = page.locator("#archive-tree").inner_text()
    assert target["tournament"] in tree and target["day"] in tree

    # Search by athlete (part of the name, any case).
    name = target["blue"]["long_name"]
    page.fill("#archive-filters input[name=athlete]", name.split()[-1].lower())
    page.click("#archive-filters button[type=submit]")
    part = name.split()[-1].lower()
    expected = sum(1 for m in matches
                   if part in (m["blue"]["long_name"] + m["red"]["long_name"]).lower())
    page.wait_for_function(
        "(n) => document.querySelectorAll('#archive-tree .match-btn').length === n", arg=expected)
    assert str(target["id"]) in _shown_matches(page)

    # By country, by number, and by event kind (matches that have a warning).
    page.click("#archive-filters button[type=reset]")
    page.fill("#archive-filters input[name=number]", target["number"])
    page.keyboard.press("Enter")
    page.wait_for_function("(id) => [...document.querySelectorAll('#archive-tree .match-btn')]"
                           ".every(b => b.dataset.match === id)", arg=str(target["id"]))
    page.fill("#archive-filters input[name=number]", "")
    page.fill("#archive-filters input[name=country]", target["red"]["country"] or "ZZZ")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    want = {str(m["id"]) for m in matches
            if (target["red"]["country"] or "ZZZ") in (m["blue"]["country"], m["red"]["country"])}
    assert set(_shown_matches(page)) == want
    page.fill("#archive-filters input[name=country]", "")
    page.select_option("#archive-filters select[name=kind]", "warnings")
    page.keyboard.press("Enter")
    page.wait_for_selector("#archive-count:has-text('with warnings events')")
    warned = {str(e["match"]) for e in
              station.get("/api/v1/events", kind="warnings", limit=1000).json()["events"]}
    assert set(_shown_matches(page)) == warned & {str(m["id"]) for m in matches}
    page.select_option("#archive-filters select[name=kind]", "")
    page.keyboard.press("Enter")

    # A recording that covers the match (the review workflow lists them; without OBS
    # there is none, so the test supplies one through the same route and shape).
    start = _epoch(target["loaded_at"]) - 5.0
    recording = {"id": 1, "day": target["day"], "output": "recording", "obs": "rec",
                 "match": target["id"], "title": "test", "path": "/recordings/test.mkv",
                 "started_at": start, "ended_at": None, "interruptions": []}
    page.route("**/api/v1/recordings*", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps([recording])))

    page.click(f"#archive-tree .match-btn[data-match='{target['id']}']")
    page.wait_for_selector("#timeline .marker")
    detail = station.get(f"/api/v1/matches/{target['id']}").json()
    marked: list[dict[str, Any]] = []
    warnings: dict[str, int] = {}
    for e in sorted(detail["events"], key=lambda e: e["id"]):
        if e["kind"] == "warnings":  # a marker where the gam-jeom count goes up
            before, warnings[e["athlete"]] = warnings.get(e["athlete"], 0), e["args"]["count"]
            if e["args"]["count"] > before:
                marked.append(e)
        elif e["kind"] == "point" or (
                e["kind"] == "challenge" and e["args"].get("decision") is None) or (
                e["kind"] == "clock" and e["args"].get("action") == "stop") or (
                e["kind"] == "injury" and e["args"].get("action") in ("show", "start")):
            marked.append(e)
    assert any(e["kind"] == "warnings" for e in marked)
    assert page.locator("#timeline .marker").count() == len(marked)
    for kind in ("point", "warnings", "clock"):
        assert page.locator(f"#timeline .marker.{kind}").count() == sum(
            1 for e in marked if e["kind"] == kind), kind

    # Hover: details; click: that moment of the recording in the player.
    point = next(e for e in marked if e["kind"] == "point")
    marker = page.locator(f"#timeline .marker[data-event='{point['id']}']")
    marker.hover()
    page.wait_for_selector("#tip:not(.hidden)")
    assert "Point" in page.locator("#tip").inner_text()
    shoot(page, "archive-1920x1080")
    with page.expect_request(lambda r: r.url.endswith("/api/v1/playback/open")) as req:
        marker.click()
    body = req.value.post_data_json
    assert body["path"] == recording["path"]
    moment = max(0.0, _epoch(point["received_at"]) - start - 2.0)
    assert body["start"] == pytest.approx(moment, abs=0.11)
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(200)
    shoot(page, "archive-480x1000")
    page.set_viewport_size(WIDE)

    # The championship match: challenge and injury markers, keyboard reachable.
    newest = matches[0]
    page.click(f"#archive-tree .match-btn[data-match='{newest['id']}']")
    page.wait_for_selector("#timeline .marker.challenge")
    events = station.get(f"/api/v1/matches/{newest['id']}").json()["events"]
    requests = [e for e in events if e["kind"] == "challenge" and e["args"]["decision"] is None]
    assert page.locator("#timeline .marker.challenge").count() == len(requests)
    assert page.locator("#timeline .marker.injury").count() >= 1
    lanes = page.eval_on_selector_all("#timeline .marker", "ms => ms.map(m => m.dataset.lane)")
    assert len(set(lanes)) > 1  # close markers are spread over lanes
    page.focus("#timeline .marker.challenge")
    page.wait_for_selector("#tip:not(.hidden)")
    tip = page.locator("#tip").inner_text()
    assert "Challenge by" in tip and ("accepted" in tip or "rejected" in tip or "cancelled" in tip)
    shoot(page, "archive-championship-1920x1080")
