"""The global hotkey: key parsing, handing presses to the event loop, and the real thing.

The ``peers`` tests start pynput's X11 listener on a private Xvfb and press the keys
with ``xdotool`` (real X key events through the XTEST extension), then check that the
callback ran on the asyncio loop's thread and that ``stop()`` joined pynput's thread.
pynput opens an X connection when it is imported, so it is imported only with DISPLAY
pointing at the Xvfb, and forgotten again afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from restrike.bus import Bus
from restrike.errors import ConfigError, ReviewError
from restrike.review.component import Review
from restrike.review.hotkey import (
    Hotkey,
    PynputHotkey,
    make_hotkey,
    parse_hotkey,
    pynput_combo,
)
from restrike.review.options import ReviewOptions
from restrike.store import Store
from tests.helpers import wait_until as until
from tests.peers.xvfb import xvfb_display  # noqa: F401 - fixture
from tests.review.conftest import Context, settle
from tests.review.fakes import FakePlayer, FakePool

# --- parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "parts", "combo"), [
    ("F9", ["f9"], "<f9>"),
    ("f12", ["f12"], "<f12>"),
    ("Ctrl+Shift+R", ["ctrl", "shift", "r"], "<ctrl>+<shift>+r"),
    (" control + F9 ", ["ctrl", "f9"], "<ctrl>+<f9>"),
    ("alt+Escape", ["alt", "esc"], "<alt>+<esc>"),
    ("PgUp", ["page_up"], "<page_up>"),
    ("page down", ["page_down"], "<page_down>"),
    ("super+1", ["cmd", "1"], "<cmd>+1"),
    ("ctrl+,", ["ctrl", ","], "<ctrl>+,"),
])
def test_parse(text: str, parts: list[str], combo: str) -> None:
    assert parse_hotkey(text) == parts
    assert pynput_combo(text) == combo


@pytest.mark.parametrize(("text", "says"), [
    ("F99", "unknown key 'F99'"),
    ("ctrl+hyper", "unknown key 'hyper'"),
    ("ctrl+", "empty part"),
    ("+", "empty part"),
    ("ctrl+Control+x", "'Control' appears twice"),
    ("   ", "no key given"),
])
def test_parse_errors_name_the_setting_and_the_key(text: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_hotkey(text)
    assert str(caught.value).startswith(f"review.hotkey = {text!r}: ")
    assert says in str(caught.value)


def test_unknown_key_lists_the_names() -> None:
    with pytest.raises(ConfigError, match=r"one character or one of .*page_up.*f1-f20"):
        make_hotkey("hyper")  # checked before pynput is imported


# --- make_hotkey without a backend ------------------------------------------------------


def test_no_key_no_hotkey() -> None:
    assert make_hotkey(None) is None and make_hotkey("") is None and make_hotkey(" ") is None


def _forget_pynput(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in sys.modules if n == "pynput" or n.startswith("pynput.")]:
        monkeypatch.delitem(sys.modules, name)


def test_pynput_missing_is_logged(monkeypatch: pytest.MonkeyPatch,
                                  caplog: pytest.LogCaptureFixture) -> None:
    _forget_pynput(monkeypatch)
    monkeypatch.setitem(sys.modules, "pynput", None)  # as if not installed
    with caplog.at_level(logging.INFO, "restrike.review.hotkey"):
        assert make_hotkey("F9") is None
    assert "global hotkey F9 off: pynput is not installed" in caplog.text
    assert "POST /api/v1/replay" in caplog.text


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 only")
def test_no_display_is_logged(monkeypatch: pytest.MonkeyPatch,
                              caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("Xlib", reason="pynput is not installed")
    _forget_pynput(monkeypatch)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("PYNPUT_BACKEND", raising=False)
    monkeypatch.delenv("PYNPUT_BACKEND_KEYBOARD", raising=False)
    with caplog.at_level(logging.INFO, "restrike.review.hotkey"):
        assert make_hotkey("F9") is None
    [record] = [r for r in caplog.records if r.name == "restrike.review.hotkey"]
    assert record.levelno == logging.WARNING
    assert "pynput has no keyboard backend here" in record.getMessage()
    assert "\n" not in record.getMessage()  # pynput's long advice is cut to its first line


# --- PynputHotkey with a stand-in listener thread ---------------------------------------


class FakeListener(threading.Thread):
    """Behaves like pynput's listener: a daemon thread, ``_ready`` once hooked."""

    fail: BaseException | None = None
    instances: list[FakeListener] = []  # noqa: RUF012 - test bookkeeping

    def __init__(self, hotkeys: dict[str, Callable[[], None]]) -> None:
        super().__init__(daemon=True)
        if any("<f13>" in key for key in hotkeys):
            raise ValueError("<f13>")  # as pynput on a platform without the key
        self.hotkeys = hotkeys
        self._ready = False
        self._stopped = threading.Event()
        self.press = threading.Event()
        FakeListener.instances.append(self)

    def run(self) -> None:
        if self.fail is not None:
            raise self.fail
        self._ready = True
        while not self._stopped.is_set():
            if self.press.wait(0.01):
                self.press.clear()
                for callback in self.hotkeys.values():
                    callback()

    def stop(self) -> None:
        self._stopped.set()


