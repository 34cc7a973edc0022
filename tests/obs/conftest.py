"""Fixtures for the OBS tests: real peers from tests/peers, the fake v4 server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.obs.fake_v4 import FakeObsV4
from tests.peers.nginx import nginx_rtmp  # noqa: F401
from tests.peers.obs import obs_open, obs_with_password, start_obs  # noqa: F401
from tests.peers.xvfb import xvfb_display  # noqa: F401


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
