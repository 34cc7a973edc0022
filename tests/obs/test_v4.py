"""The v4 client against a fake that follows obs-websocket 4.9.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from restrike.errors import ObsAuthError, ObsError, ObsUnavailable
from restrike.obs import (
    CurrentProgramSceneChanged,
    ObsClientV4,
    ObsConnectionSettings,
    ObsControl,
    ObsEvent,
    ObsPool,
    ObsStatus,
)
from restrike.obs.pool import Backoff
from tests.helpers import wait_until
from tests.obs.fake_v4 import FakeObsV4


async def test_connect_without_password(fake_v4: FakeObsV4) -> None:
    async with ObsClientV4(fake_v4.url) as obs:
        assert isinstance(obs, ObsControl)
        version = await obs.get_version()
        assert version.websocket_version == "4.9.1"
        assert "SaveReplayBuffer" in version.available_requests
    assert fake_v4.requests[:2] == ["GetAuthRequired", "GetVersion"]


async def test_connect_with_password(fake_v4_auth: FakeObsV4) -> None:
    async with ObsClientV4(fake_v4_auth.url, "v4-secret") as obs:
        assert await obs.list_scenes() == ["Scene", "Replay"]
    assert fake_v4_auth.requests[:2] == ["GetAuthRequired", "Authenticate"]


async def test_wrong_or_missing_password(fake_v4_auth: FakeObsV4) -> None:
    with pytest.raises(ObsAuthError, match=r"refused the password \(Authentication Failed\.\)"):
        await ObsClientV4(fake_v4_auth.url, "nope").connect()
    with pytest.raises(ObsAuthError, match="requires a password"):
        await ObsClientV4(fake_v4_auth.url).connect()


async def test_scenes_and_switch_event(fake_v4: FakeObsV4) -> None:
    async with ObsClientV4(fake_v4.url) as obs:
        events: list[ObsEvent] = []
        seen = asyncio.Event()

        def on_event(event: ObsEvent) -> None:
            events.append(event)
            seen.set()

        obs.subscribe(on_event)
        assert await obs.create_scene("Podium") is True
        assert await obs.create_scene("Podium") is False
        await obs.switch_scene("Podium")
        await asyncio.wait_for(seen.wait(), 2)
        assert events == [CurrentProgramSceneChanged("Podium")]
        assert await obs.current_scene() == "Podium"
        with pytest.raises(ObsError, match="does not exist") as err:
            await obs.switch_scene("Nowhere")
        assert err.value.code == 600


async def test_recording_folder_and_pattern(fake_v4: FakeObsV4, tmp_path: Path) -> None:
    folder = tmp_path / "court 1"
    async with ObsClientV4(fake_v4.url) as obs:
        path = await obs.start_recording(folder=folder, filename_pattern="bout-%hh%mm%ss")
        assert path is not None and Path(path).parent == folder
        assert Path(path).name.startswith("bout-")
        status = await obs.recording_status()
        assert status.active and status.timecode is not None
        with pytest.raises(ObsError, match="already active") as err:
            await obs.start_recording()
        assert err.value.code == 500
        assert await obs.stop_recording() == path


async def test_replay_buffer_save_finds_the_new_file(fake_v4: FakeObsV4) -> None:
    async with ObsClientV4(fake_v4.url) as obs:
        with pytest.raises(ObsError, match="not active"):
            await obs.save_replay_buffer()
        await obs.start_replay_buffer()
        assert (await obs.replay_buffer_status()).active
        saved = Path(await obs.save_replay_buffer(timeout_s=5))
        assert saved.parent == fake_v4.folder and saved.name.startswith("Replay ")
        assert (await asyncio.to_thread(saved.stat)).st_size > 1000
        await obs.stop_replay_buffer()


async def test_replay_buffer_disabled_says_how_to_enable(tmp_path: Path) -> None:
    server = FakeObsV4(tmp_path, replay_enabled=False)
    await server.start()
    try:
        async with ObsClientV4(server.url) as obs:
            with pytest.raises(ObsError, match=r"Settings → Output → Replay Buffer") as err:
                await obs.start_replay_buffer()
            assert err.value.code == 604
            with pytest.raises(ObsError, match="Maximum Replay Time"):
                await obs.set_replay_buffer_seconds(30)
    finally:
        await server.stop()


async def test_streaming_with_timecode(fake_v4: FakeObsV4) -> None:
    async with ObsClientV4(fake_v4.url) as obs:
        await obs.set_stream_server("rtmp://127.0.0.1/live", "court1")
        assert fake_v4.stream_settings["type"] == "rtmp_custom"
        await obs.start_streaming()
        await asyncio.sleep(0.05)
        status = await obs.streaming_status()
        assert status.active and status.timecode and status.timecode.startswith("00:00:00")
        await obs.stop_streaming()
        assert not (await obs.streaming_status()).active


async def test_request_after_server_gone_is_unavailable(fake_v4: FakeObsV4) -> None:
    obs = ObsClientV4(fake_v4.url)
    await obs.connect()
    await fake_v4.stop()
    closed = await asyncio.wait_for(obs.wait_closed(), 5)
    assert closed.code is not None
    with pytest.raises(ObsUnavailable, match="not connected"):
        await obs.list_scenes()
    await obs.close()


async def test_pool_reconnects_to_v4(fake_v4: FakeObsV4) -> None:
    settings = ObsConnectionSettings("old", fake_v4.url, role="recording", protocol="v4")
    statuses: list[ObsStatus] = []
    async with ObsPool([settings], backoff=Backoff(0.05, 0.2)) as pool:
        pool.subscribe(lambda s: statuses.append(s) if isinstance(s, ObsStatus) else None)
        conn = pool.get("old")
        await conn.wait_connected(5)
        assert conn.status.websocket_version == "4.9.1"
        port = fake_v4.port
        await fake_v4.stop()
        await wait_until(lambda: not conn.status.connected, 5, "the disconnect seen")
        assert conn.status.error
        await fake_v4.start(port)
        await conn.wait_connected(5)
        assert conn.status.scene == "Scene"
    assert [s.connected for s in statuses].count(True) >= 2