class FakeKeyboard:
    GlobalHotKeys = FakeListener


async def test_presses_reach_the_loop_thread() -> None:
    hotkey = PynputHotkey("ctrl+F9", FakeKeyboard)
    assert isinstance(hotkey, Hotkey)
    threads: list[int] = []
    hotkey.start(lambda: threads.append(threading.get_ident()))
    listener = FakeListener.instances[-1]
    assert list(listener.hotkeys) == ["<ctrl>+<f9>"] and hotkey.running
    assert listener.name == "restrike-hotkey-ctrl+F9"
    listener.press.set()
    await until(lambda: threads, 2.0, "the press")
    assert threads == [threading.get_ident()]  # the loop's thread, not the listener's
    with pytest.raises(ReviewError, match="already started"):
        hotkey.start(lambda: None)
    hotkey.stop()
    assert not listener.is_alive() and not hotkey.running
    hotkey.stop()  # idempotent


async def test_callback_errors_are_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    hotkey = PynputHotkey("F9", FakeKeyboard)

    def broken() -> None:
        raise RuntimeError("boom")

    hotkey.start(broken)
    listener = FakeListener.instances[-1]
    listener.press.set()
    await until(lambda: "the callback failed" in caplog.text, 2.0, "the log line")
    assert listener.is_alive()  # pynput would have stopped listening on an exception
    hotkey.stop()


def test_without_a_loop_the_callback_runs_on_the_listener_thread() -> None:
    hotkey = PynputHotkey("F9", FakeKeyboard)
    fired: list[int] = []
    done = threading.Event()
    def pressed() -> None:
        fired.append(threading.get_ident())
        done.set()

    hotkey.start(pressed)
    listener = FakeListener.instances[-1]
    listener.press.set()
    assert done.wait(2.0) and fired == [listener.ident]
    hotkey.stop()


async def test_presses_after_the_loop_closed_are_dropped() -> None:
    loop = asyncio.new_event_loop()
    hotkey = PynputHotkey("F9", FakeKeyboard, loop=loop)
    fired: list[int] = []
    hotkey.start(lambda: fired.append(1))
    loop.close()
    hotkey._pressed(loop)  # what the listener thread does on a press: no exception
    hotkey.stop()
    assert fired == []


def test_a_failing_hook_is_a_review_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakeListener, "fail", OSError("can't open display :99\nmore advice"))
    hotkey = PynputHotkey("F9", FakeKeyboard)
    with pytest.raises(ReviewError, match=r"keyboard hook failed: can't open display :99$"):
        hotkey.start(lambda: None)
    assert not hotkey.running and not FakeListener.instances[-1].is_alive()


def test_a_key_pynput_refuses_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="pynput on this system does not know the key"):
        PynputHotkey("F13", FakeKeyboard).start(lambda: None)


# --- the real thing: pynput's X11 backend on Xvfb, keys pressed by xdotool --------------


def _hotkey_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("restrike-hotkey")]


