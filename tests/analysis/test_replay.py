"""The replay moved to the impact: a station (in process) with its real mpv and the
analysis plugin; the test plays the review's part (the clip opened at the configured
offset, then its ``review`` message), as the review workflow does when OBS saved it."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from restrike.analysis.ffmpeg import Tools
from restrike.assembly import Assembly, assemble
from restrike.bus import Broadcast, PlayerSeekRequested, SettingsChanged
from restrike.playback import MpvPlayer
from restrike.playback.component import seek_refusal
from restrike.playback.player import PlayerStatus
from tests.analysis.media import burst_clip
from tests.peers.mpv import HEADLESS, require_mpv
from tests.station.fixtures import station_settings

BURST = 9.0  # the impact in the clip; the suggestion is 1 s before it
OPENED_AT = 1.0  # where the "review" opens the replay


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def station(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Assembly]:
    require_mpv()
    data = tmp_path_factory.mktemp("replay") / "data"
    parts = assemble(station_settings(data, **{"playback.enabled": True}), serve_http=False,
                     review=False, playback_driving=HEADLESS)
    await parts.station.start()
    try:
        yield parts
    finally:
        await parts.station.stop()


@pytest.fixture(scope="module")
def impact_clip(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return burst_clip(tools, tmp_path_factory.mktemp("clips") / "review1.mp4", BURST, 12)


async def _review(parts: Assembly, clip: Path, *, paused: bool = False) -> dict[str, Any]:
    """Open ``clip`` at the offset and publish its review message; the analysis told
    (its last message: the first has ``moved`` None while the player is asked)."""
    assert parts.playback is not None
    player = parts.playback.player
    assert isinstance(player, MpvPlayer)
    told: asyncio.Queue[Any] = asyncio.Queue()
    unsubscribe = parts.station.bus.subscribe(
        Broadcast, lambda e: told.put_nowait(e.body) if e.type == "analysis" else None)
    try:
        await player.open(clip, OPENED_AT, paused=paused)
        if not paused:
            await player.wait_position(OPENED_AT, file=str(clip))
        parts.station.bus.publish(Broadcast("review", {
            "active": True, "id": 1, "clip": str(clip), "start": OPENED_AT}))
        first = await asyncio.wait_for(told.get(), 30)  # at once: the banner
        if first["moved"] is not None:  # nothing asked of the player
            return dict(first)
        final = await asyncio.wait_for(told.get(), 30)  # the player's answer
        assert {**final, "moved": None} == first, (first, final)
        return dict(final)
    finally:
        unsubscribe()


@pytest.mark.peers
@pytest.mark.asyncio(loop_scope="module")
async def test_the_replay_jumps_to_the_impact_while_it_is_starting(
        station: Assembly, impact_clip: Path) -> None:
    told = await _review(station, impact_clip)
    assert abs(told["impact"] - BURST) <= 0.2, told
    assert told["suggested_start"] == pytest.approx(told["impact"] - 1.0)
    assert told["moved"] is True, told
    assert station.playback is not None
    player = station.playback.player
    # Played from 1 s, it reaches the suggestion (~8 s) within 3 s only by the seek.
    position = await player.wait_position(told["suggested_start"] - 0.1, within=3,
                                          file=str(impact_clip))
    assert position < BURST + 1, player.status()
    health = station.station.health()["components"]["analysis"]
    assert health["replays_moved"] == 1 and health["clips_analysed"] == 1


@pytest.mark.peers
@pytest.mark.asyncio(loop_scope="module")
async def test_a_paused_replay_is_left_where_the_referee_put_it(
        station: Assembly, impact_clip: Path, tmp_path: Path) -> None:
    clip = tmp_path / "review2.mp4"  # another clip: each clip is analysed once
    shutil.copyfile(impact_clip, clip)
    told = await _review(station, clip, paused=True)
    assert told["moved"] is False and abs(told["impact"] - BURST) <= 0.2, told
    assert station.playback is not None
    status = station.playback.player.status()
    assert status.paused and abs((status.position or 0) - OPENED_AT) < 0.5, status


@pytest.mark.peers
@pytest.mark.asyncio(loop_scope="module")
async def test_turned_off_live_the_impact_is_only_offered(
        station: Assembly, impact_clip: Path, tmp_path: Path) -> None:
    clip = tmp_path / "review3.mp4"
    shutil.copyfile(impact_clip, clip)
    station.station.bus.publish(SettingsChanged({"analysis.seek_to_impact": False}))
    try:
        told = await _review(station, clip)
    finally:
        station.station.bus.publish(SettingsChanged({"analysis.seek_to_impact": True}))
    assert told["moved"] is False and told["suggested_start"] is not None, told
    assert station.playback is not None
    assert (station.playback.player.status().position or 0) < told["suggested_start"] - 1


def test_when_the_player_may_move() -> None:
    request = PlayerSeekRequested("/clips/a.mp4", 8.0, opened_at=10.0, within=4.0)
    playing = PlayerStatus(file="/clips/a.mp4", playing=True, position=11.0, alive=True)
    assert seek_refusal(playing, request) is None
    for status, why in [
        (PlayerStatus(), "no clip is shown"),
        (PlayerStatus(file="/clips/b.mp4", position=11.0, alive=True), "not that clip"),
        (PlayerStatus(file="/clips/a.mp4", paused=True, position=11.0, alive=True), "paused"),
        (PlayerStatus(file="/clips/a.mp4", alive=True), "still opening"),
        (PlayerStatus(file="/clips/a.mp4", position=9.0, alive=True), "moved back"),
        (PlayerStatus(file="/clips/a.mp4", position=14.5, alive=True), "played 4.5 s"),
    ]:
        assert why in (seek_refusal(status, request) or ""), status
