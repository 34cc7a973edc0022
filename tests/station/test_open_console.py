"""Opening the console: a machine without a browser prints the URL instead of failing."""

from __future__ import annotations

import sys
import webbrowser

import pytest

from restrike.cli import run


def test_headless_prints_the_url(monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    called: list[str] = []

    def open_browser(url: str) -> bool:
        called.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", open_browser)
    assert run.open_console("http://127.0.0.1:1234/") is False
    assert not called  # no text browser taking over the terminal
    assert "open http://127.0.0.1:1234/ in a browser" in capsys.readouterr().out


def test_a_browser_that_fails_is_reported(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DISPLAY", ":99")

    def broken(url: str) -> bool:
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "open", broken)
    assert run.open_console("http://127.0.0.1:1234/") is False
    assert "open http://127.0.0.1:1234/" in capsys.readouterr().out
    monkeypatch.setattr(webbrowser, "open", lambda url: True)
    assert run.open_console("http://127.0.0.1:1234/") is True
    assert capsys.readouterr().out == ""
