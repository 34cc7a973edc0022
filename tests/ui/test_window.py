"""``restrike run --window`` without a display: pywebview replaced by a recording stand-in."""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from restrike.bus import Broadcast, Bus, StatusChanged
from restrike.cli import app
from restrike.cli import run as run_cli
from restrike.config import load_settings
from restrike.console import window as win
from restrike.errors import ConfigError
from tests.helpers import wait_until_sync
from tests.station.fixtures import free_port


class _Window:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.on_top = False

    def hide(self) -> None:
        self.calls.append("hide")

    def show(self) -> None:
        self.calls.append("show")

    def destroy(self) -> None:
        self.calls.append("destroy")


class _FakeWebview:
    """Records what the console asks of pywebview; ``start`` runs ``script`` and returns
    (the window was closed)."""

    def __init__(self, script: Any = None) -> None:
        self.screens = [SimpleNamespace(x=0, y=0, width=1920, height=1080)]
        self.window = _Window()
        self.created: list[tuple[str, str, dict[str, Any]]] = []
        self.script = script

    def create_window(self, title: str, url: str, **kw: Any) -> _Window:
        self.created.append((title, url, kw))
        return self.window

    def start(self) -> None:
        if self.script is not None:
            self.script(self)


# -- without pywebview, flags and settings --------------------------------------------


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in list(__import__("os").environ):
        if name.startswith("RESTRIKE_"):
            monkeypatch.delenv(name)
    return CliRunner()


def test_missing_pywebview_is_a_clear_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "webview", None)  # import webview → ImportError
    with pytest.raises(ConfigError, match=r"pip install 'restrike\[window\]'"):
        win.check_available()
    with pytest.raises(ConfigError, match="pywebview"):
        win.run_with_window(lambda ready: None, lambda: None)


