"""``/api/v1/playback`` in-process (httpx ASGI transport) with real mpv, and error codes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from restrike.playback import MpvPlayer, PlayerCommandError, PlayerStatus, PlayerUnavailable
from restrike.playback.api import ACTIONS, make_router


def client_for(player: object, **kw: object) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(make_router(player, **kw))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://station")


@pytest.fixture
async def api(mpv_player: MpvPlayer, clip: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(mpv_player, allowed_roots=[clip.parent]) as client:
        yield client


async def poll(api: httpx.AsyncClient, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    for _ in range(300):
        status = (await api.get("/api/v1/playback")).json()
        if check(status):
            return dict(status)
        await asyncio.sleep(0.01)
    raise AssertionError(f"status never matched: {status}")


@pytest.mark.peers
async def test_remote_control_end_to_end(api: httpx.AsyncClient, clip: Path) -> None:
    idle = (await api.get("/api/v1/playback")).json()
    assert {"file", "playing", "position", "speed"} <= idle.keys() and idle["file"] is None
    r = await api.post("/api/v1/playback/open", json={"path": str(clip), "start": 10})
    assert r.status_code == 200, r.text
    status = await poll(api, lambda s: (s["position"] or 0) >= 10)
    assert status["file"] == str(clip) and status["playing"]  # tmp paths are resolved
    assert (await api.post("/api/v1/playback/pause")).status_code == 200
    await poll(api, lambda s: not s["playing"])
    assert (await api.post("/api/v1/playback/speed", json={"value": 0.25})).status_code == 200
    await poll(api, lambda s: s["speed"] == 0.25)
    r = await api.post("/api/v1/playback/seek", json={"seconds": 4, "mode": "absolute"})
    assert r.status_code == 200
    await poll(api, lambda s: s["position"] == pytest.approx(4, abs=0.05))
    for action in ("frame_step", "frame_back_step", "toggle", "loop_a", "loop_clear"):
        assert (await api.post(f"/api/v1/playback/{action}")).status_code == 200, action
    r = await api.post("/api/v1/playback/loop_b", json={"at": 6})
    assert r.status_code == 200
    await poll(api, lambda s: s["loop_b"] == 6)
    r = await api.post("/api/v1/playback/fullscreen", json={"on": True})
    assert r.status_code == 200
    await poll(api, lambda s: s["fullscreen"])
    assert (await api.post("/api/v1/playback/stop")).status_code == 200
    await poll(api, lambda s: s["file"] is None)
    r = await api.post("/api/v1/playback/seek", json={"seconds": 1})
    assert r.status_code == 409 and "no file is open" in r.json()["detail"]


@pytest.mark.peers
async def test_bad_requests(api: httpx.AsyncClient, clip: Path, tmp_path: Path) -> None:
    async def post(action: str, body: object = None) -> httpx.Response:
        return await api.post(f"/api/v1/playback/{action}", json=body)

    r = await post("rewind")
    assert r.status_code == 404 and "unknown playback action 'rewind'" in r.json()["detail"]
    assert (await post("speed", {"value": 8})).status_code == 422
    assert (await post("speed", {})).status_code == 422
    assert (await post("seek", {"seconds": 1, "mode": "sideways"})).status_code == 422
    assert (await post("fullscreen", {"on": "maybe"})).status_code == 422
    assert (await post("open", {"path": "relative/clip.mp4"})).status_code == 422
    assert (await post("open", {"path": str(clip), "start": -1})).status_code == 422
    missing = await post("open", {"path": str(clip.parent / "missing.mp4")})
    assert missing.status_code == 404 and "no such file" in missing.json()["detail"]
    outside = tmp_path / "elsewhere.mp4"
    outside.write_bytes(b"x")
    assert (await post("open", {"path": str(outside)})).status_code == 403
    sneaky = f"{clip.parent}/../{tmp_path.name}/elsewhere.mp4"
    assert (await post("open", {"path": sneaky})).status_code == 403


class DeadPlayer:
    """A Player whose every command fails the way a restarting mpv does."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def status(self) -> PlayerStatus:
        return PlayerStatus(alive=False)

    def __getattr__(self, name: str) -> Callable[..., object]:
        async def fail(*args: object, **kw: object) -> None:
            raise self.error

        return fail


async def test_unavailable_player_is_503_and_status_still_answers() -> None:
    async with client_for(DeadPlayer(PlayerUnavailable("mpv is not running"))) as api:
        status = await api.get("/api/v1/playback")
        assert status.status_code == 200 and status.json()["alive"] is False
        for action in ("play", "pause", "stop", "frame_step"):
            r = await api.post(f"/api/v1/playback/{action}")
            assert r.status_code == 503 and r.json() == {"detail": "mpv is not running"}


async def test_refused_command_is_409() -> None:
    async with client_for(DeadPlayer(PlayerCommandError("seek", "no file is open"))) as api:
        r = await api.post("/api/v1/playback/seek", json={"seconds": 5})
        assert r.status_code == 409 and "no file is open" in r.json()["detail"]


async def test_open_is_denied_without_allowed_roots(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"video")
    player = DeadPlayer(PlayerUnavailable("down"))
    no_roots: list[dict[str, object]] = [{}, {"allowed_roots": []}]
    for kw in no_roots:
        async with client_for(player, **kw) as api:
            r = await api.post("/api/v1/playback/open", json={"path": str(clip)})
            assert r.status_code == 403
            assert r.json()["detail"].startswith("opening files is refused: no folder")


async def test_every_action_has_a_route(tmp_path: Path) -> None:
    async with client_for(DeadPlayer(PlayerUnavailable("down")),
                          allowed_roots=[tmp_path]) as api:
        bodies = {
            "open": {"path": str(tmp_path / "nonexistent" / "clip.mp4")},
            "speed": {"value": 1},
            "seek": {"seconds": 1},
            "fullscreen": {"on": True},
            "angle": {"angle": 1},
            "open_angles": {"angles": [{"path": str(tmp_path / "nonexistent" / "a.mkv")}]},
        }
        for action in ACTIONS:
            r = await api.post(f"/api/v1/playback/{action}", json=bodies.get(action))
            assert r.status_code in (404, 503), (action, r.text)
            if r.status_code == 404:
                assert action.startswith("open") and "no such file" in r.json()["detail"]


def test_every_action_is_documented() -> None:
    text = (Path(__file__).parents[2] / "docs" / "playback.md").read_text(encoding="utf-8")
    assert "GET /api/v1/playback" in text and "POST /api/v1/playback/{action}" in text
    assert [a for a in ACTIONS if f"| `{a}` |" not in text] == []
