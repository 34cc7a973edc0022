"""The analytics in the real station (``restrike run``): a match the simulator plays
over UDP shows in ``/api/v1/analytics``, live on ``/ws/live`` as it is played, in the
console panel's files and in ``restrike analytics`` (reading the store while the
station runs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from restrike.analytics.cli import cli
from restrike.simulator import generate
from tests.station.fixtures import StationProcess
from tests.ui.conftest import browser as browser  # the session's Chromium

pytestmark = pytest.mark.slow

SEED = 7


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StationProcess,
                                                                        list[dict[str, Any]]]]:
    """A station that received one basic match from the real simulator, and the
    analytics messages /ws/live pushed meanwhile."""
    from websockets.sync.client import connect

    proc = StationProcess(tmp_path_factory.mktemp("analytics-station") / "data").start(
        timeout=90)  # every built-in plugin starts too
    pushed: list[dict[str, Any]] = []
    try:
        with connect(f"ws://127.0.0.1:{proc.http_port}/ws/live") as ws:
            done = threading.Event()

            def listen() -> None:
                while not done.is_set():
                    try:
                        message = json.loads(ws.recv(timeout=0.2))
                    except TimeoutError:
                        continue
                    if message["type"] == "analytics":
                        pushed.append(message["analytics"])

            reader = threading.Thread(target=listen, name="test-ws-reader")
            reader.start()
            env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
            try:
                subprocess.run([sys.executable, "-m", "restrike", "simulate", "demo",
                                "--scenario", "basic", "--speed", "100", "--seed", str(SEED),
                                "--target", f"127.0.0.1:{proc.udp_port}", "-q"],
                               check=True, timeout=120, env=env, capture_output=True)
                _wait_for_winner(pushed)
            finally:
                done.set()
                reader.join()
        yield proc, pushed
    finally:
        proc.stop()


def _wait_for_winner(pushed: list[dict[str, Any]]) -> None:
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if pushed and pushed[-1]["winner"] is not None:
            return
        time.sleep(0.05)
    raise AssertionError(f"no analytics with the winner pushed ({len(pushed)} pushed)")


def test_a_played_match_shows_in_the_analytics(played: tuple[StationProcess,
                                                             list[dict[str, Any]]]) -> None:
    proc, _pushed = played
    truth = generate("basic", seed=SEED).matches[0]
    match = proc.get("/api/v1/matches").json()["matches"][0]
    body = proc.get(f"/api/v1/analytics/matches/{match['id']}").json()
    blue, red = body["athletes"]
    assert (blue["score"], red["score"]) == truth.scores
    assert body["winner"] == {1: "BLUE", 2: "RED"}.get(truth.winner or 0)
    assert (blue["gam_jeoms"], red["gam_jeoms"]) == truth.warnings
    assert blue["athlete"]["long_name"] == truth.blue
    athlete = proc.get(f"/api/v1/analytics/athletes/{blue['athlete']['id']}").json()
    assert athlete["matches"] == 1 and athlete["points_for"] == truth.scores[0]
    tournament = proc.get("/api/v1/tournaments").json()["tournaments"][0]
    group = proc.get(f"/api/v1/analytics/tournaments/{tournament['id']}").json()
    assert (group["matches_planned"], group["matches_completed"]) == (1, 1)
    assert group["top_athletes"][0]["points"] == max(truth.scores)


def test_the_live_match_is_pushed_as_it_is_played(played: tuple[StationProcess,
                                                                list[dict[str, Any]]]) -> None:
    _proc, pushed = played
    truth = generate("basic", seed=SEED).matches[0]
    assert len(pushed) >= 2  # updates while the match ran, not one at the end
    scores = [(p["athletes"][0]["score"], p["athletes"][1]["score"]) for p in pushed]
    assert scores[0] != truth.scores and scores[-1] == truth.scores
    totals = [p["events"]["total"] for p in pushed]
    assert totals == sorted(totals)


def test_the_panel_and_its_chart_library_are_served(
        played: tuple[StationProcess, list[dict[str, Any]]]) -> None:
    proc, _pushed = played
    plugins = {p["name"]: p for p in proc.get("/api/v1/plugins").json()["plugins"]}
    assert plugins["analytics"]["panel"] == {"title": "Analytics", "url": "/plugins/analytics/"}
    page = proc.get("/plugins/analytics/")
    assert page.status_code == 200 and "vendor/uplot/uPlot.iife.min.js" in page.text
    script = proc.get("/plugins/analytics/vendor/uplot/uPlot.iife.min.js")
    assert script.status_code == 200 and "uPlot" in script.text


def test_the_command_reads_the_store_while_the_station_runs(
        played: tuple[StationProcess, list[dict[str, Any]]]) -> None:
    proc, _pushed = played
    truth = generate("basic", seed=SEED).matches[0]
    match = proc.get("/api/v1/matches").json()["matches"][0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
    done = subprocess.run([sys.executable, "-m", "restrike", "analytics", "match",
                           str(match["id"]), "--format", "json", "--data-dir",
                           str(proc.data_dir)], capture_output=True, text=True, timeout=60,
                          env=env)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert (body["athletes"][0]["score"], body["athletes"][1]["score"]) == truth.scores
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(cli, [*args, "--data-dir", str(proc.data_dir)])

    table = run("match", str(match["id"]))
    assert table.exit_code == 0 and f"winner: {body['winner']}" in table.stdout
    csv = run("athlete", str(body["athletes"][0]["athlete"]["id"]), "--format", "csv")
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0].startswith("match,number")
    assert len(csv.stdout.splitlines()) == 2
    found = run("athletes", truth.blue.split()[-1].lower(), "--format", "json")
    assert truth.blue in [a["long_name"] for a in json.loads(found.stdout)["athletes"]]
    missing = run("match", "999999")
    assert missing.exit_code == 1 and "no match with id 999999" in missing.stderr
    bad = run("day", "2026-02-30")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr
    nothing = runner.invoke(cli, ["tournament", "1", "--data-dir", str(proc.data_dir / "no")])
    assert nothing.exit_code == 2 and "no database" in nothing.stderr


@pytest.mark.peers
def test_the_console_panel_draws_sorts_and_prints(
        played: tuple[StationProcess, list[dict[str, Any]]], browser: Any) -> None:
    """The Analytics tab in Debian's Chromium: the live match's page with its charts
    (uPlot canvases), a table that sorts and filters, and a one-page printed report."""
    proc, _pushed = played
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(proc.url + "/plugins/analytics/")
        page.wait_for_selector("#match .side.blue h3")
        assert page.locator("#match .chart canvas").count() >= 2  # running score, hit levels
        timeline = page.locator(".table", has=page.locator("h3", has_text="Scoring timeline"))
        rows = timeline.locator("tbody tr")
        total = rows.count()
        assert total >= 2
        timeline.locator("th", has_text="points").click()
        timeline.locator("th", has_text="points").click()  # descending
        first = int(rows.nth(0).locator("td").nth(4).inner_text())
        assert first == max(int(rows.nth(i).locator("td").nth(4).inner_text())
                            for i in range(total))
        timeline.locator("input[type=search]").fill("red")
        assert 0 < rows.count() < total
        with page.expect_download() as download:
            timeline.locator("button", has_text="CSV").click()
        assert download.value.suggested_filename.endswith(".csv")
        page.locator("[data-page=tournament]").click()
        page.wait_for_selector("#tournament h2")
        assert "Top athletes" in page.locator("#tournament").inner_text()
        page.locator("[data-page=match]").click()
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1  # one page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the panel: {errors}"
