"""The Replay and Close buttons against the station's replay workflow (no OBS, no mpv)."""

from __future__ import annotations

import pytest

from tests.station.fixtures import send_udp
from tests.ui.conftest import open_live, shoot

pytestmark = pytest.mark.peers


def test_replay_button_runs_a_review_and_close_stores_the_decision(page, review_station):
    station = review_station
    station.simulate("demo", "--scenario", "basic", "--speed", "300", "--seed", "31")
    match = station.get("/api/v1/matches").json()["matches"][0]
    open_live(page, station)
    page.wait_for_selector("#sb-blue .q:has-text('Challenges left 1')")  # GET /api/v1/review
    with page.expect_response(lambda r: r.url.endswith("/api/v1/replay")
                              and r.request.method == "POST") as info:
        page.click("#btn-replay")
    assert info.value.status == 200, info.value.text()
    # The workflow's "review" message over /ws/live opens the banner and its clock.
    banner = page.locator(".banner.review")
    banner.wait_for()
    assert "requested by operator" in banner.inner_text()
    left = int(banner.locator(".extra").inner_text().split()[0])
    assert 25 <= left <= 30
    assert station.get("/api/v1/review").json()["active"] is True
    # No OBS here: the review says why there is no clip, and the station keeps going.
    page.wait_for_selector(".banner.error:has-text('Review problem')")
    shoot(page, "live-review-real-1920x1080")
    # A second Replay while one is open is refused with the workflow's reason.
    page.wait_for_selector("#btn-replay:enabled")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/replay")) as info:
        page.keyboard.press("r")
    assert info.value.status == 409
    page.wait_for_selector("#toast.error:has-text('still open')")
    # Close with a decision.
    with page.expect_response(lambda r: r.url.endswith("/api/v1/replay/close")) as info:
        page.click("button[data-decision='accepted']")
    assert info.value.status == 200
    page.wait_for_selector(".banner.challenge:has-text('Review closed: accepted')")
    review = station.get("/api/v1/review").json()
    assert review["active"] is False and review["decision"] == "accepted"
    clip = station.get("/api/v1/clips").json()[0]
    assert clip["decision"] == "accepted" and clip["match"] == match["number"]
    # The archive lists it with its decision under the match.
    page.goto(station.url + "/#/archive")
    page.click(f"#archive-tree .match-btn[data-match='{match['id']}']")
    page.wait_for_selector("#clips td:has-text('accepted')")


def test_replay_last_seconds_and_keyboard_close(page, review_station):
    station = review_station
    open_live(page, station)
    with page.expect_request(lambda r: r.url.endswith("/api/v1/replay")) as req:
        page.click("button[data-last='10']")
    assert req.value.post_data_json == {"seconds": 10}
    page.wait_for_selector(".banner.review")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/replay/close")) as info:
        page.keyboard.press("c")
    assert info.value.status == 200
    page.wait_for_selector(".banner.review", state="detached")
    assert station.get("/api/v1/review").json()["decision"] == "closed"


def test_review_overlay_follows_the_workflow(page, review_station):
    station = review_station
    page.goto(station.url + "/overlays/review.html")
    page.wait_for_function("() => window.restrike && window.restrike.client.model.connected")
    assert page.locator("#review.hide").count() == 1
    assert station.post("/api/v1/replay", json={"requested_by": "red"}).status_code == 200
    page.wait_for_selector("#review.started")
    assert "VIDEO REVIEW" in page.locator("#review").inner_text()
    assert station.post("/api/v1/replay/close", json={"decision": "won"}).status_code == 200
    page.wait_for_selector("#review.closed.won")
    assert "WON" in page.locator("#review").inner_text()


def _idle(station) -> None:
    if station.get("/api/v1/review").json()["active"]:
        assert station.post("/api/v1/replay/close",
                            json={"decision": "cancelled"}).status_code == 200


def test_challenge_error_reaches_the_page_without_polling(page, review_station):
    """No OBS: the failed save reaches the page as a review message over /ws/live (how
    fast is `restrike bench replay`'s business, not a test's)."""
    station = review_station
    _idle(station)
    open_live(page, station)
    page.wait_for_timeout(300)  # the page's own GET /api/v1/review has answered
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/api/v1/review" in r.url else None)
    send_udp(station.udp_port, [b"ch0"])
    page.wait_for_selector(".banner.error:has-text('replay not saved')", timeout=10_000)
    page.wait_for_selector("#toast.error:has-text('Review problem')", timeout=10_000)
    assert "OBS" in page.locator(".banner.error").inner_text()
    assert polls == []  # it came over /ws/live
    shoot(page, "live-review-error-1920x1080")
    send_udp(station.udp_port, [b"ch0;-1"])
    page.wait_for_selector(".banner.review", state="detached")


def test_challenge_without_quota_is_recorded_and_flagged(page, review_station):
    station = review_station
    _idle(station)
    open_live(page, station)
    match = [b"pre;FightLoaded", b"at1;QUOTA;A. QUOTA;FRA;at2;LIMIT;B. LIMIT;KOR",
             b"mch;977;Final;M -80kg;;#00f;#fff;#f00;#fff;9001;Senior;3;120;cntDown;1;1",
             b"rdy;FightReady", b"clk;2:00;start"]
    send_udp(station.udp_port, match)
    page.wait_for_selector("#sb-match:has-text('977')")
    send_udp(station.udp_port, [b"ch1"])
    page.wait_for_selector(".banner.review")
    assert page.locator(".banner.quota").count() == 0
    send_udp(station.udp_port, [b"ch1;0"])  # rejected: blue's one challenge is used
    page.wait_for_selector(".banner.review", state="detached")
    send_udp(station.udp_port, [b"ch1"])
    quota = page.locator(".banner.quota")
    quota.wait_for(timeout=2000)
    assert "NO CHALLENGE LEFT" in quota.inner_text() and "blue" in quota.inner_text()
    review = station.get("/api/v1/review").json()
    assert review["active"] and review["quota_exhausted"] is True
    assert review["error"].startswith("blue has no challenge left")
    assert "replay not saved" in review["error"]  # no OBS here: both are said
    shoot(page, "live-review-quota-1920x1080")
    send_udp(station.udp_port, [b"ch1;0"])
    page.wait_for_selector(".banner.review", state="detached")
    clips = [c for c in station.get("/api/v1/clips").json() if c["match"] == "977"]
    assert len(clips) == 2  # both requests recorded
    flagged = max(clips, key=lambda c: c["requested_at"])
    assert "no challenge left" in flagged["error"] and flagged["decision"] == "rejected"
