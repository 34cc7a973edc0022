"""Fixtures for the OBS tests: real peers from tests/peers, the fake v4 server, a leak check."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.obs.fake_v4 import FakeObsV4
from tests.peers.nginx import nginx_rtmp  # noqa: F401
from tests.peers.obs import obs_open, obs_with_password, start_obs  # noqa: F401
from tests.peers.xvfb import xvfb_display  # noqa: F401


@pytest.fixture(autouse=True)
async def no_leaked_tasks() -> AsyncIterator[None]:
    """Fail a test that leaves background tasks running on its loop."""
    before = asyncio.all_tasks()
    yield
    await asyncio.sleep(0)
    leaked = [t for t in asyncio.all_tasks() - before
              if t is not asyncio.current_task() and not t.done()]
    for task in leaked:
        task.cancel()
    assert not leaked, f"leaked tasks: {[t.get_name() for t in leaked]}"


@pytest.fixture
async def fake_v4(tmp_path: Path) -> AsyncIterator[FakeObsV4]:
    server = FakeObsV4(tmp_path / "rec")
    server.folder.mkdir()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def fake_v4_auth(tmp_path: Path) -> AsyncIterator[FakeObsV4]:
    server = FakeObsV4(tmp_path / "rec", password="v4-secret")
    server.folder.mkdir()
    await server.start()
    yield server
    await server.stop()
