"""The Review inside the real station: UDP in, bus, store, HTTP, with OBS unreachable."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from restrike.assembly import assemble
from restrike.obs.pool import ObsPool
from restrike.obs.settings import ObsConnectionSettings
from tests.helpers import wait_until as until
from tests.review.conftest import MATCH
from tests.review.fakes import FakePlayer
from tests.station.fixtures import free_port, station_settings


@pytest.fixture
async def station(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    # An OBS that is not there: nothing listens on this port (outside the range the
    # station's own port-0 HTTP socket comes from).
    pool = ObsPool([ObsConnectionSettings("rec", f"ws://127.0.0.1:{free_port()}",
                                          role="both", connect_timeout=0.5)])
    await pool.start()
    player = FakePlayer()
    settings = station_settings(tmp_path, **{"review.recordings_root": str(tmp_path / "rec")})
    parts = assemble(settings, obs=pool, player=player, switch_interval=None)
    st, review = parts.station, parts.review
    assert review is not None
    await st.start()
    yield {"station": st, "review": review, "player": player}
    await st.stop()
    await pool.stop()


async def test_obs_unavailable_challenge_is_recorded_and_station_runs(
        station: dict[str, Any]) -> None:
    st = station["station"]
    udp = st.bound["udp"]
    http = f"http://127.0.0.1:{st.bound['http']['port']}"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for line in [*MATCH, b"pt1;3", b"ch2"]:
            sock.sendto(line + b"\r\n", ("127.0.0.1", udp["port"]))
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=http) as client:
            async def clip() -> Any:
                rows = (await client.get("/api/v1/clips")).json()
                return rows if rows and rows[0]["error"] else None

            (row,) = await until(clip, what="the clip row with its error")
            assert row["requested_by"] == "red" and row["match"] == "101"
            assert "replay not saved" in row["error"] and "not connected" in row["error"]
            review = (await client.get("/api/v1/review")).json()
            assert review["active"] and review["quota"] == [1, 0] and review["error"]
            sock.sendto(b"ch2;0\r\n", ("127.0.0.1", udp["port"]))

            async def decided() -> Any:
                rows = (await client.get("/api/v1/clips")).json()
                return rows[0]["decision"] == "rejected"

            await until(decided, what="the decision")
            assert (await client.get("/api/health")).status_code == 200
            state = (await client.get("/api/v1/state")).json()
            assert state["challenges"][0]["status"] == "rejected"


async def test_manual_replay_reaches_live_clients(station: dict[str, Any]) -> None:
    import json

    import websockets

    st = station["station"]
    port = st.bound["http"]["port"]
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/live") as ws, \
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        first = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert first["type"] == "snapshot"
        r = await client.post("/api/v1/replay", json={"seconds": 5, "requested_by": "table"})
        assert r.status_code == 200

        async def review_message() -> dict[str, Any]:
            while True:
                msg = json.loads(await ws.recv())
                if msg["type"] == "review":
                    body: dict[str, Any] = msg["review"]
                    return body

        body = await asyncio.wait_for(review_message(), 5)
        assert body["event"] == "review_started" and body["requested_by"] == "table"
        assert (await client.post("/api/v1/replay/close", json={"decision": "closed"})
                ).status_code == 200
        for _ in range(5):
            body = await asyncio.wait_for(review_message(), 5)
            if body["event"] == "review_closed":
                break
        assert body["event"] == "review_closed" and body["decision"] == "closed"
