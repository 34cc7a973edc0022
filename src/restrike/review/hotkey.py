"""A global hotkey that starts a replay: OS-specific, so behind a small Protocol.

The console's Replay button and ``POST /api/v1/replay`` are the primary triggers. A
global hotkey needs a desktop session and an OS hook; :func:`make_hotkey` returns a
backend when one is available (``pynput``: Windows, macOS with the accessibility
permission, Linux under X11) and None otherwise, which the station logs and ignores.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

__all__ = ["Hotkey", "PynputHotkey", "make_hotkey", "pynput_combo"]

log = logging.getLogger(__name__)


@runtime_checkable
class Hotkey(Protocol):
    """Calls ``callback`` (from any thread) each time the key is pressed."""

    def start(self, callback: Callable[[], None]) -> None: ...
    def stop(self) -> None: ...


def pynput_combo(text: str) -> str:
    """``F9`` / ``ctrl+shift+r`` → pynput's ``<f9>`` / ``<ctrl>+<shift>+r``."""
    parts = []
    for raw in text.lower().replace(" ", "").split("+"):
        if not raw:
            continue
        parts.append(raw if len(raw) == 1 else f"<{raw}>")
    return "+".join(parts)


class PynputHotkey:
    """A pynput ``GlobalHotKeys`` listener (its own thread)."""

    def __init__(self, combo: str, keyboard: Any) -> None:
        self.combo = pynput_combo(combo)
        self._keyboard = keyboard
        self._listener: Any = None

    def start(self, callback: Callable[[], None]) -> None:
        self._listener = self._keyboard.GlobalHotKeys({self.combo: callback})
        self._listener.start()

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None


def make_hotkey(combo: str | None) -> Hotkey | None:
    """A hotkey backend for ``combo``, or None (no key set, no backend, no desktop)."""
    if not combo:
        return None
    try:
        keyboard = importlib.import_module("pynput.keyboard")
    except Exception as err:  # ImportError, or pynput failing without a display
        log.info("no global hotkey (%s); use the console's Replay button or the API", err)
        return None
    return PynputHotkey(combo, keyboard)
