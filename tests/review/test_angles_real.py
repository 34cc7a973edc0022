"""Multi-angle review with three real OBS 29 (headless) and a real mpv (``--vo=null``).

Every OBS shows the same colour source; the test flashes it white in all three at once.
A challenge saves the three replay buffers together, the clip's angles are filed and
archived, mpv plays them together from the common 10th second, and the flash is found
at the same common second in every angle (within two frames). With one OBS gone the
review goes on with the other two and names the missing angle.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from restrike.bus import Bus
from restrike.errors import ObsError
from restrike.obs.headless import COLOR_SOURCE, HeadlessObs
from restrike.obs.pool import ObsPool
from restrike.obs.settings import ConnectionEvent, ObsConnectionSettings, ObsStatus
from restrike.playback import MpvPlayer
from restrike.review.component import Review
from restrike.review.options import ReviewOptions
from restrike.store import Store
from tests.helpers import wait_until as until
from tests.peers.mpv import headless_settings, require_mpv
from tests.peers.obs import obs_angles  # noqa: F401
from tests.peers.xvfb import xvfb_display  # noqa: F401
from tests.review.conftest import MATCH, Clock, Context, Court

pytestmark = [pytest.mark.peers, pytest.mark.slow, pytest.mark.timeout(240)]

NAMES = ("rec", "cam2", "cam3")
FPS = 30
WHITE, BLACK = 0xFFFFFFFF, 0xFF000000


@pytest.fixture
async def rig(obs_angles: list[HeadlessObs], tmp_path: Path,  # noqa: F811
              store: Store) -> AsyncIterator[dict[str, Any]]:
    require_mpv()
    live = [(name, obs) for name, obs in zip(NAMES, obs_angles, strict=True) if obs.running()]
    pool = ObsPool([ObsConnectionSettings(name, obs.url, role="recording" if name == "rec"
                                          else "angle", protocol="v5", connect_timeout=2.0)
                    for name, obs in zip(NAMES, obs_angles, strict=True)], poll_interval=0.5)
    await pool.start()
    for name, _ in live:
        await pool.get(name).wait_connected(20)
    player = MpvPlayer(headless_settings())
    await player.start()
    bus = Bus(asyncio.get_running_loop())
    review = Review(ReviewOptions(recordings_root=tmp_path / "rec", tournament="Open",
                                  clip_seconds=12), store=store, obs=pool, player=player)
    await review.start(Context(bus))
    court = Court(store, bus, Clock())
    try:
        yield {"pool": pool, "player": player, "review": review, "court": court,
               "root": tmp_path / "rec", "live": [name for name, _ in live]}
    finally:
        await review.stop()
        await player.aclose()
        for name, _ in live:
            conn = pool.get(name)
            if conn.status.connected:
                await conn.control.stop_replay_buffer()
                if name == "rec":
                    await conn.control.stop_recording()
        # The next test's match starts from stopped outputs (not ones still stopping).
        async def stopped() -> bool:
            for name, _ in live:
                conn = pool.get(name)
                if conn.status.connected and (
                        (await conn.control.replay_buffer_status()).active
                        or (await conn.control.recording_status()).active):
                    return False
            return True

        await until(stopped, 30, "outputs stopped", ignore=(ObsError,))
        await pool.stop()


async def buffers_running(rig: dict[str, Any]) -> None:
    """The match loads: the review starts every live angle's replay buffer."""
    for line in MATCH:
        rig["court"].send(line)
    pool, review = rig["pool"], rig["review"]

    async def running() -> bool:  # asked of OBS itself (its STARTED event may follow)
        states = [await pool.get(n).control.replay_buffer_status() for n in rig["live"]]
        return all(state.active for state in states)

    try:
        await until(running, 60, "every replay buffer running", ignore=(ObsError,))
        await until(lambda: all(pool.get(n).status.replay_buffer for n in rig["live"]), 10,
                    "the pool's replay-buffer flags follow OBS")
    except AssertionError as err:
        actual = [(n, await pool.get(n).control.replay_buffer_status()) for n in rig["live"]]
        raise AssertionError(f"{err}; review: {review.last_error}; OBS: "
                             f"{[s.as_dict() for s in pool.statuses()]}; asked: {actual}"
                             ) from err


async def flash(pool: ObsPool, names: list[str]) -> None:
    """The colour source white for a few frames in every OBS at once."""
    async def colour(name: str, value: int) -> None:
        await pool.get(name).control.request(  # type: ignore[attr-defined]
            "SetInputSettings", {"inputName": COLOR_SOURCE, "inputSettings": {"color": value}})

    await asyncio.gather(*(colour(n, WHITE) for n in names))
    await asyncio.sleep(0.3)  # about nine frames: a loaded OBS may skip a few
    await asyncio.gather(*(colour(n, BLACK) for n in names))


