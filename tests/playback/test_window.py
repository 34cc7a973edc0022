"""mpv with a real window on Xvfb: idle window, clip shown, fullscreen on a screen."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from restrike.obs.headless import XvfbDisplay
from restrike.playback import MpvPlayer
from tests.helpers import wait_until
from tests.peers.mpv import headless_settings, require_mpv

pytestmark = pytest.mark.peers


@pytest.fixture
def display(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    xvfb = XvfbDisplay(screen="640x360x24")
    name = xvfb.start()
    monkeypatch.setenv("DISPLAY", name)
    monkeypatch.setenv("LIBGL_ALWAYS_SOFTWARE", "1")
    try:
        yield name
    finally:
        xvfb.stop()


async def test_window_plays_and_goes_fullscreen_on_screen_0(display: str, clip: Path) -> None:
    require_mpv()
    settings = headless_settings(vo="x11", screen=0, geometry="320x240+10+10", ontop=True)
    async with MpvPlayer(settings) as player:
        assert player.status().alive
        await player.open(clip, start=10)
        assert await player.wait_position(10, within=10) >= 10
        await player.set_fullscreen(True, screen=0)
        await wait_until(lambda: player.status().fullscreen, 5, "mpv fullscreen")
        await player.set_fullscreen(False)
        await player.stop()
