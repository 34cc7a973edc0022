"""``restrike run --window`` without a display: pywebview replaced by a recording fake."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest

from restrike.console import window as win
from restrike.errors import ConfigError


def test_missing_pywebview_is_a_clear_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "webview", None)  # import webview → ImportError
    with pytest.raises(ConfigError, match=r"pip install 'restrike\[window\]'"):
        win.check_available()
    with pytest.raises(ConfigError, match="pywebview"):
        win.run_with_window(lambda ready: None, lambda: None)


def test_dock_geometry_and_options():
    opts = win.WindowOptions(side="right", width=480)
    assert win.dock_geometry((0, 0, 1920, 1080), opts) == (1440, 0, 480, 1080)
    assert win.dock_geometry((1920, 0, 1280, 1024), win.WindowOptions(side="left")) == \
        (1920, 0, 480, 1024)
    assert win.dock_geometry((0, 0, 400, 800), opts) == (0, 0, 400, 800)
    with pytest.raises(ConfigError, match="left or right"):
        win.WindowOptions(side="top")  # type: ignore[arg-type]


@pytest.mark.parametrize(("review", "playback", "hidden"), [
    (None, None, False),
    ({"active": False}, {"file": "/c.mkv"}, False),
    ({"active": True}, None, True),
    ({"active": True}, {"file": None, "alive": True}, False),
    ({"active": True}, {"file": "/c.mkv", "alive": True}, True),
    ({"active": True}, {"file": "/c.mkv", "alive": False}, False),
])
def test_should_hide(review, playback, hidden):
    assert win.should_hide(review, playback) is hidden


class _FakeStation:
    """A tiny HTTP server answering /api/v1/review and /api/v1/playback from a dict."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {"/api/v1/review": {"active": False},
                                     "/api/v1/playback": {"file": None, "alive": True}}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps(owner.data.get(self.path, {})).encode()
                self.send_response(200 if self.path in owner.data else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-station")

    def __enter__(self) -> _FakeStation:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class _FakeWebview:
    """Records what the console asks of pywebview; start() plays a review."""

    def __init__(self, station: _FakeStation) -> None:
        self.station = station
        self.screens = [SimpleNamespace(x=0, y=0, width=1920, height=1080)]
        self.calls: list[Any] = []
        self.window = SimpleNamespace(hide=lambda: self.calls.append("hide"),
                                      show=lambda: self.calls.append("show"), on_top=False)

    def create_window(self, title: str, url: str, **kw: Any) -> Any:
        self.calls.append(("create", title, url, kw))
        return self.window

    def _wait_for(self, call: str) -> None:
        deadline = time.monotonic() + 5
        while call not in self.calls and time.monotonic() < deadline:
            time.sleep(0.02)

    def start(self) -> None:
        self.station.data["/api/v1/review"] = {"active": True}
        self.station.data["/api/v1/playback"] = {"file": "/clips/1.mkv", "alive": True}
        self._wait_for("hide")
        self.station.data["/api/v1/review"] = {"active": False}
        self._wait_for("show")


def test_window_docks_and_hides_during_a_review():
    with _FakeStation() as station:
        fake = _FakeWebview(station)
        stopped: list[bool] = []

        def start_station(on_ready):
            on_ready(station.url)
            while not stopped:
                time.sleep(0.01)

        opts = win.WindowOptions(side="left", width=500, on_top=True, poll_seconds=0.05)
        win.run_with_window(start_station, lambda: stopped.append(True), opts, webview=fake)
    create = fake.calls[0]
    assert create[0] == "create" and create[2] == station.url
    assert (create[3]["x"], create[3]["width"], create[3]["height"]) == (0, 500, 1080)
    assert create[3]["on_top"] is True
    assert fake.calls[1:] == ["hide", "show"]
    assert fake.window.on_top is True
    assert stopped == [True]
