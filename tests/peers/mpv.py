"""Real mpv for tests: settings for a headless player, a started ``MpvPlayer``, a clip.

Import the fixtures into a ``conftest.py``::

    from tests.peers.mpv import clip, mpv_player, mpv_settings  # noqa: F401

The player runs with ``--vo=null --ao=null --no-config`` so it needs no display, sound
card or user configuration; each test gets its own process and IPC socket.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from restrike.playback import MpvPlayer, PlaybackSettings
from tests.peers.media import ffmpeg_available, make_clip

__all__ = ["HEADLESS", "clip", "headless_settings", "mpv_player", "mpv_settings",
           "require_mpv"]

#: How a test drives mpv: no window, no sound, no user config, quick restarts (the
#: `PlaybackSettings` fields that are no settings; ``assemble(playback_driving=...)``).
HEADLESS: dict[str, Any] = {"vo": "null", "ao": "null", "use_config": False,
                            "restart_backoff_max": 1.0}


def require_mpv() -> str:
    """The mpv on PATH, or skip the test (the README's test command installs it)."""
    found = shutil.which("mpv")
    if found is None:
        pytest.skip("mpv is not installed")
    return found


def headless_settings(**overrides: Any) -> PlaybackSettings:
    """Settings for an mpv without window, sound or user config (tests and benchmarks)."""
    return dataclasses.replace(PlaybackSettings(**HEADLESS), **overrides)


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20 s 320x240 test clip with its time burnt in, built once per session."""
    if not ffmpeg_available():
        pytest.skip("ffmpeg is not installed")
    return make_clip(tmp_path_factory.mktemp("media"))


@pytest.fixture
def mpv_settings() -> PlaybackSettings:
    require_mpv()
    return headless_settings()


@pytest.fixture
async def mpv_player(mpv_settings: PlaybackSettings) -> AsyncIterator[MpvPlayer]:
    """A started, idle MpvPlayer; closed (and checked for leaked tasks) afterwards."""
    player = MpvPlayer(mpv_settings)
    await player.start()
    try:
        yield player
    finally:
        await player.aclose()
        leaked = [
            t
            for t in asyncio.all_tasks()
            if t is not asyncio.current_task() and t.get_name().startswith("mpv")
        ]
        assert not leaked, f"player left tasks running: {leaked}"
