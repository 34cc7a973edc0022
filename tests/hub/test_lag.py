"""The hub link's lag where the court sees it: ``/api/v1/stats``'s ``hub`` (also in
/ws/live's stats, which the console's status bar shows) and ``/api/health``. A station
whose hub cannot be reached counts every stored datagram as waiting, and how long the
oldest has waited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import wait_until_sync
from tests.hub.conftest import hub_station
from tests.station.fixtures import free_port, match_datagrams, send_udp

pytestmark = [pytest.mark.peers, pytest.mark.timeout(120)]


def test_the_lag_of_an_unreachable_hub_is_in_the_stats(tmp_path: Path) -> None:
    station = hub_station(tmp_path, "Lag Court", f"http://127.0.0.1:{free_port()}").start(
        60, ready=(200, 503))
    try:
        match = match_datagrams()
        send_udp(station.udp_port, match)

        def hub_stats() -> dict[str, Any] | None:
            stats = station.get("/api/v1/stats").json()
            hub: dict[str, Any] = stats["hub"]
            return hub if stats["stored"] == len(match) and \
                hub["lag_rows"] == len(match) else None

        hub = wait_until_sync(hub_stats, 30, "the lag of every stored datagram")
        assert hub["state"] == "unreachable" and hub["cursor"] == 0
        wait_until_sync(lambda: station.get("/api/v1/stats").json()["hub"]["lag_seconds"]
                        > 0.5, 30, "the oldest datagram's wait to grow")
        health = station.get("/api/health").json()["components"]["hub"]
        assert health["ok"] and health["lag_rows"] == len(match)
    finally:
        station.stop()
