"""The analysis plugin with a real OBS 29 (headless), a real mpv and the station, over UDP.

A simulated match is sent to the station; the review has OBS record it (and keep its
replay buffer). Two scoring moments are tagged; the OBS picture is flashed white once
and a coach's challenge saves the replay buffer: the motion peak must find the flash
in that real OBS clip. After the match, ``restrike highlights`` cuts the match's reel
out of the recording OBS is still writing: ffprobe must see a video stream and one
chapter per title card and per moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import av
import pytest
import pytest_asyncio
from typer.testing import CliRunner

from restrike.analysis.tables import list_tags
from restrike.assembly import Assembly, assemble
from restrike.bus import Broadcast
from restrike.cli import app
from restrike.obs.headless import COLOR_SOURCE, HeadlessObs, HeadlessObsConfig, free_port
from restrike.obs.pool import ObsPool
from restrike.obs.settings import ObsConnectionSettings
from restrike.simulator import Court, MatchSetup, encode_items
from restrike.simulator._people import Person
from restrike.store import Reader
from restrike.store.component import DB_FILE
from tests.helpers import wait_until as until
from tests.peers.mpv import HEADLESS, require_mpv
from tests.peers.xvfb import xvfb_display  # noqa: F401
from tests.station.fixtures import station_settings

pytestmark = [pytest.mark.peers, pytest.mark.slow, pytest.mark.timeout(240),
              pytest.mark.asyncio(loop_scope="module")]

WHITE, BLACK = 0xFFFFFFFF, 0xFF000000
SETUP = MatchSetup(number="101", phase="Final", category="MEN -80kg",
                   blue=Person("Nicolas DESMOND", "FRA"), red=Person("Dae-hoon LEE", "KOR"),
                   blue_short="DESMOND", red_short="LEE",
                   officials=(Person("Ref ONE", "ESP"), Person("J ONE", "ITA"),
                              Person("J TWO", "USA"), Person("J THREE", "MEX")),
                   match_id="9101")


@pytest.fixture(scope="module")
def obs(xvfb_display: str, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
        ) -> Any:
    """One OBS (320x180, 30 frames/s, a keyframe a second, replay buffer on)."""
    if shutil.which("obs") is None:
        pytest.skip("OBS Studio is not installed")
    instance = HeadlessObs(HeadlessObsConfig(
        home=tmp_path_factory.mktemp("obs-analysis"), port=free_port(), width=320,
        height=180, replay_seconds=12,
        extra_profile={"SimpleOutput": {"x264Settings": "keyint=30"}}), display=xvfb_display)
    instance.start()
    yield instance
    instance.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def match(obs: HeadlessObs, tmp_path_factory: pytest.TempPathFactory
                ) -> AsyncIterator[dict[str, Any]]:
    """The station with OBS and mpv, through one match: scoring, a flash, a challenge,
    the winner. Shared by the tests below (the match is what costs)."""
    require_mpv()
    folder = tmp_path_factory.mktemp("analysis-obs")
    pool = ObsPool([ObsConnectionSettings("court1", obs.url, role="both", protocol="v5")],
                   poll_interval=0.5)
    await pool.start()
    conn = pool.get("court1")
    await conn.wait_connected(20)
    colour = {"inputName": COLOR_SOURCE, "inputSettings": {"color": BLACK}}
    await conn.control.request("SetInputSettings", colour)  # type: ignore[attr-defined]
    data = folder / "data"
    # The station's own mpv (its playback component answers the analysis's seek), and
    # a seek window no load can miss: whether the replay is moved is not timed here.
    parts = assemble(station_settings(data, **{
        "station.tournament": "Open", "review.recordings_root": str(folder / "recordings"),
        "review.clip_seconds": 12, "playback.enabled": True, "analysis.seek_within": 60}),
        obs=pool, serve_http=False, switch_interval=None, playback_driving=HEADLESS)
    told: list[Any] = []
    await parts.station.start()
    parts.station.bus.subscribe(
        Broadcast, lambda e: told.append(e.body) if e.type == "analysis" else None)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    court = Court()

    def send(items: list[Any]) -> None:
        for datagram in encode_items(items):
            sock.sendto(datagram, ("127.0.0.1", parts.station.bound["udp"]["port"]))

    try:
        moved_to: list[float] = []
        await _play(parts, conn, court, send, told, moved_to)
        yield {"parts": parts, "data": data, "folder": folder, "told": told,
               "moved_to": moved_to[0] if moved_to else None,
               "clip": parts.review.flow.last.clip if parts.review and parts.review.flow.last
               else None}
    finally:
        sock.close()
        await parts.station.stop()
        for stop in (conn.control.stop_replay_buffer, conn.control.stop_recording):
            with contextlib.suppress(Exception):  # already stopped
                await stop()
        await pool.stop()


async def _play(parts: Assembly, conn: Any, court: Court, send: Any,
                told: list[dict[str, Any]], moved_to: list[float]) -> None:
    review = parts.review
    assert review is not None
    send(court.load(SETUP))
    send(court.ready())
    await until(lambda: conn.status.recording and conn.status.replay_buffer, 30,
                "recording and replay buffer started")
    send(court.start())
    for second in range(12):
        send(court.tick())
        if second == 1:
            send(court.point(1, 3))  # blue head kick: head_kick, lead_change (blue)
        elif second == 4:
            send(court.point(2, 2))  # red body kick 3-2: no tag
        elif second == 7:
            send(court.point(2, 3))  # red head kick 3-5: head_kick, lead_change, decisive
        elif second == 9:
            await _flash(conn)
        await asyncio.sleep(1.0)
    send(court.challenge(1))
    await until(lambda: review.flow.active and review.flow.active.clip, 30, "clip saved")
    await until(lambda: [t for t in told if t["moved"] is not None], 60,
                "the clip analysed and the player's answer")
    assert parts.playback is not None
    if told[-1]["moved"]:  # where the player is right after the seek (it plays on)
        moved_to.append(await parts.playback.player.wait_position(
            told[-1]["suggested_start"] - 0.5, within=5, file=told[-1]["clip"]))
    send(court.decide(True))
    send(court.outcome(False))
    send(court.finish(2))
    await until(lambda: parts.station.health()["components"]["analysis"]["tagged"] >= 5, 20,
                "the match's tags")


async def _flash(conn: Any) -> None:
    for value in (WHITE, BLACK):
        await conn.control.request(
            "SetInputSettings", {"inputName": COLOR_SOURCE, "inputSettings": {"color": value}})
        if value == WHITE:
            await asyncio.sleep(0.3)


def _white_span(clip: str) -> tuple[float, float]:
    """First and last time a frame of ``clip`` is mostly white, from its first frame
    (each frame's own time stamp: as the analyzers count)."""
    frames: list[tuple[float, bool]] = []  # (time, mostly white)
    with av.open(clip) as container:
        for frame in container.decode(video=0):
            grey = bytes(frame.reformat(width=8, height=8, format="gray").planes[0])
            if frame.time is not None:
                frames.append((frame.time, sum(grey) / len(grey) > 128))
    white = [t for t, is_white in frames if is_white]
    assert white, f"no white frame in {clip}"
    first = frames[0][0]
    return white[0] - first, white[-1] - first


async def test_the_motion_peak_finds_the_flash_in_the_real_obs_clip(
        match: dict[str, Any]) -> None:
    asked, found = match["told"]  # at once (the player being asked), then its answer
    assert asked["moved"] is None and {**found, "moved": None} == asked
    assert found["clip"] == match["clip"]
    first, last = await asyncio.to_thread(_white_span, found["clip"])
    # The picture changes at both ends of the flash: the peak is between them.
    assert first - 0.2 <= found["impact"] <= last + 0.2, (found, first, last)
    assert found["suggested_start"] == pytest.approx(found["impact"] - 1.0, abs=1e-3)
    # The review opened the replay at its 10th second; the player was moved to the impact.
    assert found["moved"] is True, found
    assert match["moved_to"] == pytest.approx(found["suggested_start"], abs=0.5)


async def test_the_reel_of_the_match_from_the_real_recording(match: dict[str, Any]) -> None:
    with Reader(match["data"] / DB_FILE) as reader:
        tags = reader.call(lambda conn: list_tags(conn, match_number="101", limit=100))
    assert sorted(t["kind"] for t in tags) == [
        "decisive", "head_kick", "head_kick", "lead_change", "lead_change"]
    assert all(t["recording"] is not None for t in tags), tags
    reel = match["folder"] / "reel.mp4"
    done = await asyncio.to_thread(CliRunner().invoke, app, [
        "highlights", "--data-dir", str(match["data"]), "--match", "101", "--to", str(reel),
        "--before", "1", "--after", "1", "--title-seconds", "1"])
    assert done.exit_code == 0, done.output
    assert "1 matches, 2 segments" in done.stdout, done.stdout
    probe = json.loads((await asyncio.to_thread(
        subprocess.run, ["ffprobe", "-v", "error", "-show_chapters", "-show_entries",
                         "stream=codec_type,codec_name", "-of", "json", str(reel)],
        capture_output=True, check=True, timeout=60)).stdout)
    assert {"codec_type": "video", "codec_name": "h264"} in probe["streams"], probe
    titles = [c["tags"]["title"] for c in probe["chapters"]]
    # A title card, then the two tagged moments (the kick and the lead it gave, merged).
    assert len(titles) == 3 and titles[0].startswith("Match 101"), titles
    assert "head kick (blue)" in titles[1] and "head kick (red)" in titles[2], titles
