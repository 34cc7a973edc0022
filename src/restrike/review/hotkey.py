"""A global hotkey that starts a replay: OS-specific, so behind a small Protocol.

The console's Replay button and ``POST /api/v1/replay`` are the primary triggers. A
global hotkey needs a desktop session and an OS hook; :func:`make_hotkey` returns a
backend when one is available (``pynput``: Windows, macOS with the accessibility
permission, Linux under X11) and None otherwise, which it logs once.

The key is written as in the settings (``F9``, ``ctrl+shift+r``); :func:`parse_hotkey`
checks it without pynput, so a typo is a :class:`~restrike.errors.ConfigError` on every
platform, not only where pynput happens to load.

pynput runs its listener in a thread of its own. :class:`PynputHotkey` never runs the
callback there: it hands each press to the event loop that was running when
:meth:`~PynputHotkey.start` was called (``loop.call_soon_threadsafe``). pynput is imported
only by :func:`make_hotkey`: on Linux its import opens an X connection and fails without
a display.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from restrike.errors import ConfigError, ReviewError

__all__ = ["KEY_NAMES", "Hotkey", "PynputHotkey", "make_hotkey", "parse_hotkey",
           "pynput_combo", "start_on_loop"]

log = logging.getLogger(__name__)

#: Named keys every pynput backend knows (pynput's ``Key`` members), plus F1-F20.
#: ``insert``, ``menu``, ``num_lock``, ``pause``, ``print_screen`` and ``scroll_lock``
#: do not exist on macOS; pynput refuses them there when the listener starts.
KEY_NAMES = frozenset({
    "alt", "alt_l", "alt_r", "alt_gr", "backspace", "caps_lock", "cmd", "cmd_l", "cmd_r",
    "ctrl", "ctrl_l", "ctrl_r", "delete", "down", "end", "enter", "esc", "home", "left",
    "page_down", "page_up", "right", "shift", "shift_l", "shift_r", "space", "tab", "up",
    "media_play_pause", "media_volume_mute", "media_volume_down", "media_volume_up",
    "media_previous", "media_next", "insert", "menu", "num_lock", "pause", "print_screen",
    "scroll_lock", *(f"f{n}" for n in range(1, 21)),
})

#: Other spellings people write in a settings file.
ALIASES = {
    "control": "ctrl", "escape": "esc", "return": "enter", "del": "delete",
    "ins": "insert", "pgup": "page_up", "pageup": "page_up", "pgdn": "page_down",
    "pagedown": "page_down", "win": "cmd", "super": "cmd", "meta": "cmd", "command": "cmd",
    "option": "alt", "altgr": "alt_gr", "printscreen": "print_screen", "prtsc": "print_screen",
    "capslock": "caps_lock", "numlock": "num_lock", "scrolllock": "scroll_lock",
}

_NAMES_TEXT = ", ".join([*sorted(n for n in KEY_NAMES if not n[1:].isdigit()), "f1-f20"])

#: How long :meth:`PynputHotkey.start` and :meth:`PynputHotkey.stop` wait for the hook.
START_TIMEOUT = 5.0
STOP_TIMEOUT = 2.0


@runtime_checkable
class Hotkey(Protocol):
    """Calls ``callback`` each time the key is pressed (see each backend for the thread)."""

    def start(self, callback: Callable[[], None]) -> None: ...
    def stop(self) -> None: ...


def parse_hotkey(text: str, *, setting: str = "review.hotkey") -> list[str]:
    """``"Ctrl+Shift+R"`` → ``["ctrl", "shift", "r"]``; ConfigError naming what is wrong.

    A part is one character (``r``, ``1``, ``,``) or a key name (:data:`KEY_NAMES`, or
    an alias such as ``control``, ``escape``, ``pgup``), case-insensitive; parts are
    joined with ``+`` and may not repeat.
    """
    def bad(why: str) -> ConfigError:
        return ConfigError(f"{setting} = {text!r}: {why} (examples: 'F9', 'ctrl+shift+r')")

    if not text or not text.strip():
        raise bad("no key given (leave the setting empty to turn the hotkey off)")
    parts: list[str] = []
    for raw in text.strip().split("+"):
        part = raw.strip()
        if not part:
            raise bad("an empty part between '+' signs ('+' itself cannot be the key)")
        if len(part) > 1:
            part = part.lower().replace(" ", "_").replace("-", "_")
            part = ALIASES.get(part, part)
            if part not in KEY_NAMES:
                raise bad(f"unknown key {raw.strip()!r}; a key is one character or one of "
                          f"{_NAMES_TEXT}")
        else:
            part = part.lower()
        if part in parts:
            raise bad(f"{raw.strip()!r} appears twice")
        parts.append(part)
    return parts


def pynput_combo(text: str) -> str:
    """``F9`` / ``ctrl+shift+r`` → pynput's ``<f9>`` / ``<ctrl>+<shift>+r``."""
    return "+".join(p if len(p) == 1 else f"<{p}>" for p in parse_hotkey(text))


