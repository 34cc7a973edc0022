"""Xvfb for tests that need a display (OBS). Starts on a free display number."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from restrike.obs.headless import XvfbDisplay


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """``:N`` of a private Xvfb server for the whole session."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb xauth; see README)")
    with XvfbDisplay() as display:
        yield display.display
