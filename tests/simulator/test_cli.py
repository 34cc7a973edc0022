"""`restrike simulate ...` as a user runs it."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from restrike.cli import app
from restrike.protocol.capture import format_capture_line
from tests.helpers import wait_until_sync


class ThreadReceiver:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.datagrams: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-receiver")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.datagrams.append(self.sock.recv(65535))
            except TimeoutError:
                continue

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def court_port() -> Iterator[ThreadReceiver]:
    rx = ThreadReceiver()
    yield rx
    rx.close()


def test_demo_command_plays_matches(court_port: ThreadReceiver) -> None:
    result = CliRunner().invoke(app, ["simulate", "demo", "--scenario", "basic", "--matches",
                                      "2", "--speed", "1000", "--seed", "4", "--target",
                                      court_port.target])
    assert result.exit_code == 0, result.output
    assert "match " in result.stdout and "winner" in result.stdout
    assert result.stdout.count("winner") == 2
    assert b"hel;\r\n" in court_port.datagrams


def test_random_and_replay_commands(court_port: ThreadReceiver, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", "random", "--rate", "200", "--duration",
                                      "0.25", "--target", court_port.target, "-q"])
    assert result.exit_code == 0, result.output
    assert "sent 54 datagrams" in result.stdout  # 50 + status lines, hel, bye
    capture = tmp_path / "c.jsonl"
    capture.write_text(format_capture_line(5.0, b"clk;1:59\r\n") + "\n{broken\n")
    result = CliRunner().invoke(app, ["simulate", "replay", "--capture", str(capture),
                                      "--target", court_port.target, "--speed", "10"])
    assert result.exit_code == 0, result.output
    assert "sent 5 datagrams" in result.stdout
    assert "line 2" in result.stderr


@pytest.mark.parametrize("args", [
    ["simulate", "demo", "--target", "nohost"],
    ["simulate", "demo", "--scenario", "olympics"],
    ["simulate", "demo", "--style", "pretty"],
    ["simulate", "random", "--rate", "0"],
    ["simulate", "replay", "--capture", "/nonexistent/file.jsonl"],
])
def test_bad_arguments_are_clear_errors(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signal")
def test_sigterm_stops_with_bye(court_port: ThreadReceiver) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "restrike", "simulate", "demo", "--target",
                             court_port.target, "-q", "--speed", "10"],
                            stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        wait_until_sync(lambda: b"rdy;FightReady\r\n" in court_port.datagrams, 20,
                        "the simulator's FightReady")
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert b"stopped before the end" in err
    time.sleep(0.3)
    assert court_port.datagrams[-2] == b"bye;\r\n"
    assert court_port.datagrams[-1].endswith(b"disconnected;\r\n")


def test_bench_simulate_is_registered() -> None:
    result = CliRunner().invoke(app, ["bench", "simulate", "--help"])
    assert result.exit_code == 0
    assert "--seconds" in result.stdout
