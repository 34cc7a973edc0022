"""`GET /api/v1/state` fast path: same bytes and headers as the FastAPI route."""

from __future__ import annotations

import httpx

from restrike.api.app import StateFastPath
from restrike.kernel import Station
from tests.helpers import wait_until
from tests.station.fixtures import match_datagrams, send_udp


async def test_fast_path_answers_like_the_route(api: httpx.AsyncClient,
                                                station: Station) -> None:
    fast = httpx.AsyncClient(transport=httpx.ASGITransport(
        app=StateFastPath(api.app, station.live)), base_url="http://station")  # type: ignore[attr-defined]
    async with fast:
        for _ in range(2):
            slow_r, fast_r = await api.get("/api/v1/state"), await fast.get("/api/v1/state")
            assert fast_r.status_code == slow_r.status_code == 200
            assert fast_r.content == slow_r.content
            assert fast_r.headers["content-type"] == slow_r.headers["content-type"]
            assert fast_r.headers["content-length"] == slow_r.headers["content-length"]
            datagrams = match_datagrams()
            send_udp(station.bound["udp"]["port"], datagrams)
            await wait_until(lambda: station.live.state.scores == (3, 1), what="scores 3:1")
        assert (await fast.get("/api/v1/state")).json()["scores"] == [3, 1]
        # Everything else goes through the app: other methods, other paths.
        assert (await fast.delete("/api/v1/state")).status_code == 405
        assert (await fast.get("/api/v1/stats")).status_code == 200
        assert (await fast.get("/api/v1/state/")).status_code in (307, 404)
