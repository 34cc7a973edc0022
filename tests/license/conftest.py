"""Fixtures of the licensing tests: a real licence server process, the CLI, faketime.

The trial marker lives in the user's data folder (platformdirs): every process here
gets its own ``XDG_DATA_HOME`` so a test never sees (nor starts) the real trial.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from restrike.license_server.db import LicenseDB
from tests.helpers import wait_until_sync
from tests.station.fixtures import StationProcess, free_port
from tests.ui.conftest import browser  # noqa: F401 - Chromium for the console banner

#: libfaketime, preloaded into the process itself (not the `faketime` wrapper, which
#: would be the process a test signals and would not pass SIGTERM on).
LIBFAKETIME = next((p for p in (Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"),
                                Path("/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1"),
                                Path("/usr/lib/faketime/libfaketimeMT.so.1"))
                    if p.exists()), None)
needs_faketime = pytest.mark.skipif(LIBFAKETIME is None, reason="libfaketime is not installed "
                                    "(Debian: apt install faketime)")


def shifted(shift: str | None) -> dict[str, str]:
    """The environment that moves a process's wall clock by ``shift`` (``+8d``)."""
    if shift is None:
        return {}
    assert LIBFAKETIME is not None
    return {"LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": shift,
            "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


def restrike_env(xdg: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``restrike`` process: no RESTRIKE_* of the test's, its own
    user data folder (the trial), the monotonic clock never faked (asyncio)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
    env.update(XDG_DATA_HOME=str(xdg), PYTHONUNBUFFERED="1",
               FAKETIME_DONT_FAKE_MONOTONIC="1", **extra)
    return env


def run_cli(*args: str, xdg: Path, shift: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``restrike <args>`` (its clock moved by ``shift``, e.g. ``+8d``, when given)."""
    return subprocess.run([sys.executable, "-m", "restrike", *args], capture_output=True,
                          text=True, timeout=120, check=False,
                          env={**restrike_env(xdg), **shifted(shift), **(env or {})})


@dataclass
class Server:
    """``restrike license-server`` on a free port with its own folder."""

    data_dir: Path
    xdg: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *extra: str) -> Server:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "restrike", "license-server", "--host", "127.0.0.1",
             "--port", str(self.port), "--data-dir", str(self.data_dir), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=restrike_env(self.xdg), start_new_session=True)
        wait_until_sync(self._answers, 30, "the licence server answering", interval=0.05,
                        ignore=(httpx.HTTPError,))
        return self

    def _answers(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.proc and \
            self.proc.stdout and self.proc.stdout.read()
        return httpx.get(self.url + "/api/license-info", timeout=1).status_code == 200

    def admin(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``restrike license-server <args> --data-dir <its folder>``."""
        return run_cli("license-server", *args, "--data-dir", str(self.data_dir),
                       xdg=self.xdg)

    def new_key(self, *args: str) -> str:
        """A key made by ``keys create`` (its last line)."""
        done = self.admin("keys", "create", *args)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    def quick_key(self, seats: int = 1, days: float | None = None) -> str:
        """A key written in-process to the running server's database (no CLI start)."""
        db = LicenseDB(self.data_dir)
        try:
            return db.create_key(seats=seats, days=days, now=time.time())
        finally:
            db.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("license-server")
    running = Server(root / "server", root / "xdg").start()
    try:
        yield running
    finally:
        running.stop()


class FakeTimeStation(StationProcess):
    """``restrike run`` with its clock moved by ``shift`` and its own user data folder."""

    def __init__(self, data_dir: Path, xdg: Path, shift: str | None = None) -> None:
        super().__init__(data_dir)
        self.xdg = xdg
        self.shift = shift

    def launch(self) -> subprocess.Popen[str]:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("XDG_DATA_HOME", str(self.xdg))
            for name, value in shifted(self.shift).items():
                env.setenv(name, value)
            return super().launch()


@pytest.fixture(scope="module")
def offline_licence(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A station data folder activated (now) at a licence server that is then stopped;
    ``(data folder, user data folder)``. Copy the folder before a test changes it."""
    root = tmp_path_factory.mktemp("offline-licence")
    gone = Server(root / "server", root / "xdg").start()
    try:
        key = gone.quick_key(days=90)
        done = run_cli("license", "activate", key, "--server", gone.url, "--data-dir",
                       str(root / "data"), xdg=root / "xdg")
        assert done.returncode == 0, done.stderr
    finally:
        gone.stop()
    return root / "data", root / "xdg"
