"""The v5 client against real OBS 29 (obs-websocket 5.1) started headless by fixtures."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import pytest

from restrike.errors import ObsAuthError, ObsError
from restrike.obs import (
    REPLAY_BUFFER_HELP,
    ConnectionState,
    CurrentProgramSceneChanged,
    ObsClient,
    ObsConnectionSettings,
    ObsControl,
    ObsEvent,
    ObsPool,
)
from restrike.obs.headless import HeadlessObs
from tests.peers.obs import OBS_PASSWORD, StartObs

pytestmark = pytest.mark.peers


async def test_connect_with_password(obs_with_password: HeadlessObs) -> None:
    async with ObsClient(obs_with_password.url, OBS_PASSWORD) as obs:
        assert isinstance(obs, ObsControl)
        assert obs.state is ConnectionState.CONNECTED
        version = await obs.get_version()
        assert version.obs_version.startswith("29.")
        assert version.websocket_version.startswith("5.")
        assert "Scene" in await obs.list_scenes()
    final_state: ConnectionState = obs.state
    assert final_state is ConnectionState.CLOSED


async def test_connect_without_password(obs_open: HeadlessObs) -> None:
    async with ObsClient(obs_open.url) as obs:
        assert obs.version is not None and obs.version.rpc_version == 1


async def test_wrong_password_is_a_clear_error(obs_with_password: HeadlessObs) -> None:
    with pytest.raises(ObsAuthError, match="refused the password") as err:
        await ObsClient(obs_with_password.url, "not-the-password").connect()
    assert err.value.code == 4009
    with pytest.raises(ObsAuthError, match="requires a password"):
        await ObsClient(obs_with_password.url).connect()


async def test_scene_switch_is_confirmed_by_event(obs_with_password: HeadlessObs) -> None:
    scene = f"Replay {uuid.uuid4().hex[:6]}"
    async with ObsClient(obs_with_password.url, OBS_PASSWORD) as obs:
        assert await obs.create_scene(scene) is True
        assert await obs.create_scene(scene) is False
        changed: asyncio.Queue[ObsEvent] = asyncio.Queue()
        unsubscribe = obs.subscribe(changed.put_nowait)
        await obs.switch_scene(scene)
        event = await asyncio.wait_for(changed.get(), 5)
        while not isinstance(event, CurrentProgramSceneChanged):
            event = await asyncio.wait_for(changed.get(), 5)
        assert event == CurrentProgramSceneChanged(scene)
        assert await obs.current_scene() == scene
        unsubscribe()
        with pytest.raises(ObsError) as err:
            await obs.switch_scene("No such scene")
        assert err.value.code == 600
        await obs.switch_scene("Scene")


async def _mpv_reads(path: Path) -> int:
    proc = await asyncio.create_subprocess_exec(
        "mpv", "--vo=null", "--ao=null", "--frames=1", "--no-config", str(path),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(proc.wait(), 30)


async def test_replay_buffer_save_gives_a_playable_file(obs_with_password: HeadlessObs) -> None:
    if shutil.which("mpv") is None:
        pytest.skip("mpv is not installed")
    async with ObsClient(obs_with_password.url, OBS_PASSWORD) as obs:
        await obs.set_replay_buffer_seconds(10)
        await obs.start_replay_buffer()
        try:
            assert (await obs.replay_buffer_status()).active
            await asyncio.sleep(2)
            saved = Path(await obs.save_replay_buffer(timeout_s=10))
        finally:
            await obs.stop_replay_buffer()
    assert await asyncio.to_thread(saved.exists)
    assert saved.parent == obs_with_password.cfg.recordings
    assert await _mpv_reads(saved) == 0


async def test_recording_into_named_folder_and_pattern(
    obs_with_password: HeadlessObs, tmp_path: Path
) -> None:
    folder = tmp_path / "court 1" / "day 2"
    async with ObsClient(obs_with_password.url, OBS_PASSWORD) as obs:
        path = await obs.start_recording(folder=folder, filename_pattern="court1-%hh%mm%ss")
        try:
            assert path is not None
            assert Path(path).parent == folder and Path(path).name.startswith("court1-")
            await asyncio.sleep(1.2)
            status = await obs.recording_status()
            assert status.active and status.timecode and status.duration_ms
            with pytest.raises(ObsError, match="already recording") as err:
                await obs.start_recording(folder=tmp_path)
            assert err.value.code == 500
        finally:
            stopped = await obs.stop_recording()
        assert stopped == path
        assert (await asyncio.to_thread(Path(path).stat)).st_size > 0
        assert await _mpv_reads(Path(path)) == 0


async def test_replay_buffer_disabled_explains_how_to_enable(start_obs: StartObs) -> None:
    obs_proc = await asyncio.to_thread(start_obs, replay_buffer=False)
    async with ObsClient(obs_proc.url) as obs:
        with pytest.raises(ObsError) as err:
            await obs.start_replay_buffer()
    assert str(err.value) == REPLAY_BUFFER_HELP
    assert "Settings → Output → Replay Buffer" in str(err.value)
    assert err.value.code == 604
    settings = ObsConnectionSettings("court", obs_proc.url, role="recording")
    async with ObsPool([settings]) as pool:
        await pool.get("court").wait_connected(10)
        status = pool.get("court").status
        assert status.connected and status.error == REPLAY_BUFFER_HELP
