"""The feed port is the station's alone: a second station on it exits 1 naming the port.

Before, both bound it (SO_REUSEADDR) and Linux gave the feed to the newer one while the
first still reported a healthy intake.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from restrike.errors import RestrikeError
from restrike.ingest import listen_udp
from tests.helpers import wait_until_sync
from tests.station.fixtures import StationProcess, free_port, send_udp


def test_two_stations_on_one_port(tmp_path: Path) -> None:
    first = StationProcess(tmp_path / "first").start(path="/api/v1/state")
    try:
        second = StationProcess(tmp_path / "second", udp_port=first.udp_port)
        proc = second.launch()
        code = proc.wait(60)
        second.stop()
        assert code == 1, second.output
        assert f"UDP port {first.udp_port}" in second.output
        assert "cannot listen on UDP" in second.output
        # The first keeps the whole feed.
        send_udp(first.udp_port, [b"clk;1:59\r\n", b"sc1;3;sc2;0\r\n"])
        wait_until_sync(lambda: first.get("/api/v1/state").json()["scores"] == [3, 0],
                        30, "the first station's scoreboard")
    finally:
        first.stop()


@pytest.mark.parametrize("reuse", [False, True])
def test_a_port_held_by_another_program_is_refused(reuse: bool) -> None:
    """Even a program that asks to share the port (SO_REUSEADDR) keeps it to itself."""
    port = free_port(socket.SOCK_DGRAM)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        if reuse:
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("0.0.0.0", port))
        with pytest.raises(RestrikeError, match=f"already listens on UDP port {port}"):
            listen_udp("127.0.0.1", port, 1 << 16)


def test_the_station_holds_the_port_against_a_sharing_program() -> None:
    port = free_port(socket.SOCK_DGRAM)
    sock, _ = listen_udp("127.0.0.1", port, 1 << 16)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with pytest.raises(OSError):
                other.bind(("127.0.0.1", port))
    finally:
        sock.close()
