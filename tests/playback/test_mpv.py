"""MpvPlayer against a real mpv (``--vo=null``): every control, restart, close events."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from restrike.errors import PlayerError
from restrike.playback import (
    MpvPlayer,
    PlaybackClosed,
    PlayerCommandError,
    PlayerDied,
    PlayerEvent,
    PlayerRestarted,
    PlayerStatus,
    PlayerUnavailable,
    StatusChanged,
)
from restrike.playback.player import Player

pytestmark = pytest.mark.peers


async def until(
    player: MpvPlayer, check: Callable[[PlayerStatus], bool], within: float = 3.0
) -> PlayerStatus:
    """Poll the observed status until ``check`` holds (property events are asynchronous)."""
    deadline = time.monotonic() + within
    while True:
        status = player.status()
        if check(status):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"status never matched: {status}")
        await asyncio.sleep(0.01)


async def opened(player: MpvPlayer, clip: Path, start: float = 10.0) -> PlayerStatus:
    await player.open(clip, start)
    await player.wait_position(start)
    return player.status()


def test_mpv_player_satisfies_the_player_protocol() -> None:
    assert isinstance(MpvPlayer(), Player)


async def test_starts_idle(mpv_player: MpvPlayer) -> None:
    status = mpv_player.status()
    assert status.alive and status.file is None and not status.playing
    assert mpv_player.version.startswith("mpv ")


async def test_open_at_10s_reports_position_at_least_10(mpv_player: MpvPlayer, clip: Path) -> None:
    await mpv_player.open(clip, start=10)
    position = await mpv_player.wait_position(10, within=5)
    status = mpv_player.status()
    assert 10.0 <= position < 12.0
    assert status.file == str(clip) and status.playing
    await until(mpv_player, lambda s: s.duration == pytest.approx(20, abs=0.1))


async def test_reopening_the_same_clip_waits_for_the_new_load(
    mpv_player: MpvPlayer, clip: Path
) -> None:
    await opened(mpv_player, clip, 10)
    await mpv_player.open(clip, start=15)
    assert await mpv_player.wait_position(15) >= 15


async def test_default_start_is_the_setting(mpv_player: MpvPlayer, clip: Path) -> None:
    await mpv_player.open(clip)
    assert await mpv_player.wait_position(mpv_player.settings.start_offset) >= 10


async def test_pause_play_toggle(mpv_player: MpvPlayer, clip: Path) -> None:
    await opened(mpv_player, clip)
    await mpv_player.pause()
    paused = await until(mpv_player, lambda s: s.paused and not s.playing)
    await asyncio.sleep(0.2)
    assert mpv_player.status().position == paused.position
    await mpv_player.play()
    await until(mpv_player, lambda s: s.playing)
    await mpv_player.toggle()
    await until(mpv_player, lambda s: s.paused)


async def test_speed_presets_and_limits(mpv_player: MpvPlayer, clip: Path) -> None:
    await opened(mpv_player, clip)
    for speed in (0.25, 0.5, 2.0, 1.0):
        await mpv_player.set_speed(speed)
        await until(mpv_player, lambda s, v=speed: s.speed == v)  # type: ignore[misc]
    for bad in (0.0, 5.0, float("nan")):
        with pytest.raises(PlayerError, match="speed"):
            await mpv_player.set_speed(bad)


async def test_seek_relative_and_absolute(mpv_player: MpvPlayer, clip: Path) -> None:
    await opened(mpv_player, clip)
    await mpv_player.pause()
    await until(mpv_player, lambda s: s.paused)
    start = mpv_player.status().position or 0.0
    await mpv_player.seek(5)
    await until(mpv_player, lambda s: s.position == pytest.approx(start + 5, abs=0.05))
    await mpv_player.seek(-1)
    await until(mpv_player, lambda s: s.position == pytest.approx(start + 4, abs=0.05))
    await mpv_player.seek(3.5, "absolute")
    await until(mpv_player, lambda s: s.position == pytest.approx(3.5, abs=0.05))
    with pytest.raises(PlayerError, match="mode"):
        await mpv_player.seek(1, "sideways")  # type: ignore[arg-type]


async def test_frame_steps_move_by_one_frame(mpv_player: MpvPlayer, clip: Path) -> None:
    await opened(mpv_player, clip)
    await mpv_player.pause()
    await mpv_player.seek(12, "absolute")
    await until(mpv_player, lambda s: s.paused and s.position == pytest.approx(12, abs=0.01))
    await mpv_player.frame_step()
    await until(mpv_player, lambda s: s.position == pytest.approx(12.04, abs=0.005))
    await mpv_player.frame_back_step()
    await until(mpv_player, lambda s: s.position == pytest.approx(12.0, abs=0.005))
    await mpv_player.frame_back_step()  # a step sent mid-seek would merge with the previous one
    await until(mpv_player, lambda s: s.position == pytest.approx(11.96, abs=0.005))
    assert mpv_player.status().paused


async def test_ab_loop_keeps_playback_inside(mpv_player: MpvPlayer, clip: Path) -> None:
    await opened(mpv_player, clip, 10)
    await mpv_player.set_loop_a(10.0)
    await mpv_player.set_loop_b(10.6)
    await until(mpv_player, lambda s: (s.loop_a, s.loop_b) == (10.0, 10.6))
    await mpv_player.set_speed(2.0)
    positions = []
    for _ in range(25):  # 1.2 s at double speed = four passes through the 0.6 s loop
        await asyncio.sleep(0.05)
        positions.append(mpv_player.status().position or 0.0)
    assert max(positions) < 10.8 and min(positions) >= 9.9
    await mpv_player.clear_loop()
    await until(mpv_player, lambda s: s.loop_a is None and s.loop_b is None)
    await until(mpv_player, lambda s: (s.position or 0) > 11)


async def test_loop_point_defaults_to_the_current_position(
    mpv_player: MpvPlayer, clip: Path
) -> None:
    await opened(mpv_player, clip)
    await mpv_player.pause()
    await mpv_player.seek(14, "absolute")
    await until(mpv_player, lambda s: s.position == pytest.approx(14, abs=0.01))
    await mpv_player.set_loop_a()
    await until(mpv_player, lambda s: s.loop_a == pytest.approx(14, abs=0.01))


async def test_fullscreen_flag(mpv_player: MpvPlayer, clip: Path) -> None:
    await opened(mpv_player, clip)
    await mpv_player.set_fullscreen(True, screen=0)
    await until(mpv_player, lambda s: s.fullscreen)
    await mpv_player.set_fullscreen(False)
    await until(mpv_player, lambda s: not s.fullscreen)


async def test_stop_goes_idle_and_reports_requested_close(
    mpv_player: MpvPlayer, clip: Path
) -> None:
    events: list[PlayerEvent] = []
    mpv_player.subscribe(events.append)
    await opened(mpv_player, clip)
    await mpv_player.open(clip, 12)  # replacing a clip is not a close
    await mpv_player.wait_position(12)
    await mpv_player.stop()
    await until(mpv_player, lambda s: s.file is None and s.alive and s.position is None)
    closes = [e for e in events if isinstance(e, PlaybackClosed)]
    assert closes == [PlaybackClosed(str(clip), "requested")]
    assert any(isinstance(e, StatusChanged) and e.status.playing for e in events)
    with pytest.raises(PlayerCommandError, match="no file is open"):
        await mpv_player.seek(1)


async def test_user_quitting_mpv_is_a_close_and_mpv_comes_back(
    mpv_player: MpvPlayer, clip: Path
) -> None:
    events: list[PlayerEvent] = []
    unsubscribe = mpv_player.subscribe(events.append)
    await opened(mpv_player, clip)
    client = mpv_player._mpv.client if mpv_player._mpv else None
    assert client is not None
    await client.command("quit")  # what closing the window or pressing q does
    await until(mpv_player, lambda s: s.alive and mpv_player.restarts == 1, within=5)
    unsubscribe()
    closes = [e for e in events if isinstance(e, PlaybackClosed)]
    assert closes and closes[0] == PlaybackClosed(str(clip), "quit")
    assert len(closes) == 1


async def test_killed_mpv_is_restarted_and_usable(mpv_player: MpvPlayer, clip: Path) -> None:
    events: list[PlayerEvent] = []
    mpv_player.subscribe(events.append)
    await opened(mpv_player, clip)
    old_pid = mpv_player.pid
    assert old_pid is not None
    waiting = asyncio.create_task(mpv_player.wait_position(19.5, within=10))
    await asyncio.sleep(0.05)
    os.kill(old_pid, signal.SIGKILL)
    with pytest.raises(PlayerUnavailable, match="exited"):
        await waiting
    await until(mpv_player, lambda s: s.alive, within=5)
    assert mpv_player.pid != old_pid and mpv_player.restarts == 1
    kinds = [type(e) for e in events if not isinstance(e, StatusChanged)]
    assert kinds == [PlayerDied, PlaybackClosed, PlayerRestarted]
    died = next(e for e in events if isinstance(e, PlayerDied))
    assert died.returncode == -signal.SIGKILL
    assert PlaybackClosed(str(clip), "crashed") in events
    assert any(isinstance(e, StatusChanged) and not e.status.alive for e in events)
    reopened = await until(mpv_player, lambda s: s.file == str(clip) and s.position is not None)
    assert reopened.position is not None and reopened.position >= 10  # back where it was
    assert (await opened(mpv_player, clip)).position is not None


async def test_commands_while_dead_are_unavailable(mpv_player: MpvPlayer) -> None:
    mpv_player.settings = dataclasses.replace(mpv_player.settings, restart=False)
    pid = mpv_player.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    await until(mpv_player, lambda s: not s.alive)
    with pytest.raises(PlayerUnavailable, match="not running"):
        await mpv_player.play()


async def test_missing_file_and_bad_start(mpv_player: MpvPlayer, tmp_path: Path) -> None:
    with pytest.raises(PlayerError, match="no such file"):
        await mpv_player.open(tmp_path / "gone.mp4")
    with pytest.raises(PlayerError, match="start"):
        await mpv_player.open(tmp_path / "gone.mp4", start=-1)


async def test_unplayable_file_fails_the_wait(mpv_player: MpvPlayer, tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video" * 100)
    events: list[PlayerEvent] = []
    mpv_player.subscribe(events.append)
    await mpv_player.open(junk)
    with pytest.raises(PlayerCommandError, match="cannot play"):
        await mpv_player.wait_position(10, within=5)


async def test_unsubscribe_stops_events(mpv_player: MpvPlayer, clip: Path) -> None:
    events: list[PlayerEvent] = []
    unsubscribe = mpv_player.subscribe(events.append)
    unsubscribe()
    unsubscribe()
    await opened(mpv_player, clip)
    assert events == []


async def test_close_is_clean_and_idempotent(mpv_settings: object, clip: Path) -> None:
    async with MpvPlayer(mpv_settings) as player:  # type: ignore[arg-type]
        await opened(player, clip)
        pid = player.pid
    assert not player.status().alive and player.pid is None
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    await player.aclose()
    with pytest.raises(PlayerUnavailable, match="not started"):
        await player.play()


async def test_stopping_fails_a_pending_wait(mpv_player: MpvPlayer, clip: Path) -> None:
    await opened(mpv_player, clip)
    waiting = asyncio.create_task(mpv_player.wait_position(19.9, within=10))
    await asyncio.sleep(0.05)
    await mpv_player.stop()
    with pytest.raises(PlayerCommandError, match="the clip ended"):
        await waiting


async def test_a_crashed_supervisor_is_reported_and_started_again(
    mpv_player: MpvPlayer, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in the supervisor must not leave mpv dead and unsupervised in silence."""
    events: list[PlayerEvent] = []
    mpv_player.subscribe(events.append)
    relaunch = mpv_player._relaunch
    calls = 0

    async def failing_once(backoff: float) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("injected supervisor bug")
        await relaunch(backoff)

    mpv_player._relaunch = failing_once  # type: ignore[method-assign]
    pid = mpv_player.pid
    assert pid is not None
    with caplog.at_level("ERROR", logger="restrike.playback.mpv"):
        os.kill(pid, signal.SIGKILL)
        await until(mpv_player, lambda s: s.error is not None, within=5)
    down = [e.status for e in events if isinstance(e, StatusChanged) and e.status.error]
    assert down and not down[0].alive
    assert down[0].error == "mpv supervisor failed: RuntimeError('injected supervisor bug')"
    (record,) = [r for r in caplog.records if "supervisor failed" in r.getMessage()]
    assert record.exc_info is not None and "injected" in str(record.exc_info[1])
    # Restarted with backoff: mpv is launched again and supervised as before.
    status = await until(mpv_player, lambda s: s.alive and s.error is None, within=10)
    assert status.error is None and mpv_player.restarts == 1 and calls == 2
    second = mpv_player.pid
    assert second is not None and second != pid
    os.kill(second, signal.SIGKILL)
    await until(mpv_player, lambda s: s.alive and mpv_player.restarts == 2, within=10)
