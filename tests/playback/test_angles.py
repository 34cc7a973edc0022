"""Multi-angle playback in a real mpv (``--vo=null``): the grid from the 10th second, in
sync (a flash every angle shows at the same common second), one angle alone by the API
and by mpv's keys, back to a single clip."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from restrike.errors import PlayerCommandError
from restrike.playback import MpvPlayer, PlayerStatus
from restrike.playback.api import make_router
from restrike.playback.grid import angles_graph, grid_shape
from tests.peers.flash import cell_brightness, flash_clip
from tests.peers.media import ffmpeg_available

pytestmark = pytest.mark.peers

#: Each angle's offset on the common time line (the player takes any: it moves them so
#: the angle that starts last is the time line, here the second, so the flash is at 11.5).
OFFSETS = (0.0, 0.5, -0.3)
FLASH = 12.0 - 0.5


@pytest.fixture(scope="module")
def angles(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, float]]:
    """Three clips of one moment: angle i flashes at its own second 12 - offset."""
    if not ffmpeg_available():
        pytest.skip("ffmpeg is not installed")
    folder = tmp_path_factory.mktemp("angles")
    return [(flash_clip(folder, f"angle{i}", flash_at=12.0 - off), off)
            for i, off in enumerate(OFFSETS)]


def _client(player: MpvPlayer) -> Any:
    client = player._mpv.client if player._mpv else None
    assert client is not None
    return client


async def until(player: MpvPlayer, check: Any, within: float = 5.0) -> PlayerStatus:
    deadline = time.monotonic() + within
    while not check(status := player.status()):
        if time.monotonic() > deadline:
            raise AssertionError(f"status never matched: {status}")
        await asyncio.sleep(0.01)
    return status


async def picture_at(player: MpvPlayer, second: float, shot: Path,
                     expect: Callable[[list[int]], bool]) -> list[int]:
    """Seek (paused, exact) to ``second``; the grid's cells once they are as expected, or
    as they are after 5 s (a paused picture only waits for the display to catch up)."""
    client = _client(player)
    await player.seek(second, "absolute")
    await until(player, lambda s: s.position == pytest.approx(second, abs=0.02))
    columns, rows = grid_shape(len(OFFSETS))
    deadline = time.monotonic() + 5
    while True:
        with contextlib.suppress(PlayerCommandError):  # no frame yet
            await client.command("screenshot-to-file", str(shot), "video")
            cells = cell_brightness(shot, columns, rows)[:len(OFFSETS)]
            if expect(cells) or time.monotonic() > deadline:
                return cells
        await asyncio.sleep(0.05)


async def size_becomes(client: Any, size: tuple[int, int]) -> None:
    """mpv's picture reaches ``size`` (a new graph is applied a few frames later)."""
    deadline = time.monotonic() + 5
    while True:
        with contextlib.suppress(PlayerCommandError):
            params = await client.get_property("video-params")
            if (params["w"], params["h"]) == size:
                return
        assert time.monotonic() < deadline, f"picture never became {size}"
        await asyncio.sleep(0.02)


def dark(cells: list[int]) -> bool:
    return max(cells) < 40


def bright(cells: list[int]) -> bool:
    return min(cells) > 200


async def test_grid_plays_every_angle_from_the_10th_second(
        mpv_player: MpvPlayer, angles: list[tuple[Path, float]]) -> None:
    await mpv_player.open_angles(angles, 10)
    assert await mpv_player.wait_position(10) >= 10
    status = mpv_player.status()
    assert status.angles == 3 and status.angle is None and status.file == str(angles[0][0])
    client = _client(mpv_player)
    tracks = await client.get_property("track-list")
    videos = [t for t in tracks if t["type"] == "video"]
    assert len(videos) == 3 and all(t["selected"] for t in videos)
    assert [t.get("external", False) for t in videos] == [False, True, True]
    assert "xstack=inputs=3" in await client.get_property("lavfi-complex")
    assert await client.get_property("playback-time") >= 10.0
    await size_becomes(client, (1280, 720))  # 2x2 cells of 640x360


async def test_angles_show_one_moment_together(
        mpv_player: MpvPlayer, angles: list[tuple[Path, float]], tmp_path: Path) -> None:
    await mpv_player.open_angles(angles, 10.0, paused=True)
    await until(mpv_player, lambda s: s.position is not None)
    assert dark(await picture_at(mpv_player, FLASH - 0.1, tmp_path / "before.png", dark))
    for second in (FLASH, FLASH + 1 / 30):  # the flash lasts three frames in every angle
        cells = await picture_at(mpv_player, second, tmp_path / f"at{second}.png", bright)
        assert bright(cells), f"at {second}: {cells}"
    assert dark(await picture_at(mpv_player, FLASH + 0.2, tmp_path / "after.png", dark))


async def test_one_angle_alone_then_the_grid_by_api_and_by_key(
        mpv_player: MpvPlayer, angles: list[tuple[Path, float]]) -> None:
    app = FastAPI()
    app.include_router(make_router(mpv_player, allowed_roots=[angles[0][0].parent]))
    await mpv_player.open_angles(angles, 10)
    await mpv_player.wait_position(10)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://station") as http:
        r = await http.post("/api/v1/playback/angle", json={"angle": 2})
        assert r.status_code == 200 and r.json()["angle"] == 2 and r.json()["angles"] == 1
        client = _client(mpv_player)
        assert await client.get_property("lavfi-complex") == angles_graph([-0.5, 0.0, -0.8], 1)
        await size_becomes(client, (160, 90))  # the angle itself, not a cell
        r = await http.post("/api/v1/playback/angle", json={"angle": 4})
        assert r.status_code == 409 and "1..3" in r.json()["detail"]
        r = await http.post("/api/v1/playback/angle", json={"angle": None})
        assert r.json()["angles"] == 3 and r.json()["angle"] is None
        body = (await http.get("/api/v1/playback")).json()
        assert body["angles"] == 3 and body["position"] >= 10
    await client.command("keypress", "3")  # mpv's window: keys 1..9 and 0 for the grid
    await until(mpv_player, lambda s: s.angle == 3 and s.angles == 1)
    await client.command("keypress", "0")
    await until(mpv_player, lambda s: s.angle is None and s.angles == 3)
    assert (await mpv_player.wait_position(10.2)) >= 10.2  # still playing through it
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://station") as http:
        r = await http.post("/api/v1/playback/open_angles", json={
            "angles": [{"path": "/etc/passwd.mkv", "offset": 0}], "start": 10})
        assert r.status_code == 403  # the same rule as open: only the recordings folder
        r = await http.post("/api/v1/playback/open_angles", json={
            "angles": [{"path": str(p), "offset": o} for p, o in angles[:2]], "start": 10})
        assert r.status_code == 200
        await until(mpv_player, lambda s: s.angles == 2 and s.file == str(angles[0][0]))


async def test_a_single_clip_after_the_angles_plays_alone(
        mpv_player: MpvPlayer, angles: list[tuple[Path, float]]) -> None:
    await mpv_player.open_angles(angles, 10)
    await mpv_player.wait_position(10)
    await mpv_player.show_angle(3)
    await mpv_player.open(angles[1][0], 10)
    await mpv_player.wait_position(10)
    client = _client(mpv_player)
    assert await client.get_property("lavfi-complex") == ""
    tracks = await client.get_property("track-list")
    assert len([t for t in tracks if t["type"] == "video"]) == 1
    status = mpv_player.status()
    assert status.angles == 1 and status.angle is None
    with pytest.raises(PlayerCommandError, match="no angles"):
        await mpv_player.show_angle(1)
