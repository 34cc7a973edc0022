"""The hub's fixtures: a throw-away PostgreSQL (tests/peers/postgres.py), the real
``restrike hub`` process on it, and stations configured to send to it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from restrike.hub.wire import FORMAT
from tests.peers.postgres import PostgresCluster, postgres
from tests.peers.xvfb import xvfb_display  # noqa: F401  (tests/hub/test_commands_obs.py)
from tests.station.fixtures import StationProcess, free_port

__all__ = ["HubProcess", "guarded", "hub_station", "postgres", "upload"]


class HubProcess:
    """``python -m restrike hub`` on a free port over ``database``."""

    def __init__(self, database: str, *, tokens: Path | None = None) -> None:
        self.database = database
        self.tokens = tokens
        self.port = free_port()
        self.proc: subprocess.Popen[str] | None = None
        self.output = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> HubProcess:
        """Launch and wait until it answers."""
        return self.launch().wait(timeout)

    def launch(self) -> HubProcess:
        """Start the process without waiting (stations can start meanwhile)."""
        args = [sys.executable, "-m", "restrike", "hub", "--database", self.database,
                "--http-port", str(self.port)]
        if self.tokens is not None:
            args += ["--tokens", str(self.tokens)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=env)
        return self

    def wait(self, timeout: float = 90.0) -> HubProcess:
        """Until ``/api/health`` answers 200; AssertionError with its output if it exits."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._collect()
                raise AssertionError(f"hub exited with {self.proc.returncode}:\n{self.output}")
            try:
                if httpx.get(self.url + "/api/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"the hub did not answer:\n{self.output}")

    def get(self, path: str, **params: Any) -> Any:
        answer = httpx.get(self.url + path, params=params, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self._collect()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._collect()

    def _collect(self) -> None:
        if self.proc is not None and self.proc.stdout is not None and \
                not self.proc.stdout.closed:
            self.output += self.proc.stdout.read()
            self.proc.stdout.close()


def hub_station(tmp: Path, court: str, hub_url: str, token: str = "",
                tournament: str = "Hub Open", more: str = "", *,
                flag: bool = False) -> StationProcess:
    """A station of ``court`` sending to ``hub_url`` (its [hub] section in a file, or
    with ``flag`` the hub given as ``restrike run --hub URL``; ``more``: more TOML after
    it, e.g. an ``[[obs]]`` entry)."""
    tmp.mkdir(parents=True, exist_ok=True)
    config = tmp / "restrike.toml"
    url = "" if flag else f'url = "{hub_url}"\n'
    config.write_text(f'[hub]\n{url}token = "{token}"\n'
                      f"heartbeat_seconds = 0.5\n{more}", encoding="utf-8")
    return StationProcess(tmp / "data", extra=[
        "--config", str(config), "--court", court, "--tournament", tournament,
        *(["--hub", hub_url] if flag else [])])


@pytest.fixture
def hub_database(postgres: PostgresCluster) -> str:
    """A new empty database for one test."""
    return postgres.create_database()


@pytest.fixture
def hub_process(hub_database: str) -> Iterator[HubProcess]:
    hub = HubProcess(hub_database).start()
    yield hub
    hub.stop()


@pytest.fixture(scope="session")
def guarded(postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[HubProcess]:
    """One hub with a tokens file for the tests that talk to it directly (each test uses
    its own courts)."""
    tokens = tmp_path_factory.mktemp("tokens") / "tokens.txt"
    tokens.write_text("Mat A = good-token\nMat B = other\n" + "".join(
        f"Mat {n} = good-token\n" for n in range(1, 14)), encoding="utf-8")
    hub = HubProcess(postgres.create_database(), tokens=tokens).start()
    yield hub
    hub.stop()


def upload(hub: HubProcess, court: str, token: str = "good-token",
           station: str | None = None, **body: Any) -> httpx.Response:
    """POST one upload as a station would (format, court, station, host, then ``body``)."""
    payload = {"format": FORMAT, "court": court, "station": station or uuid.uuid4().hex,
               "host": "test", **body}
    return httpx.post(hub.url + "/api/v1/hub/upload", json=payload,
                      headers={"Authorization": f"Bearer {token}"}, timeout=10)
