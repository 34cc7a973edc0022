"""The review banner's impact (the analysis plugin's ``analysis`` message) in Chromium:
shown for the open review's clip only, and its button seeks the player there."""

from __future__ import annotations

import pytest

from tests.ui.conftest import open_live

pytestmark = pytest.mark.peers

REVIEW = {"active": True, "id": 7, "requested_by": "blue", "requested_at": None,
          "clip": "/clips/review7.mkv", "start": 10.0, "quota": [1, 1], "angles": [],
          "missing_angles": [], "error": None}


def _tell(page, message: dict[str, object]) -> None:
    """A message as /ws/live delivers it, through the console's own client."""
    page.evaluate("(m) => window.restrike.client.merge(m)", message)


def test_the_impact_banner_seeks_the_player(page, station):
    open_live(page, station)
    _tell(page, {"type": "review", "review": REVIEW})
    page.locator(".banner.review").wait_for()
    # Another clip's finding is not this review's.
    _tell(page, {"type": "analysis", "analysis": {
        "clip": "/clips/other.mkv", "impact": 3.0, "suggested_start": 2.0, "moved": False,
        "findings": []}})
    _tell(page, {"type": "analysis", "analysis": {
        "clip": REVIEW["clip"], "impact": 12.43, "suggested_start": 11.43, "moved": True,
        "findings": [{"analyzer": "motion_peak", "at": 12.43, "score": 0.9,
                      "label": "motion peak"}]}})
    banner = page.locator(".banner.impact")
    banner.wait_for()
    assert page.locator(".banner.impact").count() == 1
    assert "Impact at 12.4 s" in banner.inner_text()
    assert "the replay jumped there" in banner.inner_text()
    with page.expect_request(lambda r: r.url.endswith("/api/v1/playback/seek")) as sent:
        banner.locator("button").click()
    assert sent.value.post_data_json == {"seconds": 11.43, "mode": "absolute"}
    # The review closed: the impact goes with it.
    _tell(page, {"type": "review", "review": {**REVIEW, "active": False}})
    page.locator(".banner.impact").wait_for(state="detached")
