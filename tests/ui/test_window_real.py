"""``restrike run --window`` with a real pywebview window (Qt backend) under Xvfb."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.peers.xvfb import xvfb_display  # noqa: F401 - fixture
from tests.station.fixtures import free_port

pytestmark = pytest.mark.peers

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _qt_available() -> bool:
    try:
        import webview  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
        from PyQt6 import QtWebEngineWidgets  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


def _windows(display: str, pid: int) -> list[str]:
    out = subprocess.run(["xdotool", "search", "--all", "--pid", str(pid), "--name",
                          "reStrike VTA"], capture_output=True, text=True, timeout=5,
                         env={**os.environ, "DISPLAY": display})
    return out.stdout.split()


def _geometry(display: str, window: str) -> tuple[str, str]:
    out = subprocess.run(["xdotool", "getwindowgeometry", window], capture_output=True,
                         text=True, timeout=5, env={**os.environ, "DISPLAY": display})
    lines = {k.strip(): v.split("(")[0].strip() for k, _, v in
             (line.partition(":") for line in out.stdout.splitlines()[1:])}
    return lines["Position"], lines["Geometry"]


GRAB = ("import sys\nfrom PyQt6.QtWidgets import QApplication\napp = QApplication([])\n"
        "app.primaryScreen().grabWindow(0).save(sys.argv[1], 'PNG')\n")


def _screenshot(display: str, path: Path) -> None:
    """A picture of the whole display (ImageMagick's import, else Qt's grab), for a look."""
    time.sleep(2)  # let the console render
    path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    cmd = (["import", "-window", "root", str(path)] if shutil.which("import")
           else [sys.executable, "-c", GRAB, str(path)])
    subprocess.run(cmd, env=env, timeout=10, check=False, capture_output=True)


def test_run_window_opens_a_docked_window_and_stops_on_sigterm(
        xvfb_display: str, tmp_path: Path) -> None:  # noqa: F811
    if not _qt_available():
        pytest.skip("pywebview[qt] is not installed (pip install -e '.[test]')")
    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
    env.update(DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb", QTWEBENGINE_DISABLE_SANDBOX="1",
               QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu",
               LIBGL_ALWAYS_SOFTWARE="1", PYWEBVIEW_GUI="qt",
               RESTRIKE_PLAYBACK_ENABLED="false")
    cmd = [sys.executable, "-m", "restrike", "run", "--window", "--window-side", "left",
           "--no-browser", "--data-dir", str(tmp_path / "data"), "--udp-host", "127.0.0.1",
           "--udp-port", str(free_port(socket.SOCK_DGRAM)), "--http-host", "127.0.0.1",
           "--http-port", str(free_port())]
    log = (tmp_path / "run.log").open("w+b")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        windows: list[str] = []
        while not windows:
            assert proc.poll() is None, "restrike exited early: " + \
                (tmp_path / "run.log").read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "no console window appeared"
            time.sleep(0.2)
            windows = _windows(xvfb_display, proc.pid)
        # docked left, 480 px wide, the full height of the 1280x720 Xvfb screen
        assert _geometry(xvfb_display, windows[-1]) == ("0,0", "480x720")
        _screenshot(xvfb_display, ARTIFACTS / "window_real.png")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert _windows(xvfb_display, proc.pid) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        log.close()
