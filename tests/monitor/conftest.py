"""Fixtures of the monitor tests: the v4 fake and the real OBS peers."""

from tests.obs.conftest import fake_v4  # noqa: F401
from tests.peers.obs import obs_open  # noqa: F401
from tests.peers.xvfb import xvfb_display  # noqa: F401
