"""The Manual tab's panel in real Chromium against the real station: a big button
scores, the entry is listed with its datagram, Undo takes it back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.station.fixtures import StationProcess
from tests.ui.conftest import browser  # noqa: F401 - the shared Chromium fixture

pytestmark = [pytest.mark.peers]


def test_buttons_score_and_undo(court: StationProcess, browser: Any) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(court.url + "/plugins/manual/")
        page.locator("#feed").filter(has_text="Feed: silent").wait_for()
        page.locator('.side.blue button[data-points="2"]').click()
        page.locator("#blue-score").filter(has_text="2").wait_for()
        row = page.locator("#entries tr").first
        row.filter(has_text="pt1;2;sc1;2;s11;2").wait_for()
        page.locator('.side.red button[data-penalty="1"]').click()
        page.locator("#red-gj").filter(has_text="1").wait_for()
        assert page.locator("#blue-score").inner_text() == "3"
        page.locator("#undo").click()
        page.locator("#red-gj").filter(has_text="0").wait_for()
        assert page.locator("#blue-score").inner_text() == "2"
        page.locator("#entries tr.undone").first.wait_for()
        assert page.locator("#entries tr").count() == 2
        assert court.get("/api/v1/state").json()["scores"] == [2, 0]
    finally:
        page.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
