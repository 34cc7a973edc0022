"""The Review component with an in-memory OBS pool and player, a real store and archive."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from restrike.errors import ObsUnavailable, PlayerError
from restrike.obs.events import OutputState, StreamStateChanged
from restrike.obs.settings import ConnectionEvent
from restrike.review.archive import local_day
from tests.review.conftest import MATCH, load_match, settle


def calls(rig: dict[str, Any], name: str) -> list[tuple[Any, ...]]:
    return [c for c in rig["pool"].get(name)._client.calls]


async def test_match_loaded_prepares_the_recording(rig: dict[str, Any], tmp_path: Path) -> None:
    await load_match(rig)
    rec = calls(rig, "rec")
    day = local_day(rig["clock"].t)
    folder = tmp_path / "rec" / "Open" / day
    assert ("set_record_folder", str(folder)) in rec
    assert ("set_filename_pattern", "101_N. DESMOND_FRA_vs_LEE Dae_KOR_%hh-%mm-%ss") in rec
    assert ("set_replay_buffer_seconds", 20) in rec
    assert ("start_replay_buffer",) in rec
    assert (folder / "IVR recordings").is_dir()
    await settle(rig["review"])
    sessions = await rig["review"].recordings()
    (session,) = [s for s in sessions if s["output"] == "recording"]
    assert session["match"] == "101" and session["path"].startswith(str(folder))
    # the same match again (a resent mch) changes nothing
    rig["court"].send(MATCH[2])
    await settle(rig["review"])
    assert len(calls(rig, "rec")) == len(rec)


async def test_challenge_end_to_end(rig: dict[str, Any]) -> None:
    court, clock, review, player = rig["court"], rig["clock"], rig["review"], rig["player"]
    await load_match(rig)
    t0 = clock.t
    court.send(b"pt1;3", t0 + 5)
    court.send(b"sc1;3;sc2;0", t0 + 5.1)
    court.send(b"ch1", t0 + 12)
    await settle(review)
    clip, start = player.opened[-1]
    assert start == 10.0 and clip.endswith("Replay rec 1.mkv")
    assert Path(clip).parent.name == "IVR recordings" and "_review1_blue_" in clip
    assert ("switch_scene", "IVR_SCENE") in calls(rig, "live")
    current = review.review_json(now=t0 + 20)
    assert current["active"] and current["requested_by"] == "blue"
    assert current["review_clock_remaining"] == 22.0 and current["marker_at"] == t0 + 7
    assert current["quota"] == [0, 1] and current["clip"] == clip
    assert current["marker_in_clip"] == 7.0  # the buffer started with the match at t0
    events = [b.body["event"] for b in rig["broadcasts"]]
    assert events[:2] == ["review_started", "review_updated"]
    vendor = [c for c in calls(rig, "live") if c[0] == "request"]
    assert vendor and vendor[0][1] == "CallVendorRequest"
    assert vendor[0][2]["requestData"]["event_name"] == "restrike-review"

    court.send(b"ch1;1", t0 + 20)
    await settle(review)
    assert calls(rig, "live")[-1] == ("switch_scene", "LIVE_SCENE")
    assert player.stopped == 1 and rig["broadcasts"][-1].body["event"] == "review_closed"
    court.send(b"ch1;1;1", t0 + 21)
    await settle(review)
    assert review.review_json()["quota"] == [1, 1]  # won: kept
    await asyncio.sleep(0.05)  # the store commits the events
    (row,) = await review.clips()
    assert row["decision"] == "won" and row["decision_ms"] == 8000
    assert row["requested_by"] == "blue" and row["match"] == "101" and row["path"] == clip
    linked = {round(e["in_clip"], 1) for e in row["events"]}
    # the clip ends when the save was sent (t0+12) and lasts 20 s at most (buffer age)
    assert row["clip_start"] is not None
    assert round(t0 + 5 - row["clip_start"], 1) in linked
    assert all(e["in_recording"] is not None for e in row["events"])


async def test_obs_unavailable_still_records_the_challenge(rig: dict[str, Any]) -> None:
    await load_match(rig)
    rig["pool"].set_down("rec", True)
    rig["court"].send(b"ch2", rig["clock"].t + 3)
    await settle(rig["review"])
    current = rig["review"].review_json()
    assert current["active"] and "not connected" in current["error"]
    (row,) = await rig["review"].clips()
    assert row["requested_by"] == "red" and "replay not saved" in row["error"]
    assert rig["player"].opened == []
    rig["court"].send(b"ch2;0", rig["clock"].t + 5)
    await settle(rig["review"])
    (row,) = await rig["review"].clips()
    assert row["decision"] == "rejected"


async def test_save_error_and_player_error(rig: dict[str, Any]) -> None:
    await load_match(rig)
    rig["pool"].get("rec")._client.fail_save = ObsUnavailable("no ReplayBufferSaved in 15 s")
    await rig["review"].request_replay()
    await settle(rig["review"])
    assert "ReplayBufferSaved" in rig["review"].review_json()["error"]
    await rig["review"].close_review()
    rig["pool"].get("rec")._client.fail_save = None
    rig["player"].fail = PlayerError("mpv is not running")
    await rig["review"].request_replay(seconds=5)
    await settle(rig["review"])
    assert "mpv is not running" in rig["review"].review_json()["error"]


async def test_manual_replay_close_and_conflicts(rig: dict[str, Any]) -> None:
    review, player = rig["review"], rig["player"]
    out = await review.request_replay(requested_by="operator", seconds=6)
    assert out["active"] and out["requested_by"] == "operator"
    try:
        await review.request_replay()
    except Exception as err:
        assert "still open" in str(err)
    else:
        raise AssertionError("a second replay must be refused")
    await settle(review)
    assert player.opened[-1][1] == 14.0
    player.close_by_user()  # the operator closed the clip in mpv
    await settle(review)
    current = review.review_json()
    assert not current["active"] and current["decision"] == "closed"
    try:
        await review.close_review()
    except Exception as err:
        assert "no review" in str(err)


async def test_player_restart_reopens_the_clip(rig: dict[str, Any]) -> None:
    review, player = rig["review"], rig["player"]
    await review.request_replay()
    await settle(review)
    player.restart()
    await settle(review)
    assert len(player.opened) == 2 and player.opened[0] == player.opened[1]
    assert review.review_json()["active"]


async def test_stream_offsets_across_an_interruption(rig: dict[str, Any]) -> None:
    review, pool, clock, court = rig["review"], rig["pool"], rig["clock"], rig["court"]
    t0 = clock.t

    def stream(state: OutputState, at: float) -> None:
        clock.t = at
        pool.publish(ConnectionEvent("live", StreamStateChanged(
            state in (OutputState.STARTED, OutputState.RECONNECTED), state)))

    stream(OutputState.STARTED, t0)
    await load_match(rig)
    stream(OutputState.RECONNECTING, t0 + 30)
    stream(OutputState.RECONNECTED, t0 + 40)
    court.send(b"pt2;1", t0 + 45)
    court.send(b"ch1", t0 + 50)
    await settle(review)
    await review.close_review(decision="rejected")
    await settle(review)
    await asyncio.sleep(0.05)
    (row,) = await review.clips()
    event = next(e for e in row["events"] if abs(e["received_at"] - (t0 + 45)) < 1e-6)
    assert abs(event["in_stream"] - 35.0) < 1e-6  # 30 s before the gap + 5 s after
    stream(OutputState.STOPPED, t0 + 100)
    await settle(review)
    (session,) = review.writer.archive.streams()
    assert len(session["segments"]) == 2 and session["ended_at"] == t0 + 100


async def test_next_match_restarts_the_recording_not_the_replay_buffer(
        rig: dict[str, Any]) -> None:
    await load_match(rig)
    court = rig["court"]
    court.send(b"pre;FightLoaded")
    court.send(b"at1;A;ANNA;USA;at2;B;BEA;MEX")
    court.send(b"mch;102;Final;W -57kg;;a;b;c;d;9002;Senior;3;120;cntDown;1;1")
    await settle(rig["review"])
    rec = calls(rig, "rec")
    assert [c[0] for c in rec].count("start_replay_buffer") == 1
    assert ("stop_recording",) in rec
    starts = [c for c in rec if c[0] == "start_recording"]
    assert len(starts) == 2 and "102_ANNA_USA_vs_BEA_MEX" in starts[1][1]
    await settle(rig["review"])
    recordings = [r for r in await rig["review"].recordings() if r["output"] == "recording"]
    assert [r["match"] for r in recordings] == ["102", "101"]
    assert recordings[1]["ended_at"] is not None


async def test_hotkey_starts_and_closes(rig: dict[str, Any]) -> None:
    review = rig["review"]
    review.hotkey_pressed()
    await settle(review)
    assert review.review_json()["requested_by"] == "hotkey" and review.flow.active
    review.hotkey_pressed()
    await settle(review)
    current = review.review_json()
    assert not current["active"] and current["decided_by"] == "hotkey"
