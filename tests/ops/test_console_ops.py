"""The console in Chromium against a real station: the tournament and day panel, the log
search."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.ui.conftest import WIDE, ConsoleStation, browser, running_station  # noqa: F401

pytestmark = pytest.mark.peers


@pytest.fixture(scope="module")
def ops_station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStation]:
    with running_station(tmp_path_factory, "ops-station", "") as proc:
        yield proc


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:  # noqa: F811 - the fixture above
    context = browser.new_context(viewport=WIDE)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_tournament_and_named_day_from_the_console(page: Any,
                                                   ops_station: ConsoleStation) -> None:
    page.goto(ops_station.url + "/#/archive")
    current = page.locator("#tournament-current")
    current.filter(has_text="No tournament yet").wait_for()
    page.fill("#tournament-form input[name=name]", "Paris Open 2026")
    page.click("#tournament-form button[type=submit]")
    current.filter(has_text="Now: Paris Open 2026").wait_for()
    page.fill("#day-form input[name=date]", "2026-05-29")
    page.fill("#day-form input[name=name]", "Day 2 – Finals")
    page.click("#day-form button[type=submit]")
    current.filter(has_text="2026-05-29 – Day 2 – Finals").wait_for()
    body = ops_station.get("/api/v1/current").json()
    assert body["day"]["name"] == "Day 2 – Finals"
    assert body["tournament"]["name"] == "Paris Open 2026"


def test_log_search_from_the_console(page: Any, ops_station: ConsoleStation) -> None:
    page.goto(ops_station.url + "/#/diagnostics")
    page.fill("#log-search", "http api on")
    page.click("#log-search-form button[type=submit]")
    page.locator("#log-search-status").filter(has_text="found in").wait_for()
    first = page.locator("#log li").first
    assert "HTTP API on http://" in first.inner_text()
    assert first.get_attribute("title") == "restrike.log"
    page.fill("#log-search", "")
    page.click("#log-search-form button[type=submit]")  # back to the live tail
    page.locator("#log li").first.wait_for()
    assert page.locator("#log-search-status").inner_text() == ""