def test_run_window_without_pywebview_exits_2(runner: CliRunner, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "webview", None)
    started: list[bool] = []

    def serve(*_: Any, **__: Any) -> int:
        started.append(True)
        return 0

    monkeypatch.setattr(run_cli, "serve", serve)
    result = runner.invoke(app, ["run", "--window", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "pip install 'restrike[window]'" in result.output
    assert not started  # nothing started before the check


def test_window_flags_and_settings(runner: CliRunner, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    def serve_with_window(settings: Any, options: Any) -> int:
        seen.append((settings, options))
        return 0

    def serve(*_: Any, **__: Any) -> int:
        seen.append("browser")
        return 0

    monkeypatch.setattr(run_cli, "serve_with_window", serve_with_window)
    monkeypatch.setattr(run_cli, "serve", serve)
    args = ["run", "--data-dir", str(tmp_path)]
    assert runner.invoke(app, [*args, "--window", "--window-side", "left",
                               "--window-on-top"]).exit_code == 0
    settings, options = seen.pop()
    assert settings.console.window and settings.console.window_on_top
    assert (options.side, options.on_top) == ("left", True)
    assert runner.invoke(app, [*args, "--window"]).exit_code == 0
    assert seen.pop()[1].side == "right"  # the default
    result = runner.invoke(app, args, env={"RESTRIKE_CONSOLE_WINDOW": "true",
                                           "RESTRIKE_CONSOLE_WINDOW_SIDE": "left"})
    assert result.exit_code == 0 and seen.pop()[1].side == "left"
    assert runner.invoke(app, args).exit_code == 0 and seen.pop() == "browser"
    result = runner.invoke(app, [*args, "--window", "--window-side", "top"])
    assert result.exit_code == 2
    assert "--window-side" in result.output and "left, right" in result.output


def test_dock_geometry_and_options() -> None:
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
def test_should_hide(review: Any, playback: Any, hidden: bool) -> None:
    assert win.should_hide(review, playback) is hidden


# -- hide/show from the bus -------------------------------------------------------------


def _play_a_review(bus: Bus) -> None:
    bus.publish(Broadcast("review", {"event": "requested", "active": True}))
    bus.publish(StatusChanged("player", {"file": "/clips/1.mkv", "alive": True}))
    bus.publish(StatusChanged("player", {"file": "/clips/1.mkv", "alive": True,
                                         "position": 10.5}))  # no second hide


def _end_the_review(bus: Bus) -> None:
    bus.publish(Broadcast("review", {"event": "closed", "active": False}))
    bus.publish(StatusChanged("player", {"file": None, "alive": True}))


def test_follower_hides_while_mpv_plays_a_review_and_shows_after() -> None:
    bus = Bus()
    window = _Window()
    follower = win.WindowFollower(win.WindowOptions(on_top=True), window)
    detach = follower.attach(bus, {"file": None, "alive": True})
    try:
        bus.publish(Broadcast("review", {"event": "requested", "active": True}))
        time.sleep(0.05)
        assert window.calls == []  # the clip is not on screen yet
        _play_a_review(bus)
        wait_until_sync(lambda: window.calls == ["hide"])
        _end_the_review(bus)
        wait_until_sync(lambda: window.calls == ["hide", "show"])
        assert window.on_top is True
    finally:
        detach()
        follower.close()
    bus.publish(Broadcast("review", {"active": True}))
    bus.publish(StatusChanged("player", {"file": "/c.mkv", "alive": True}))
    time.sleep(0.05)
    assert window.calls == ["hide", "show"]  # detached: no longer follows


def test_follower_keeps_the_window_when_hiding_is_off() -> None:
    bus = Bus()
    window = _Window()
    follower = win.WindowFollower(win.WindowOptions(hide_during_review=False), window)
    detach = follower.attach(bus)
    _play_a_review(bus)
    time.sleep(0.05)
    detach()
    follower.close()
    assert window.calls == []


def test_run_with_window_docks_follows_the_bus_and_stops_the_station() -> None:
    bus = Bus()
    stopped = threading.Event()

    def start_station(on_ready: Any) -> None:
        on_ready("http://127.0.0.1:1/", bus, None)
        stopped.wait(10)

    def script(fake: _FakeWebview) -> None:  # the window is open: a review plays
        _play_a_review(bus)
        wait_until_sync(lambda: fake.window.calls == ["hide"])
        _end_the_review(bus)
        wait_until_sync(lambda: fake.window.calls == ["hide", "show"])

    fake = _FakeWebview(script)
    opts = win.WindowOptions(side="left", width=500, on_top=True)
    win.run_with_window(start_station, stopped.set, opts, webview=fake)
    (_title, url, kw) = fake.created[0]
    assert url == "http://127.0.0.1:1/"
    assert (kw["x"], kw["width"], kw["height"], kw["on_top"]) == (0, 500, 1080, True)
    assert stopped.is_set()  # closing the window stopped the station
    assert fake.window.calls[:2] == ["hide", "show"]


def test_window_closes_when_the_station_ends_by_itself() -> None:
    closed = threading.Event()

    def start_station(on_ready: Any) -> None:
        on_ready("http://127.0.0.1:1/")
        time.sleep(0.2)  # then the station stops (a signal, a failure)

    def script(fake: _FakeWebview) -> None:
        wait_until_sync(lambda: "destroy" in fake.window.calls)
        closed.set()

    fake = _FakeWebview(script)
    win.run_with_window(start_station, lambda: None, webview=fake)
    assert closed.is_set()


# -- the real station behind the window -------------------------------------------------


def test_serve_with_window_runs_the_station_until_the_window_closes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(None, env={}, cli={
        "station.data_dir": str(tmp_path / "data"), "udp.host": "127.0.0.1",
        "udp.port": free_port(socket.SOCK_DGRAM), "http.port": free_port(),
        "http.host": "127.0.0.1", "playback.enabled": False, "console.window": True})
    seen: dict[str, Any] = {}

    def script(fake: _FakeWebview) -> None:
        import httpx

        url = fake.created[0][1]
        seen["health"] = httpx.get(url + "api/health", timeout=5).status_code
        seen["ws_thread"] = [t.name for t in threading.enumerate()]

    fake = _FakeWebview(script)
    monkeypatch.setattr(win, "check_available", lambda: fake)
    code = run_cli.serve_with_window(settings, run_cli.window_options(settings))
    assert code == 0
    assert seen["health"] == 200
    assert "station" in seen["ws_thread"]
    assert fake.created[0][2]["x"] == 1920 - 480  # docked right by default
    assert not any(t.name == "station" for t in threading.enumerate())
