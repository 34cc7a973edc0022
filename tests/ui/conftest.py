"""Fixtures of the UI tests: Debian's Chromium through Playwright, a real station
subprocess on free ports, the real simulator over UDP, and screenshot helpers."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.station.fixtures import StationProcess

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
WIDE = {"width": 1920, "height": 1080}
NARROW = {"width": 480, "height": 1000}


class ConsoleStation(StationProcess):
    """The real station (``python -m restrike run``) with a settings file of its own."""

    def __init__(self, data_dir: Path, config_file: Path) -> None:
        super().__init__(data_dir)
        self.config_file = config_file

    def args(self) -> list[str]:
        return [*super().args(), "--config", str(self.config_file)]

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(self.url + path, timeout=10.0, **kwargs)

    def has_route(self, path: str, method: str = "post") -> bool:
        spec = self.get("/openapi.json").json()
        return method in spec.get("paths", {}).get(path, {})

    def _simulator(self, args: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
        """The real simulator's command line aimed at this station, and a clean env."""
        quiet = [] if args[:1] == ("interactive",) else ["-q"]  # a prompt has no progress
        cmd = [sys.executable, "-m", "restrike", "simulate", *args,
               "--target", f"127.0.0.1:{self.udp_port}", *quiet]
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
        return cmd, env

    def simulate(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run the real simulator (``restrike simulate ...``) against this station."""
        cmd, env = self._simulator(args)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                              check=True)

    def simulate_background(self, *args: str, stdin: bool = False) -> subprocess.Popen[str]:
        """The simulator running on; ``stdin``: a pipe to type into (``interactive``)."""
        cmd, env = self._simulator(args)
        return subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin else None,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=env)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium through sync Playwright, opened for one test module at a time. While the
    sync API is open it marks its own asyncio loop as running on this thread (between
    calls too), so an async test run meanwhile fails with "Cannot run the event loop
    while another loop is running"; closed after the module, the thread is free again."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # launch() gives every run a fresh temporary profile (user-data dir) of its own.
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextlib.contextmanager
def running_station(factory: pytest.TempPathFactory, name: str,
                    settings: str) -> Iterator[ConsoleStation]:
    """A station process in a folder of its own, with ``settings`` as its TOML file."""
    root = factory.mktemp(name)
    config = root / "restrike.toml"
    config.write_text(settings, encoding="utf-8")
    proc = ConsoleStation(root / "data", config).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStation]:
    with running_station(tmp_path_factory, "ui-station", "[log]\nlevel = \"INFO\"\n") as proc:
        yield proc


@pytest.fixture(scope="session")
def review_station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStation]:
    """A second station of its own for the review tests (headless: no OBS, no mpv), so
    reviews the simulator's challenges open elsewhere never interfere."""
    with running_station(tmp_path_factory, "ui-review-station", "") as proc:
        yield proc


@pytest.fixture(scope="session")
def played(station: ConsoleStation) -> dict[str, Any]:
    """One complete simulated match in the store (basic scenario, fast)."""
    station.simulate("demo", "--scenario", "basic", "--speed", "200", "--seed", "7")
    return dict(station.get("/api/v1/state").json())


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=WIDE, device_scale_factor=1)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any, station: ConsoleStation) -> Iterator[Any]:
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    pg.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def open_live(page: Any, station: ConsoleStation) -> None:
    """The console's live view, once its WebSocket to the station is up."""
    page.goto(station.url + "/#/live")
    page.wait_for_selector("#st-ws .dot.ok")


def shoot(page: Any, name: str) -> Path:
    """Save a screenshot to artifacts/screenshots/<name>.png (the folder is gitignored)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
