"""Multi-angle review with in-memory OBS connections and player, a real store: every
angle saved at once, the clip's angles archived and shown, a missing angle left out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from restrike.bus import Broadcast, Bus
from restrike.errors import ObsError
from restrike.review.angles import AngleSave, align, common_start, missing_text
from restrike.review.component import Review
from restrike.review.options import ReviewOptions
from restrike.store import Store
from tests.review.conftest import Clock, Context, Court, body, load_match, settle
from tests.review.fakes import FakePlayer, FakePool

ROLES = {"rec": "recording", "cam2": "angle", "cam3": "angle", "live": "streaming"}


@pytest.fixture
async def rig(tmp_path: Path, store: Store, clock: Clock) -> AsyncIterator[dict[str, Any]]:
    bus = Bus(asyncio.get_running_loop())
    broadcasts: list[Broadcast] = []
    bus.subscribe(Broadcast, broadcasts.append)
    pool = FakePool(tmp_path / "obs-default", ROLES)
    player = FakePlayer()
    review = Review(ReviewOptions(recordings_root=tmp_path / "rec", tournament="Open"),
                    store=store, obs=pool, player=player, clock=clock)
    await review.start(Context(bus))
    yield {"review": review, "pool": pool, "player": player, "clock": clock,
           "court": Court(store, bus, clock), "broadcasts": broadcasts}
    await review.stop()


def calls(rig: dict[str, Any], name: str) -> list[tuple[Any, ...]]:
    return list(rig["pool"].get(name)._client.calls)


async def test_a_match_prepares_every_angle(rig: dict[str, Any], tmp_path: Path) -> None:
    await load_match(rig)
    for name in ("cam2", "cam3"):
        done = calls(rig, name)
        assert ("set_replay_buffer_seconds", 20) in done and ("start_replay_buffer",) in done
        (folder,) = [c[1] for c in done if c[0] == "set_record_folder"]
        assert folder == str(calls(rig, "rec")[0][1])  # the match folder: moves are renames
        assert not any(c[0] == "start_recording" for c in done)  # an angle only replays


async def test_challenge_saves_every_angle_at_once_and_plays_them(rig: dict[str, Any]
                                                                 ) -> None:
    review, player, pool = rig["review"], rig["player"], rig["pool"]
    for conn in pool.conns.values():
        conn._client.save_delay = 0.2
    await load_match(rig)
    rig["court"].send(b"ch1", rig["clock"].t + 12)
    await settle(review)
    assert pool.max_saving == 3  # the three saves overlapped: sent together
    (shown,) = player.opened_angles
    assert [Path(p).name.split("_")[-1] for p, _ in shown] == [
        "Replay rec 1.mkv", "Replay cam2 1.mkv", "Replay cam3 1.mkv"]
    assert all(Path(p).parent.name == "IVR recordings" for p, _ in shown)
    assert all(await asyncio.gather(*(asyncio.to_thread(Path(p).is_file) for p, _ in shown)))
    assert "_review1_blue_cam2_" in shown[1][0]
    assert player.opened[-1] == (shown[0][0], 10.0)
    current = review.review_json()
    assert [a["name"] for a in current["angles"]] == ["rec", "cam2", "cam3"]
    assert current["missing_angles"] == [] and current["error"] is None
    (clip,) = await review.clips()
    assert clip["angles"] == [{"name": n, "path": p, "offset": 0.0}
                              for n, (p, _) in zip(("rec", "cam2", "cam3"), shown, strict=True)]
    assert clip["missing_angles"] == [] and clip["path"] == shown[0][0]
    assert {f"save:{n}" for n in ("rec", "cam2", "cam3")} <= set(review.timings[1])


async def test_an_angle_away_or_failing_is_left_out_and_named(rig: dict[str, Any]) -> None:
    review, player, pool = rig["review"], rig["player"], rig["pool"]
    await load_match(rig)
    pool.set_down("cam3", True)
    pool.get("cam2")._client.fail_save = ObsError("replay buffer not active", code=501)
    rig["court"].send(b"ch2", rig["clock"].t + 12)
    await settle(review)
    clip_path, start = player.opened[-1]
    assert start == 10.0 and clip_path.endswith("Replay rec 1.mkv")
    assert player.opened_angles == []  # one angle left: a plain clip
    current = review.review_json()
    assert current["active"] and current["clip"] == clip_path
    assert [m["name"] for m in current["missing_angles"]] == ["cam2", "cam3"]
    assert "angle missing: cam2 (replay buffer not active)" in current["error"]
    assert "cam3 (OBS 'cam3' is not connected" in current["error"]
    warnings = [body(b)["error"] for b in rig["broadcasts"]
                if body(b)["event"] == "review_error"]
    assert any("angle missing" in w for w in warnings)
    (clip,) = await review.clips()
    assert [a["name"] for a in clip["angles"]] == ["rec"]
    assert [m["name"] for m in clip["missing_angles"]] == ["cam2", "cam3"]
    assert "angle missing" in clip["error"]


async def test_the_recording_obs_away_still_shows_the_angles(rig: dict[str, Any]) -> None:
    review, player, pool = rig["review"], rig["player"], rig["pool"]
    await load_match(rig)
    pool.set_down("rec", True)
    rig["court"].send(b"ch1", rig["clock"].t + 12)
    await settle(review)
    (shown,) = player.opened_angles
    assert [Path(p).name.split("_")[-1] for p, _ in shown] == [
        "Replay cam2 1.mkv", "Replay cam3 1.mkv"]
    assert [m["name"] for m in review.review_json()["missing_angles"]] == ["rec"]


async def test_every_angle_failing_fails_the_save(rig: dict[str, Any]) -> None:
    review, pool = rig["review"], rig["pool"]
    await load_match(rig)
    for name in ("rec", "cam2", "cam3"):
        pool.set_down(name, True)
    rig["court"].send(b"ch1", rig["clock"].t + 12)
    await settle(review)
    error = review.review_json()["error"]
    assert error.startswith("replay not saved: rec: OBS 'rec' is not connected")
    assert "cam3: OBS 'cam3'" in error and rig["player"].opened == []


def test_align_takes_the_angle_that_starts_last_as_the_time_line() -> None:
    saves = [AngleSave("a", "a", "/a.mkv", 100.0, 85.2),
             AngleSave("b", "b", "/b.mkv", 100.0, 85.7),
             AngleSave("c", "c", None, 100.0, error="away"),
             AngleSave("d", "d", "/d.mkv", 100.0, 85.0)]
    angles = align(saves)
    assert common_start(saves) == 85.7
    assert [round(a.offset, 3) for a in angles] == [-0.5, 0.0, 0.0, -0.7]
    assert [a.as_dict() for a in angles][2] == {"name": "c", "path": None, "offset": 0.0,
                                                "error": "away"}
    assert missing_text(angles) == "angle missing: c (away)"
    assert missing_text(angles[:2]) is None
