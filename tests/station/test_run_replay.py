"""`restrike run` as shipped, with real OBS and mpv: a simulated challenge plays its clip."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restrike.simulator import Court, encode_items
from tests.helpers import wait_until_sync
from tests.peers.mpv import require_mpv
from tests.peers.obs import StartObs, start_obs  # noqa: F401
from tests.peers.xvfb import xvfb_display  # noqa: F401
from tests.review.test_peers import SETUP
from tests.station.fixtures import StationProcess

pytestmark = [pytest.mark.peers, pytest.mark.slow, pytest.mark.timeout(180)]

PASSWORD = "run-replay-test"


@pytest.fixture
def station(tmp_path: Path, start_obs: StartObs) -> Iterator[StationProcess]:  # noqa: F811
    require_mpv()
    obs = start_obs(password=PASSWORD, replay_seconds=20)
    config = tmp_path / "station.toml"
    config.write_text(
        "[playback]\nextra_args = [\"--vo=null\", \"--ao=null\", \"--no-config\"]\n"
        f"[review]\nrecordings_root = \"{(tmp_path / 'rec').as_posix()}\"\n"
        f"[[obs]]\nname = \"court1\"\nurl = \"{obs.url}\"\npassword = \"{PASSWORD}\"\n"
        "role = \"both\"\n")
    proc = StationProcess(tmp_path / "data", playback=True,
                          extra=["--config", str(config)]).start()
    try:
        yield proc
    finally:
        proc.stop()


def test_challenge_plays_the_clip_in_the_stations_mpv(station: StationProcess) -> None:
    health = station.get("/api/health").json()
    assert health["components"]["playback"]["state"] == "running", health
    assert station.get("/api/v1/playback").json()["alive"] is True
    court = Court()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(items: list[Any]) -> None:
        for data in encode_items(items):
            sock.sendto(data, ("127.0.0.1", station.udp_port))

    try:
        send(court.load(SETUP))
        send(court.ready())
        wait_until_sync(lambda: (obs := station.get("/api/v1/obs").json())
                        and obs[0].get("replay_buffer"), 30, "replay buffer started")
        send(court.start())
        for _ in range(14):  # a replay buffer with more than 10 s in it
            send(court.tick())
            time.sleep(1.0)
        send(court.challenge(1))
        def clip_at_10s() -> dict[str, Any] | None:
            playing: dict[str, Any] = station.get("/api/v1/playback").json()
            return playing if playing["file"] and (playing["position"] or 0) >= 10.0 else None

        playing = wait_until_sync(clip_at_10s, 30, "the clip at 10 s")
        review = station.get("/api/v1/review").json()
        assert review["active"] and review["requested_by"] == "blue"
        assert Path(playing["file"]).is_file()
        assert Path(playing["file"]).is_relative_to(station.data_dir.parent / "rec")
    finally:
        sock.close()

