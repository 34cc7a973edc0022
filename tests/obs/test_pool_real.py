"""ObsPool against real OBS: roles, reconnect after a crash, stream interruption."""

from __future__ import annotations

import asyncio

import pytest

from restrike.obs import (
    Backoff,
    ConnectionEvent,
    ObsConnection,
    ObsConnectionSettings,
    ObsPool,
    ObsStatus,
    OutputState,
    StreamStateChanged,
)
from restrike.obs.headless import HeadlessObs, free_port
from tests.helpers import wait_until
from tests.peers.nginx import NginxRtmp
from tests.peers.obs import OBS_PASSWORD, StartObs

pytestmark = pytest.mark.peers


async def test_two_instances_by_role(obs_with_password: HeadlessObs, obs_open: HeadlessObs
                                     ) -> None:
    settings = [
        ObsConnectionSettings("rec", obs_with_password.url, OBS_PASSWORD, role="recording"),
        ObsConnectionSettings("live", obs_open.url, role="streaming"),
        ObsConnectionSettings("bad", f"ws://127.0.0.1:{free_port()}", role="both"),
        ObsConnectionSettings("badpw", obs_with_password.url, "wrong", role="recording"),
    ]
    seen: list[ObsStatus | ConnectionEvent] = []
    async with ObsPool(settings, backoff=Backoff(0.1, 0.5)) as pool:
        unsubscribe = pool.subscribe(seen.append)
        await pool.get("rec").wait_connected(10)
        await pool.get("live").wait_connected(10)
        assert [c.name for c in pool.for_role("recording")] == ["rec", "bad", "badpw"]
        assert [c.name for c in pool.for_role("streaming")] == ["live", "bad"]
        rec = pool.get("rec").status
        assert rec.connected and rec.obs_version and rec.obs_version.startswith("29.")
        assert rec.websocket_version and rec.scene
        bad = pool.get("bad").status
        assert not bad.connected and bad.error and "cannot reach OBS" in bad.error
        await wait_until(lambda: pool.get("badpw").status.error is not None, 10, "auth error")
        badpw = pool.get("badpw").status
        assert not badpw.connected and badpw.error and "refused the password" in badpw.error
        unsubscribe()
    assert any(isinstance(s, ObsStatus) and s.name == "live" and s.connected for s in seen)


async def test_reconnects_after_obs_is_killed_and_restarted(start_obs: StartObs) -> None:
    obs = await asyncio.to_thread(start_obs, password="kill-me")
    settings = ObsConnectionSettings("court", obs.url, "kill-me", role="both")
    async with ObsPool([settings], backoff=Backoff(0.1, 0.5)) as pool:
        conn = pool.get("court")
        await conn.wait_connected(10)
        await asyncio.to_thread(obs.kill)
        await wait_until(lambda: not conn.status.connected, 10, "disconnect to be seen")
        assert conn.status.error
        await asyncio.to_thread(obs.start, write_config=False)
        await conn.wait_connected(20)
        assert conn.status.error is None
        assert await conn.control.current_scene() == "Scene"


async def test_stream_interruption_is_seen_as_reconnecting(
    obs_open: HeadlessObs, nginx_rtmp: NginxRtmp
) -> None:
    events: list[StreamStateChanged] = []

    def on_item(item: ObsStatus | ConnectionEvent) -> None:
        if isinstance(item, ConnectionEvent) and isinstance(item.event, StreamStateChanged):
            events.append(item.event)

    settings = ObsConnectionSettings("live", obs_open.url, role="streaming")
    async with ObsPool([settings], poll_interval=0.5) as pool:
        pool.subscribe(on_item)
        conn: ObsConnection = pool.get("live")
        await conn.wait_connected(10)
        obs = conn.control
        await obs.set_stream_server(nginx_rtmp.server, "court1")
        await obs.start_streaming()
        try:
            await wait_until(lambda: conn.status.streaming, 10, "streaming status")
            await asyncio.sleep(1.5)
            status = await obs.streaming_status()
            assert status.active and status.timecode and status.timecode > "00:00:00.5"
            await asyncio.to_thread(nginx_rtmp.stop)
            await wait_until(lambda: conn.status.stream_reconnecting, 30, "stream reconnecting")
            assert (await obs.streaming_status()).reconnecting
        finally:
            await obs.stop_streaming()
        await wait_until(lambda: not conn.status.streaming, 10, "stream stopped")
    states = [e.state for e in events]
    assert OutputState.STARTED in states and OutputState.RECONNECTING in states
    assert states[-1] is OutputState.STOPPED
