"""/api/v1/obs through FastAPI (httpx ASGI transport) with a pool on real OBS."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from restrike.obs import Backoff, ObsConnectionSettings, ObsPool
from restrike.obs.api import make_router
from restrike.obs.headless import HeadlessObs, free_port
from tests.peers.obs import OBS_PASSWORD

pytestmark = pytest.mark.peers

KEYS = {"name", "role", "connected", "obs_version", "websocket_version", "recording",
        "streaming", "replay_buffer", "scene", "error"}


@pytest.fixture
async def client(obs_with_password: HeadlessObs) -> AsyncIterator[httpx.AsyncClient]:
    settings = [
        ObsConnectionSettings("court1", obs_with_password.url, OBS_PASSWORD, role="recording"),
        ObsConnectionSettings("down", f"ws://127.0.0.1:{free_port()}", role="streaming"),
    ]
    async with ObsPool(settings, backoff=Backoff(0.2, 1.0)) as pool:
        await pool.get("court1").wait_connected(10)
        app = FastAPI()
        app.include_router(make_router(pool))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://station") as http:
            yield http


async def test_list_connections(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/v1/obs")
    assert resp.status_code == 200
    rows = {row["name"]: row for row in resp.json()}
    assert set(rows) == {"court1", "down"}
    assert set(rows["court1"]) >= KEYS
    assert rows["court1"]["connected"] is True and rows["court1"]["role"] == "recording"
    assert rows["court1"]["obs_version"].startswith("29.")
    assert rows["down"]["connected"] is False and rows["down"]["error"]


async def test_errors_are_json_with_detail(client: httpx.AsyncClient) -> None:
    cases = [
        ("/api/v1/obs/nope/start_recording", None, 404, "no OBS connection"),
        ("/api/v1/obs/court1/explode", None, 404, "unknown action"),
        ("/api/v1/obs/court1/set_replay_seconds", {"seconds": 0}, 422, "seconds"),
        ("/api/v1/obs/court1/switch_scene", {}, 422, "scene"),
        ("/api/v1/obs/court1/switch_scene", {"scene": "x", "extra": 1}, 422, "extra"),
        ("/api/v1/obs/court1/switch_scene", {"scene": "No such scene"}, 422, "600"),
        ("/api/v1/obs/court1/stop_streaming", None, 409, "not running"),
        ("/api/v1/obs/down/start_streaming", None, 503, "not connected"),
    ]
    for url, body, status, text in cases:
        resp = await client.post(url, json=body) if body is not None else await client.post(url)
        assert resp.status_code == status, (url, resp.text)
        assert text in resp.json()["detail"], (url, resp.text)
    bad = await client.post("/api/v1/obs/court1/switch_scene", content=b"{nope")
    assert bad.status_code == 422 and "not JSON" in bad.json()["detail"]


async def test_scene_and_replay_actions(client: httpx.AsyncClient) -> None:
    scene = f"API {uuid.uuid4().hex[:6]}"
    created = await client.post("/api/v1/obs/court1/create_scene", json={"scene": scene})
    assert created.status_code == 200 and created.json()["result"] == {"created": True}
    switched = await client.post("/api/v1/obs/court1/switch_scene", json={"scene": scene})
    assert switched.status_code == 200
    await client.post("/api/v1/obs/court1/switch_scene", json={"scene": "Scene"})

    ok = await client.post("/api/v1/obs/court1/set_replay_seconds", json={"seconds": 8})
    assert ok.status_code == 200
    started = await client.post("/api/v1/obs/court1/start_replay_buffer")
    assert started.status_code == 200, started.text
    try:
        await asyncio.sleep(1.5)
        saved = await client.post("/api/v1/obs/court1/save_replay_buffer")
        assert saved.status_code == 200, saved.text
        path = Path(saved.json()["result"]["path"])
        assert await asyncio.to_thread(path.exists)
        status = await client.post("/api/v1/obs/court1/replay_buffer_status")
        assert status.json()["result"]["active"] is True
        listed = await client.get("/api/v1/obs/court1")
        assert listed.json()["replay_buffer"] is True
    finally:
        stopped = await client.post("/api/v1/obs/court1/stop_replay_buffer")
    assert stopped.status_code == 200
