"""End to end with real peers: OBS 29 (headless), nginx-rtmp, mpv, the station, UDP.

A simulated match is sent over UDP to the real station; the Review drives real OBS
(recording + replay buffer + streaming to nginx-rtmp, scenes) and a real mpv
(``--vo=null``). The stream is interrupted for real (nginx stopped and started) while
the match runs, and mpv is killed in the middle of the review.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from restrike.assembly import assemble
from restrike.obs.pool import ObsPool
from restrike.obs.settings import ObsConnectionSettings
from restrike.playback import MpvPlayer
from restrike.review.archive import local_day
from restrike.review.chapters import validate_chapters
from restrike.simulator import Court, MatchSetup, encode_items
from restrike.simulator._people import Person
from tests.helpers import wait_until as until
from tests.peers.mpv import headless_settings, require_mpv
from tests.peers.nginx import NginxRtmp, nginx_rtmp  # noqa: F401
from tests.peers.obs import StartObs, start_obs  # noqa: F401
from tests.peers.xvfb import xvfb_display  # noqa: F401
from tests.station.fixtures import station_settings

pytestmark = [pytest.mark.peers, pytest.mark.slow, pytest.mark.timeout(240)]

PASSWORD = "review-test"
SETUP = MatchSetup(number="101", phase="Final", category="MEN -80kg",
                   blue=Person("Nicolas DESMOND", "FRA"), red=Person("Dae-hoon LEE", "KOR"),
                   blue_short="DESMOND", red_short="LEE",
                   officials=(Person("Ref ONE", "ESP"), Person("J ONE", "ITA"),
                              Person("J TWO", "USA"), Person("J THREE", "MEX")),
                   match_id="9001")


class Sender:
    """The court's scoring software: datagrams to the station, like tkStrike sends them."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.port = port
        self.court = Court()

    def send(self, items: list[Any]) -> None:
        for data in encode_items(items):
            self.sock.sendto(data, ("127.0.0.1", self.port))

    def raw(self, code: str, *values: Any) -> None:
        self.send([self.court.m(code, *values)])


@pytest.fixture
async def world(tmp_path: Path, start_obs: StartObs, nginx_rtmp: NginxRtmp  # noqa: F811
                ) -> AsyncIterator[dict[str, Any]]:
    require_mpv()
    obs = await asyncio.to_thread(
        start_obs, password=PASSWORD, replay_seconds=20,
        extra_profile={"Output": {"RetryDelay": "1", "MaxRetries": "30"}})
    pool = ObsPool([ObsConnectionSettings("court1", obs.url, PASSWORD, role="both")],
                   poll_interval=0.5)
    await pool.start()
    conn = pool.get("court1")
    await conn.wait_connected(20)
    control = conn.control
    for scene in ("IVR_SCENE", "LIVE_SCENE"):
        await control.create_scene(scene)
    await control.switch_scene("LIVE_SCENE")
    await control.set_stream_server(nginx_rtmp.server, "court1")
    player = MpvPlayer(headless_settings())
    await player.start()
    settings = station_settings(tmp_path / "data", **{
        "station.tournament": "Open", "review.recordings_root": str(tmp_path / "recordings")})
    parts = assemble(settings, obs=pool, player=player, switch_interval=None)
    station, review = parts.station, parts.review
    assert review is not None
    await station.start()
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{station.bound['http']['port']}")
    sender = Sender(station.bound["udp"]["port"])
    try:
        yield {"obs": obs, "pool": pool, "conn": conn, "player": player, "review": review,
               "station": station, "nginx": nginx_rtmp, "root": tmp_path / "recordings",
               "http": http, "sender": sender}
    finally:
        sender.sock.close()
        await http.aclose()
        await station.stop()
        await player.aclose()
        for stop in (control.stop_streaming, control.stop_replay_buffer, control.stop_recording):
            with contextlib.suppress(Exception):  # already stopped, or OBS gone
                await stop()
        await pool.stop()


