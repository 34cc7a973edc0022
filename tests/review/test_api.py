"""The review routes, in process (httpx over ASGI) against the fake-backed component."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from restrike.errors import ObsUnavailable, PlayerCommandError, PlayerUnavailable
from restrike.obs.events import OutputState, StreamStateChanged
from restrike.obs.settings import ConnectionEvent
from restrike.review.api import make_router
from restrike.review.archive import local_day
from restrike.review.chapters import validate_chapters
from restrike.store import Store
from tests.review.conftest import settle


def client(rig: dict[str, Any]) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(make_router(rig["review"]))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_replay_review_close(rig: dict[str, Any]) -> None:
    async with client(rig) as http:
        r = await http.post("/api/v1/replay", json={"seconds": 8, "requested_by": "table"})
        assert r.status_code == 200 and r.json()["active"] and r.json()["requested_by"] == "table"
        assert (await http.post("/api/v1/replay")).status_code == 409
        await settle(rig["review"])
        body = (await http.get("/api/v1/review")).json()
        assert set(body) >= {"active", "requested_by", "requested_at", "review_clock_remaining",
                             "marker_at", "quota", "clip", "decision", "error"}
        assert body["clip"] and body["quota"] == [1, 1] and body["review_clock_remaining"] == 30
        assert (await http.post("/api/v1/replay/close", json={"decision": "maybe"})
                ).status_code == 422
        r = await http.post("/api/v1/replay/close", json={"decision": "accepted"})
        assert r.status_code == 200 and r.json()["decision"] == "accepted"
        assert (await http.post("/api/v1/replay/close")).status_code == 409
        await settle(rig["review"])
        (clip,) = (await http.get("/api/v1/clips")).json()
        assert {"id", "match", "path", "requested_by", "requested_at", "decision",
                "events"} <= set(clip)
        assert (await http.post("/api/v1/replay", json={"seconds": 0})).status_code == 422


async def test_files_only_from_the_recordings_folder(rig: dict[str, Any], tmp_path: Path
                                                     ) -> None:
    inside = tmp_path / "rec" / "a.mkv"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(b"video")
    outside = tmp_path / "secret.txt"
    outside.write_text("no")
    async with client(rig) as http:
        r = await http.get("/api/v1/files", params={"path": str(inside)})
        assert r.status_code == 200 and r.content == b"video"
        assert (await http.get("/api/v1/files", params={"path": str(outside)})).status_code == 403
        sneaky = str(tmp_path / "rec" / ".." / "secret.txt")
        assert (await http.get("/api/v1/files", params={"path": sneaky})).status_code == 403
        link = tmp_path / "rec" / "link.txt"
        link.symlink_to(outside)
        assert (await http.get("/api/v1/files", params={"path": str(link)})).status_code == 403
        missing = str(tmp_path / "rec" / "none.mkv")
        assert (await http.get("/api/v1/files", params={"path": missing})).status_code == 404
        r = await http.post("/api/v1/replay/open", json={"path": str(inside), "start": 1})
        assert r.status_code == 200 and rig["player"].opened[-1] == (str(inside), 1.0)
        assert (await http.post("/api/v1/replay/open", json={"path": str(outside)})
                ).status_code == 403
        r = await http.post("/api/v1/replay/scene", json={"scene": "IVR_SCENE"})
        assert r.status_code == 200


async def test_two_concurrent_replays_one_review_and_a_409(rig: dict[str, Any]) -> None:
    """Both requests are in the queue before either is processed: the workflow decides,
    so the second is refused with the reason (it never gets the first review's JSON)."""
    async with client(rig) as http:
        first, second = await asyncio.gather(
            http.post("/api/v1/replay", json={"requested_by": "table"}),
            http.post("/api/v1/replay", json={"requested_by": "coach"}))
        assert sorted([first.status_code, second.status_code]) == [200, 409]
        ok, refused = (first, second) if first.status_code == 200 else (second, first)
        assert ok.json()["active"] and ok.json()["id"] == 1
        assert refused.json()["detail"] == "review 1 is still open: close it before a new replay"
        await settle(rig["review"])
        assert rig["review"].flow.next_id == 2  # one review was started, not two
        closes = await asyncio.gather(http.post("/api/v1/replay/close"),
                                      http.post("/api/v1/replay/close"))
        assert sorted(r.status_code for r in closes) == [200, 409]
        refused = next(r for r in closes if r.status_code == 409)
        assert refused.json()["detail"] == "no review is open"


async def test_files_serves_only_video_files(rig: dict[str, Any], tmp_path: Path) -> None:
    """A recordings_root set to the data folder still never serves the database,
    the logs or a settings file with OBS passwords."""
    root = tmp_path / "rec"
    root.mkdir()
    for name in ("station.sqlite3", "restrike.log", "restrike.toml", "clip.MKV.txt", "noext"):
        (root / name).write_text("secret")
    (root / "disguised.mkv").symlink_to(root / "station.sqlite3")
    async with client(rig) as http:
        for name in ("station.sqlite3", "restrike.log", "restrike.toml", "clip.MKV.txt",
                     "noext", "disguised.mkv"):
            r = await http.get("/api/v1/files", params={"path": str(root / name)})
            assert r.status_code == 403, name
            assert "only video files" in r.json()["detail"]
        for suffix in ("mkv", "MP4", "mov", "flv", "ts", "m4v", "webm"):
            (root / f"clip.{suffix}").write_bytes(b"video")
            r = await http.get("/api/v1/files", params={"path": str(root / f"clip.{suffix}")})
            assert r.status_code == 200 and r.content == b"video", suffix


async def test_peer_errors_map_to_503_and_bugs_are_not_hidden(rig: dict[str, Any],
                                                              tmp_path: Path) -> None:
    clip = tmp_path / "rec" / "a.mkv"
    clip.parent.mkdir(parents=True)
    clip.write_bytes(b"video")
    control = rig["pool"].get("live")._client
    async with client(rig) as http:
        rig["player"].fail = PlayerUnavailable("mpv is not running")
        r = await http.post("/api/v1/replay/open", json={"path": str(clip)})
        assert r.status_code == 503 and "mpv is not running" in r.json()["detail"]
        rig["player"].fail = PlayerCommandError("loadfile", "unsupported")
        assert (await http.post("/api/v1/replay/open", json={"path": str(clip)})
                ).status_code == 409
        control.fail_scene = ObsUnavailable("OBS is not connected")
        r = await http.post("/api/v1/replay/scene", json={"scene": "IVR_SCENE"})
        assert r.status_code == 503 and "not connected" in r.json()["detail"]
        # A coding bug is not "unavailable": it propagates to the app's 500 handler.
        rig["player"].fail = TypeError("a bug")
        with pytest.raises(TypeError, match="a bug"):
            await http.post("/api/v1/replay/open", json={"path": str(clip)})
        control.fail_scene = KeyError("bug")
        with pytest.raises(KeyError):
            await http.post("/api/v1/replay/scene", json={"scene": "IVR_SCENE"})


async def test_chapters_and_recordings(rig: dict[str, Any], store: Store) -> None:
    court, clock, pool = rig["court"], rig["clock"], rig["pool"]
    t0 = clock.t
    store.set_day(local_day(t0))  # the same day even when the run crosses midnight
    pool.publish(ConnectionEvent("live", StreamStateChanged(True, OutputState.STARTED)))
    for i, number in enumerate(("101", "102", "103")):
        at = t0 + 30 + 200 * i
        court.send(b"pre;FightLoaded", at)
        court.send(b"at1;A;ALPHA;FRA;at2;B;BRAVO;KOR", at + 0.1)
        court.send(f"mch;{number};Final;M -80kg;;a;b;c;d;{number}0;S;3;120;cntDown;1;1"
                   .encode(), at + 0.2)
    court.send(b"ch2", t0 + 300)
    await settle(rig["review"])
    await rig["review"].close_review(decision="rejected")
    clock.t = t0 + 700
    await settle(rig["review"])
    await asyncio.sleep(0.05)
    day = local_day(t0)
    async with client(rig) as http:
        r = await http.get("/api/v1/chapters", params={"day": day})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        text = r.text
        assert validate_chapters(text) == [], text
        lines = text.splitlines()
        assert lines[0] == "0:00 Before the first match" and lines[1].startswith("0:30 Match 101")
        assert any("Video review: red (rejected)" in line for line in lines)
        r = await http.get("/api/v1/chapters", params={"day": "2001-01-01"})
        assert r.status_code == 404
        assert (await http.get("/api/v1/chapters", params={"day": "x"})).status_code == 422
        recs = (await http.get("/api/v1/recordings")).json()
        assert [r["match"] for r in recs if r["output"] == "recording"] == ["103", "102", "101"]
        (replay,) = [r for r in recs if r["output"] == "replay_buffer"]
        assert replay["match"] == "101" and replay["path"].endswith("IVR recordings")
