"""A plugin's console panel is a tab of the console (real station, real Chromium)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.station.fixtures import StationProcess, match_datagrams, send_udp

pytestmark = [pytest.mark.peers, pytest.mark.slow]


def test_the_panel_is_a_tab(plugin_station: StationProcess, browser: Any) -> None:
    send_udp(plugin_station.udp_port, match_datagrams())  # pt1;3 and pt2;1
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(plugin_station.url + "/")
        tab = page.locator('nav.views a[data-plugin="pace"]')
        tab.click()
        assert tab.inner_text() == "Pace" and tab.get_attribute("aria-current") == "page"
        assert page.url.endswith("#/plugin-pace")
        panel = page.frame_locator("#view-plugin-pace iframe")
        panel.locator("#window").filter(has_text="last 30 s").wait_for()
        panel.locator("#blue .detail").filter(has_text="3 points in 1").wait_for()
        assert panel.locator("#red .rate").inner_text() == "2.0/min"
        page.locator('nav.views a[data-view="live"]').click()
        assert not page.locator("#view-plugin-pace").is_visible()
    finally:
        page.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
