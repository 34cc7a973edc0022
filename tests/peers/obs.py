"""Real OBS Studio instances (headless, prepared profile, websocket on a free port)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from restrike.obs.headless import HeadlessObs, HeadlessObsConfig, free_port

OBS_PASSWORD = "restrike-test-password"

StartObs = Callable[..., HeadlessObs]


def _require_obs() -> None:
    if shutil.which("obs") is None:
        pytest.skip("OBS Studio is not installed (apt-get install obs-studio; see README)")


def _start(display: str, home: Path, *, password: str | None, **options: object) -> HeadlessObs:
    cfg = HeadlessObsConfig(home=home, port=free_port(), password=password, **options)  # type: ignore[arg-type]
    obs = HeadlessObs(cfg, display=display)
    obs.start()
    return obs


# Package scope: OBS renders all the time (~15 % of a core each here), so an instance
# ends with the last test of the package that uses it (tests/config, tests/monitor,
# tests/obs) instead of rendering until the session ends.
@pytest.fixture(scope="package")
def obs_with_password(xvfb_display: str, tmp_path_factory: pytest.TempPathFactory
                      ) -> Iterator[HeadlessObs]:
    """OBS #1 (auth on, replay buffer on): recording, replay and scene tests share it."""
    _require_obs()
    obs = _start(xvfb_display, tmp_path_factory.mktemp("obs-auth"), password=OBS_PASSWORD,
                 replay_seconds=10)
    yield obs
    obs.stop()


@pytest.fixture(scope="package")
def obs_open(xvfb_display: str, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[HeadlessObs]:
    """OBS #2 (auth off), run beside #1 like a streaming machine would be."""
    _require_obs()
    obs = _start(xvfb_display, tmp_path_factory.mktemp("obs-open"), password=None)
    yield obs
    obs.stop()


@pytest.fixture
def start_obs(xvfb_display: str, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[StartObs]:
    """Start extra OBS instances for one test (killed/restarted ones); all stopped after."""
    _require_obs()
    started: list[HeadlessObs] = []

    def start(*, password: str | None = None, **options: object) -> HeadlessObs:
        obs = _start(xvfb_display, tmp_path_factory.mktemp("obs"), password=password, **options)
        started.append(obs)
        return obs

    yield start
    for obs in started:
        obs.stop()


@pytest.fixture(scope="module")
def obs_angles(xvfb_display: str, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[list[HeadlessObs]]:
    """Three OBS instances (auth off, 320x180 at 30 fps, a keyframe a second, replay
    buffer on) for multi-angle review: the cameras of one court, shared by a module.
    Started together (each start mostly waits for OBS to load its plugins)."""
    _require_obs()
    ports: list[int] = []
    while len(ports) < 3:  # chosen before any OBS listens: three different ones
        if (port := free_port()) not in ports:
            ports.append(port)
    angles = [HeadlessObs(HeadlessObsConfig(
        home=tmp_path_factory.mktemp(f"obs-angle{index}"), port=port, password=None,
        width=320, height=180, replay_seconds=12,
        extra_profile={"SimpleOutput": {"x264Settings": "keyint=30"}}), display=xvfb_display)
        for index, port in enumerate(ports)]
    try:
        with ThreadPoolExecutor(len(angles), thread_name_prefix="obs-angle-start") as starts:
            for started in [starts.submit(obs.start) for obs in angles]:
                started.result()
        yield angles
    finally:
        for obs in angles:
            obs.stop()
