"""``restrike run`` with the built-in analysis plugin: a match over UDP becomes tags."""

from __future__ import annotations

import time
from pathlib import Path

from restrike.analysis import Analysis
from tests.station.fixtures import StationProcess, match_datagrams, send_udp


def test_the_station_process_tags_what_it_receives(tmp_path: Path) -> None:
    """``restrike run`` with the built-in plugin: a match over UDP becomes tags."""
    station = StationProcess(tmp_path / "data").start(60, ready=(200, 503))
    try:
        send_udp(station.udp_port, match_datagrams())
        deadline = time.monotonic() + 30
        kinds: list[str] = []
        while time.monotonic() < deadline and "decisive" not in kinds:
            kinds = [t["kind"] for t in station.get("/api/v1/tags").json()["tags"]]
            time.sleep(0.05)
        # In the order of the events they belong to: the decisive point comes before the
        # last penalty (whose points did not change the leader).
        assert kinds == ["head_kick", "lead_change", "decisive", "penalty"]
        plugins = station.get("/api/v1/plugins").json()["plugins"]
        assert any(p["name"] == "analysis" and p["state"] == "running" for p in plugins)
    finally:
        station.stop()


def test_the_component_declares_what_the_docs_say() -> None:
    assert Analysis.name == "analysis" and Analysis.console.title == "Moments"
    assert (Analysis.console.path / "index.html").is_file()