async def test_challenge_end_to_end(world: dict[str, Any]) -> None:
    conn, player, review = world["conn"], world["player"], world["review"]
    control = conn.control
    http, sender = world["http"], world["sender"]
    court = sender.court

    # The stream runs before the first match (an intro chapter of >= 10 s).
    await control.start_streaming()
    await until(lambda: review.timeline.live, 15, "stream started")
    await asyncio.sleep(10.5)

    # Match loaded: the recording is named from it, replay buffer on.
    sender.send(court.load(SETUP))
    sender.send(court.ready())
    await until(lambda: conn.status.recording and conn.status.replay_buffer, 20,
                "recording and replay buffer started")
    record_path = Path(await until(lambda: conn.status.record_path, 10, "record path"))
    day = local_day(review.clock())
    assert record_path.parent == world["root"] / "Open" / day
    assert record_path.name.startswith("101_Nicolas DESMOND_FRA_vs_Dae-hoon LEE_KOR_")
    assert (record_path.parent / "IVR recordings").is_dir()

    sender.send(court.start())
    # Points and ticks for ~20 s; a real RTMP interruption in the middle.
    for second in range(20):
        sender.send(court.tick())
        if second in (3, 9):
            sender.send(court.point(1 if second == 3 else 2, 2))
        if second == 5:
            await asyncio.to_thread(world["nginx"].stop)
            await until(lambda: not review.timeline.live, 15, "interruption seen")
        if second == 8:
            await asyncio.to_thread(world["nginx"].start)
        await asyncio.sleep(1.0)
    await until(lambda: review.timeline.live, 30, "stream reconnected")
    segs = review.timeline.segments
    gaps = [(a.ended_at, b.started_at) for a, b in itertools.pairwise(segs)
            if a.ended_at is not None]
    assert len(gaps) == 1 and gaps[0][1] - gaps[0][0] > 1.0
    (gap_start, gap_end) = gaps[0]

    # Challenge by blue: clip saved, played from its 10th second, IVR scene on the stream.
    sender.send(court.challenge(1))
    await until(lambda: review.flow.active and review.flow.active.clip, 20, "clip saved")
    clip = review.flow.active.clip
    assert await asyncio.to_thread(Path(clip).is_file)
    assert Path(clip).parent == record_path.parent / "IVR recordings"
    assert Path(clip).name.startswith(record_path.name[:30])
    position = await player.wait_position(10.0, within=10, file=clip)
    assert position >= 10.0
    assert player.status().file == clip
    await until(lambda: conn.status.scene == "IVR_SCENE", 10, "IVR scene")
    body = (await http.get("/api/v1/review")).json()
    assert body["active"] and body["requested_by"] == "blue" and body["quota"] == [0, 1]
    assert 0 < body["review_clock_remaining"] <= 30

    # mpv killed mid-review: restarted, the clip shown again, the review still open.
    os.kill(player.pid, signal.SIGKILL)
    await until(lambda: player.restarts >= 1 and player.status().file == clip, 20,
                "mpv restarted with the clip")
    assert review.flow.active is not None

    # Resolution: accepted, then won.
    sender.send(court.decide(True))
    await until(lambda: review.flow.active is None, 10, "review closed")
    sender.send(court.outcome(True))
    await until(lambda: conn.status.scene == "LIVE_SCENE", 10, "live scene back")
    await until(lambda: conn.status.replay_buffer, 10, "replay buffer running")

    async def clip_row() -> Any:
        rows = (await http.get("/api/v1/clips")).json()
        return rows[0] if rows and rows[0]["decision"] == "won" and rows[0]["events"] else None

    row = await until(clip_row, 10, "clip row decided")
    assert row["path"] == clip and row["match"] == "101" and row["requested_by"] == "blue"
    assert row["decision_ms"] > 0
    events = row["events"]
    assert all(0 <= e["in_clip"] <= 20.5 for e in events)
    recs = (await http.get("/api/v1/recordings")).json()
    rec = next(r for r in recs if r["match"] == "101" and r["output"] == "recording")
    replay = next(r for r in recs if r["output"] == "replay_buffer")
    assert replay["path"] == str(record_path.parent / "IVR recordings")
    assert rec["path"] == str(record_path)
    # Offsets: in the recording from its start, in the stream across the interruption.
    stream_start = review.timeline.segments[0].started_at
    for e in events:
        assert abs(e["in_recording"] - (e["received_at"] - rec["started_at"])) < 1e-6
        at = e["received_at"]
        expected = at - stream_start
        if at >= gap_end:
            expected -= gap_end - gap_start
        elif at > gap_start:  # sent while the stream was down: where the stream resumed
            expected = gap_start - stream_start
        assert abs(e["in_stream"] - expected) < 0.01
    assert any(e["received_at"] >= gap_end for e in events)
    assert any(e["received_at"] <= gap_start for e in events)

    # Chapters: intro, the match, the review; the review chapter must last 10 s.
    requested = review.flow.last.requested_at if review.flow.last else 0.0
    offset = review.timeline.offset_at(requested) or 0.0
    await until(lambda: review.timeline.total(review.clock()) > offset + 11, 20,
                "ten seconds of stream after the review")
    r = await http.get("/api/v1/chapters", params={"day": day})
    assert r.status_code == 200, r.text
    assert validate_chapters(r.text) == [], r.text
    lines = r.text.splitlines()
    assert lines[0].startswith("0:00 ") and any("Match 101" in line for line in lines)
    assert any("Video review: blue (won)" in line for line in lines)