@functools.cache
def _listener_type(keyboard: Any) -> type[Any]:
    """pynput's ``GlobalHotKeys`` whose thread keeps its failure instead of crashing.

    Without this an X connection refused in the thread ends it with a traceback on
    stderr and leaves :meth:`PynputHotkey.start` nothing to report.
    """
    base: type[Any] = keyboard.GlobalHotKeys

    class RestrikeHotKeys(base):  # type: ignore[misc]
        failure: BaseException | None = None

        def run(self) -> None:
            try:
                super().run()
            except Exception as err:  # the OS hook failed: reported by start()
                self.failure = err

    return RestrikeHotKeys


class PynputHotkey:
    """A pynput ``GlobalHotKeys`` listener (its own thread); presses go to the event loop.

    ``keyboard`` is the ``pynput.keyboard`` module (or a stand-in with ``GlobalHotKeys``).
    The callback runs on ``loop``, or on the loop running when :meth:`start` is called;
    with no loop at all, on pynput's thread.
    """

    def __init__(self, combo: str, keyboard: Any, *,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.key = combo
        self.combo = pynput_combo(combo)
        self._keyboard = keyboard
        self._loop = loop
        self._listener: Any = None
        self._callback: Callable[[], None] | None = None

    @property
    def running(self) -> bool:
        """True between a successful :meth:`start` and :meth:`stop`."""
        return self._listener is not None

    def start(self, callback: Callable[[], None]) -> None:
        """Install the hook; return once it listens. ReviewError if the OS refused it."""
        if self._listener is not None:
            raise ReviewError(f"global hotkey {self.key!r} is already started")
        loop = self._loop
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
        self._callback = callback
        try:
            listener = _listener_type(self._keyboard)({self.combo: functools.partial(
                self._pressed, loop)})
        except ValueError as err:  # this platform's pynput has no such key
            raise ConfigError(f"review.hotkey = {self.key!r}: pynput on this system does "
                              f"not know the key ({err})") from err
        if isinstance(listener, threading.Thread):
            listener.name = f"restrike-hotkey-{self.key}"
        listener.start()
        self._listener = listener
        if isinstance(listener, threading.Thread):
            self._wait_ready(listener)
        log.info("global hotkey %s listening (pynput)", self.key)

    def _wait_ready(self, listener: Any) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        # pynput marks a listener ready once its OS hook is in place (``wait()`` has no
        # timeout and never returns if the hook fails, hence this bounded poll).
        while not getattr(listener, "_ready", True):
            if not listener.is_alive() or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        failure = getattr(listener, "failure", None)
        if listener.is_alive() and getattr(listener, "_ready", True):
            return
        self._listener = None
        if listener.is_alive():  # neither ready nor failed; not stop(): pynput's X11 stop
            # would wait for the hook forever. The thread is a daemon.
            raise ReviewError(f"global hotkey {self.key!r}: the keyboard hook did not start "
                              f"within {START_TIMEOUT:.0f} s")
        raise ReviewError(f"global hotkey {self.key!r}: the keyboard hook failed: "
                          f"{_first_line(failure)}") from failure

    def _pressed(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """On pynput's thread: hand the press to the loop; never raise (it would stop pynput)."""
        if loop is None:
            self._run_callback()
            return
        try:
            loop.call_soon_threadsafe(self._run_callback)
        except RuntimeError:  # the loop is closed: the station is shutting down
            log.debug("hotkey %s pressed after the event loop closed", self.key)

    def _run_callback(self) -> None:
        callback = self._callback
        if callback is None or self._listener is None:
            return  # pressed just as stop() ran
        try:
            callback()
        except Exception:
            log.exception("global hotkey %s: the callback failed", self.key)

    def stop(self) -> None:
        """Remove the hook and join pynput's thread (idempotent)."""
        listener, self._listener = self._listener, None
        self._callback = None
        if listener is None:
            return
        listener.stop()
        if not isinstance(listener, threading.Thread):
            return
        _join(listener, 0.1)  # a fixed pynput ends here
        if listener.is_alive():
            _wake_xorg_listener(listener)
            _join(listener, STOP_TIMEOUT)
        if listener.is_alive():
            log.warning("global hotkey %s: pynput's thread did not stop within %.0f s "
                        "(it is a daemon thread and ends at the next key press)",
                        self.key, STOP_TIMEOUT)


def _join(listener: Any, timeout: float) -> None:
    try:
        listener.join(timeout)
    except Exception as err:  # pynput re-raises here what failed in its thread
        log.warning("global hotkey: pynput's listener failed: %s", err)


def _wake_xorg_listener(listener: Any) -> None:
    """Work around pynput's X11 listener that ignores ``stop()`` until the next X event.

    pynput 1.8's X11 backend sends its "disable the recording" request on the connection
    its own thread is blocked reading, so the request waits there unflushed. Sending it
    on pynput's second connection, then flushing, ends the thread at once. Only the
    objects pynput made are used (no X library is imported here), and only when they
    exist: on Windows and macOS this does nothing.
    """
    display = getattr(listener, "_display_stop", None)
    context = getattr(listener, "_context", None)
    if display is None or context is None:
        return
    try:
        display.record_disable_context(context)
        display.flush()
    except Exception as err:  # the X server went away: the thread ends by itself
        log.debug("hotkey: waking pynput's X11 listener failed: %s", err)


def _first_line(err: BaseException | None) -> str:
    text = str(err).strip() if err is not None else ""
    return text.splitlines()[0] if text else (type(err).__name__ if err else "unknown error")


def make_hotkey(combo: str | None) -> Hotkey | None:
    """A hotkey backend for ``combo``, or None (no key set, no backend, no desktop).

    ConfigError if ``combo`` is not a key (checked before pynput is imported).
    """
    if combo is None or not combo.strip():
        return None
    parse_hotkey(combo)
    fallback = "the console's Replay button and POST /api/v1/replay start a replay"
    try:
        keyboard = importlib.import_module("pynput.keyboard")
    except ModuleNotFoundError as err:
        if err.name is not None and not err.name.startswith("pynput"):
            log.warning("global hotkey %s off: pynput failed to import: %s; %s",
                        combo, err, fallback)
        else:
            log.info("global hotkey %s off: pynput is not installed (pip install "
                     "'restrike[hotkey]'); %s", combo, fallback)
        return None
    except Exception as err:  # ImportError without a display, or a broken backend
        log.warning("global hotkey %s off: pynput has no keyboard backend here (%s); %s",
                    combo, _first_line(err), fallback)
        return None
    return PynputHotkey(combo, keyboard)


def start_on_loop(hotkey: Hotkey, callback: Callable[[], None], combo: str | None) -> bool:
    """Start ``hotkey`` so that ``callback`` runs on the running event loop, whatever
    thread the backend calls from; False (logged) when the OS refuses the hook."""
    loop = asyncio.get_running_loop()

    def pressed() -> None:  # on the backend's thread
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(callback)

    try:
        hotkey.start(pressed)
    except Exception as err:  # the OS refused the hook (no desktop session...)
        log.warning("global hotkey %r unavailable: %s", combo, err)
        return False
    return True