def flash_second(path: str) -> float:
    """Second of the first white frame of a saved clip (OBS writes 30 frames a second)."""
    grey = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-vf",
                           "scale=1:1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                          check=True, capture_output=True, timeout=60).stdout
    frame = next((i for i, value in enumerate(grey) if value > 128), None)
    assert frame is not None, (f"no white frame in {path} ({len(grey)} frames, "
                               f"brightest {max(grey, default=0)})")
    return frame / FPS


async def test_every_angle_saved_together_played_in_sync(rig: dict[str, Any]) -> None:
    pool, player, review = rig["pool"], rig["player"], rig["review"]
    for name in NAMES:
        await pool.get(name).control.request(
            "SetInputSettings", {"inputName": COLOR_SOURCE, "inputSettings": {"color": BLACK}})
    await buffers_running(rig)
    await asyncio.sleep(11.5)  # the buffers hold more than the 10 s a review starts at
    await flash(pool, list(NAMES))
    await asyncio.sleep(2.0)  # the flash encoded before the save, even by a loaded OBS
    await review.request_replay(requested_by="referee")
    await until(lambda: review.flow.active and review.flow.active.clip, 30, "the clip saved")
    assert await player.wait_position(10, within=10) >= 10
    current = review.review_json()
    assert [a["name"] for a in current["angles"]] == list(NAMES)
    assert current["missing_angles"] == [] and current["error"] is None
    times = review.timings[current["id"]]
    assert all(times[f"save:{n}"] > 0 for n in NAMES)
    # every angle's file in the match's IVR folder
    paths = [a["path"] for a in current["angles"]]
    assert all(Path(p).parent.name == "IVR recordings" for p in paths)
    assert all(await asyncio.gather(*(asyncio.to_thread(Path(p).is_file) for p in paths)))
    # mpv shows the three together, at the common 10th second or later
    status = player.status()
    assert status.angles == 3 and status.angle is None and status.file == paths[0]
    client = player._mpv.client if player._mpv else None
    assert client is not None
    tracks = await client.get_property("track-list")
    assert len([t for t in tracks if t["type"] == "video" and t["selected"]]) == 3
    assert "xstack=inputs=3" in await client.get_property("lavfi-complex")
    assert await client.get_property("playback-time") >= 10
    # the flash is at the same common second in every angle (within two frames)
    offsets = [a["offset"] for a in current["angles"]]
    seconds = await asyncio.gather(*(asyncio.to_thread(flash_second, p) for p in paths))
    common = [s + o for s, o in zip(seconds, offsets, strict=True)]
    assert max(common) - min(common) <= 2 / FPS + 0.005, (seconds, offsets)
    assert max(offsets) == 0.0 and min(offsets) > -2.0
    # idle: the workflow has carried out every command of the saved replay (PlayClip
    # is awaited before StoreReview is queued) and the archive has written them
    await until(review.idle, 10, "review idle, archive written")
    (clip,) = await review.clips()
    assert [a["name"] for a in clip["angles"]] == list(NAMES) and clip["path"] == paths[0]
    await review.close_review(decision="rejected", decided_by="referee")


async def test_an_angle_gone_the_review_goes_on(rig: dict[str, Any],
                                               obs_angles: list[HeadlessObs],  # noqa: F811
                                               ) -> None:
    pool, player, review = rig["pool"], rig["player"], rig["review"]
    await buffers_running(rig)
    seen: list[ObsStatus | ConnectionEvent] = []
    pool.subscribe(seen.append)
    await asyncio.to_thread(obs_angles[2].stop)  # camera 3's PC goes away
    await until(lambda: not pool.get("cam3").status.connected, 20, "cam3 gone")
    await asyncio.sleep(1.0)  # a second of video in the other buffers
    await review.request_replay(requested_by="referee")
    await until(lambda: review.flow.active and review.flow.active.clip, 30, "the clip saved")
    current = review.review_json()
    assert [a["name"] for a in current["angles"]] == ["rec", "cam2"], current
    assert [m["name"] for m in current["missing_angles"]] == ["cam3"]
    assert "angle missing: cam3" in current["error"]
    await until(lambda: player.status().angles == 2, 10, "two angles in mpv")
    # idle: the workflow has carried out every command of the saved replay (PlayClip
    # is awaited before StoreReview is queued) and the archive has written them
    await until(review.idle, 10, "review idle, archive written")
    (clip,) = await review.clips()
    assert [a["name"] for a in clip["angles"]] == ["rec", "cam2"]
    assert clip["missing_angles"][0]["name"] == "cam3"