@pytest.fixture
def x_session(xvfb_display: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
              ) -> Iterator[Callable[..., None]]:
    """DISPLAY set to the Xvfb for pynput; yields ``xdotool(*args)`` on that display."""
    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is not installed (apt-get install xdotool)")
    pytest.importorskip("Xlib", reason="pynput is not installed (pip install -e '.[test]')")
    _forget_pynput(monkeypatch)  # imported again, now with a display; forgotten after
    monkeypatch.setenv("DISPLAY", xvfb_display)
    monkeypatch.delenv("PYNPUT_BACKEND", raising=False)
    monkeypatch.delenv("PYNPUT_BACKEND_KEYBOARD", raising=False)
    env = {"PATH": "/usr/bin:/bin", "DISPLAY": xvfb_display}

    def xdotool(*args: str) -> None:  # blocks the loop briefly: presses queue up on it
        subprocess.run(["xdotool", *(("key", *args) if len(args) == 1 else args)], env=env,
                       check=True, timeout=10, capture_output=True)

    yield xdotool
    # pynput bound to this display must not serve later tests (monkeypatch then puts
    # back what was imported before)
    for name in [n for n in sys.modules if n == "pynput" or n.startswith("pynput.")]:
        del sys.modules[name]
    # the session's Xvfb outlives this test, so the suite's leak check is off: check here
    assert _hotkey_threads() == []


def _real_hotkey(key: str) -> PynputHotkey:
    hotkey = make_hotkey(key)
    assert isinstance(hotkey, PynputHotkey), "pynput did not load on the Xvfb display"
    return hotkey


@pytest.mark.peers
async def test_real_f9_on_xvfb(x_session: Callable[..., None]) -> None:
    hotkey = _real_hotkey("F9")
    loop_thread = threading.get_ident()
    fired: list[tuple[int, asyncio.AbstractEventLoop]] = []
    hotkey.start(lambda: fired.append((threading.get_ident(), asyncio.get_running_loop())))
    try:
        [listener] = _hotkey_threads()
        x_session("F9")
        await until(lambda: fired, 2.0, "F9 to reach the callback")
        assert fired == [(loop_thread, asyncio.get_running_loop())]
        assert listener.ident != loop_thread
        x_session("F8")  # another key: nothing
        x_session("keydown", "F9", "keydown", "F9", "keydown", "F9", "keyup", "F9")  # held
        await until(lambda: len(fired) == 2, 2.0, "the held F9")
        x_session("F9")  # again: one more press (the key closes the open review)
        await until(lambda: len(fired) == 3, 2.0, "the third F9")
        await asyncio.sleep(0.2)
        assert len(fired) == 3
    finally:
        hotkey.stop()
    assert not listener.is_alive() and _hotkey_threads() == []
    x_session("F9")  # after stop(): no callback
    await asyncio.sleep(0.3)
    assert len(fired) == 3


@pytest.mark.peers
async def test_real_combination_on_xvfb(x_session: Callable[..., None]) -> None:
    hotkey = _real_hotkey("ctrl+shift+r")
    fired: list[int] = []
    hotkey.start(lambda: fired.append(threading.get_ident()))
    try:
        x_session("r")
        x_session("shift+r")  # part of the combination: nothing
        await asyncio.sleep(0.3)
        assert fired == []
        x_session("ctrl+shift+r")
        await until(lambda: fired, 2.0, "ctrl+shift+r to reach the callback")
        assert fired == [threading.get_ident()]
    finally:
        hotkey.stop()
    assert _hotkey_threads() == []


@pytest.mark.peers
async def test_real_start_stop_leaves_no_thread(x_session: Callable[..., None]) -> None:
    """No key pressed between start and stop: pynput 1.8's X11 stop alone would hang."""
    before = set(threading.enumerate())
    for _ in range(3):
        hotkey = _real_hotkey("F9")
        hotkey.start(lambda: None)
        assert len(_hotkey_threads()) == 1
        hotkey.stop()
        assert _hotkey_threads() == []
    assert [t for t in threading.enumerate() if t not in before and t.is_alive()] == []


@pytest.mark.peers
async def test_real_f9_drives_the_review(x_session: Callable[..., None],
                                         tmp_path: Path, store: Store) -> None:
    """F9 on the X server starts a replay in the real Review, F9 again closes it."""
    review = Review(ReviewOptions(recordings_root=tmp_path / "rec", tournament="Open"),
                    store=store, obs=FakePool(tmp_path / "obs"), player=FakePlayer(),
                    hotkey=_real_hotkey("F9"))
    await review.start(Context(Bus(asyncio.get_running_loop())))
    try:
        x_session("F9")
        await until(lambda: review.flow.active, 2.0, "F9 to start a review")
        await settle(review)
        assert review.review_json()["requested_by"] == "hotkey"
        x_session("F9")
        await until(lambda: not review.flow.active, 2.0, "F9 to close the review")
        await settle(review)
        assert review.review_json()["decided_by"] == "hotkey"
    finally:
        await review.stop()
    assert _hotkey_threads() == []
