"""Plugins installed the way a third party installs them, in the real station.

The example plugin (``tests/plugins/example``, the one docs/plugins.md shows) and a
distribution of plugins that fail on purpose (``tests/plugins/broken``: on import,
when built, in start) are built and installed by pip into a temporary folder; the
station (``restrike run``) and the ``restrike`` command run as subprocesses with that
folder on their PYTHONPATH, the project's environment untouched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import wait_until
from tests.plugins.distributions import restrike
from tests.station.fixtures import StationProcess, match_datagrams, send_udp

pytestmark = pytest.mark.slow

BROKEN = ("broken_import", "broken_build", "broken_start")


def _health(plugin_station: StationProcess) -> dict[str, Any]:
    answer = plugin_station.get("/api/health")
    assert answer.status_code == 503  # the failed plugins are not ok: the station says so
    body: dict[str, Any] = answer.json()
    return body


def test_failed_plugins_are_shown_and_the_rest_runs(plugin_station: StationProcess) -> None:
    components = _health(plugin_station)["components"]
    assert components["pace"]["ok"] and components["pace"]["window_seconds"] == 30
    assert all(components[name]["ok"] for name in ("store", "ingest", "api"))
    errors = {name: components[name]["error"] for name in BROKEN}
    assert not any(components[name]["ok"] for name in BROKEN)
    assert "cannot be imported: RuntimeError: broken_import fails on import" in errors[
        "broken_import"]
    assert "building its component failed: ValueError: broken_build" in errors["broken_build"]
    assert errors["broken_start"] == "RuntimeError: broken_start fails in start, on purpose"
    assert plugin_station.get("/api/v1/broken_start").status_code == 404  # its router was dropped
    assert plugin_station.proc is not None and plugin_station.proc.poll() is None


async def test_the_example_counts_real_datagrams(plugin_station: StationProcess) -> None:
    send_udp(plugin_station.udp_port, match_datagrams())  # pt1;3 (a head kick), pt2;1 (a punch)

    def counted() -> dict[str, Any] | None:
        body: dict[str, Any] = plugin_station.get("/api/v1/pace").json()
        return body if body["red"]["points"] else None

    pace = await wait_until(counted, what="the pace of the points sent")
    assert pace["window_seconds"] == 30  # from the settings file's [pace]
    assert pace["blue"] == {"points": 3, "actions": 1, "per_minute": 6.0}
    assert pace["red"] == {"points": 1, "actions": 1, "per_minute": 2.0}
    assert _health(plugin_station)["components"]["pace"]["points_counted"] == 2


def test_the_example_command(installed: Path, plugin_station: StationProcess) -> None:
    done = restrike(installed, "pace", "--url", plugin_station.url, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["window_seconds"] == 30
    done = restrike(installed, "pace", "--url", plugin_station.url)
    assert done.returncode == 0 and done.stdout.startswith("blue"), done.stdout + done.stderr


def test_the_example_benchmark(installed: Path) -> None:
    """A plugin's ``bench`` is ``restrike bench <name>``, next to the built-in ones."""
    listed = restrike(installed, "bench", "--help")
    assert listed.returncode == 0 and "pace" in listed.stdout and "replay" in listed.stdout
    done = restrike(installed, "bench", "pace", "--points", "500")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("pace snapshot, 500 actions:") and "target 1 ms" in done.stdout


def test_a_broken_plugin_does_not_break_the_command(installed: Path) -> None:
    done = restrike(installed, "--help")
    assert done.returncode == 0, done.stderr
    assert "pace" in done.stdout and "Print the pace" in done.stdout
    assert "broken_import (restrike_broken.on_import:Plugin) cannot be imported" in done.stderr
    done = restrike(installed, "config", "show")
    assert done.returncode == 0  # a built-in command never imports a plugin
    assert "broken_import" not in done.stderr


def test_the_console_panel_is_served(plugin_station: StationProcess) -> None:
    plugins = {p["name"]: p for p in plugin_station.get("/api/v1/plugins").json()["plugins"]}
    assert plugins["pace"]["panel"] == {"title": "Pace", "url": "/plugins/pace/"}
    assert plugins["pace"]["distribution"] == "restrike-pace"
    assert all(plugins[name]["state"] == "failed" for name in BROKEN)
    page = plugin_station.get("/plugins/pace/")
    assert page.status_code == 200 and "Scoring pace" in page.text
    assert plugin_station.get("/plugins/pace/pace.js").headers["content-type"].startswith(
        "text/javascript")


def test_plugins_list(installed: Path, plugin_station: StationProcess) -> None:
    done = restrike(installed, "plugins", "list", "--json", "--url", plugin_station.url)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["station"] == plugin_station.url
    rows = {row["name"]: row for row in report["plugins"]}
    assert set(rows) >= {"pace", *BROKEN}
    pace = rows["pace"]
    assert (pace["distribution"], pace["version"], pace["builtin"]) == ("restrike-pace",
                                                                       "1.0.0", False)
    assert pace["enabled"] and pace["loads"] and pace["cli"] and pace["console"] == "Pace"
    assert pace["settings"] == "PaceSettings" and pace["health"]["ok"]
    assert not rows["broken_import"]["loads"] and rows["broken_build"]["loads"]
    assert not rows["broken_start"]["health"]["ok"]
    table = restrike(installed, "plugins", "list", "--url", plugin_station.url).stdout
    assert "pace           restrike-pace" in table
    assert "broken_import: plugin broken_import" in table


def test_disabled_plugins_stay_off(installed: Path, tmp_path: Path) -> None:
    config = tmp_path / "restrike.toml"
    config.write_text(f"[plugins]\ndisabled = {json.dumps(['pace', *BROKEN])}\n"
                      "[pace]\nwindow_seconds = 30\n", encoding="utf-8")  # still valid
    proc = StationProcess(tmp_path / "data", extra=["--config", str(config)])
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PYTHONPATH", str(installed))
        proc.start()  # healthy: nothing failed, nothing off is shown failed
    try:
        health = proc.get("/api/health").json()["components"]
        assert "pace" not in health and not set(BROKEN) & set(health)
        assert health["plugins"]["disabled"] == sorted(["pace", *BROKEN])
        assert proc.get("/api/v1/pace").status_code == 404
        assert proc.get("/plugins/pace/").status_code == 404
        states = {p["name"]: p["state"] for p in proc.get("/api/v1/plugins").json()["plugins"]}
        assert states["pace"] == "disabled"
        done = restrike(installed, "plugins", "list", "--json", "--config", str(config),
                        "--url", proc.url)
        rows = {row["name"]: row for row in json.loads(done.stdout)["plugins"]}
        assert not rows["pace"]["enabled"] and rows["pace"]["health"] is None
    finally:
        proc.stop()
