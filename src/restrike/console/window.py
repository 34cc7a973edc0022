"""``restrike run --window``: the console in a native window (pywebview, optional extra).

The window is docked to the left or right edge of the first screen, full height,
optionally always on top, and hidden while mpv shows a review (so the referee sees the
clip, not the console) and shown again when the review ends. pywebview must own the
main thread, so the station runs on a thread of its own (`run_with_window`).

Install the extra with ``pip install 'restrike[window]'``; without it `check_available`
raises a ConfigError that says so (``restrike run --window`` exits with code 2).
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from restrike.errors import ConfigError

__all__ = [
    "WindowOptions",
    "check_available",
    "dock_geometry",
    "run_with_window",
    "should_hide",
    "show_console",
]

log = logging.getLogger(__name__)

INSTALL_HINT = ("restrike run --window needs pywebview, which is not installed: "
                "pip install 'restrike[window]' (or run without --window and open the "
                "console in a browser)")


@dataclass(frozen=True, slots=True)
class WindowOptions:
    side: Literal["left", "right"] = "right"
    width: int = 480
    on_top: bool = False
    hide_during_review: bool = True
    poll_seconds: float = 0.5
    title: str = "reStrike VTA"

    def __post_init__(self) -> None:
        if self.side not in ("left", "right"):
            raise ConfigError(f"window side must be left or right, not {self.side!r}")
        if not 240 <= self.width <= 4000:
            raise ConfigError(f"window width must be between 240 and 4000, not {self.width}")


def check_available() -> Any:
    """The ``webview`` module, or ConfigError with the install command."""
    try:
        import webview  # type: ignore[import-not-found,unused-ignore]
    except ImportError as err:
        raise ConfigError(INSTALL_HINT) from err
    return webview


def dock_geometry(screen: tuple[int, int, int, int] | None,
                  options: WindowOptions) -> tuple[int, int, int, int]:
    """(x, y, width, height) of a window docked to one edge of ``screen`` (x, y, w, h)."""
    sx, sy, sw, sh = screen or (0, 0, 1920, 1080)
    width = min(options.width, sw)
    x = sx if options.side == "left" else sx + sw - width
    return x, sy, width, sh


def should_hide(review: Mapping[str, Any] | None, playback: Mapping[str, Any] | None) -> bool:
    """Hide the console while a review is open and mpv has its clip on screen."""
    if not review or not review.get("active"):
        return False
    if playback is None:
        return True  # no player information: the review alone decides
    return bool(playback.get("file")) and playback.get("alive", True) is not False


def _get_json(url: str, timeout: float = 2.0) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            data = json.load(resp)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class _Watcher:
    """Polls the station's review and player state and hides/shows the window."""

    def __init__(self, base_url: str, window: Any, options: WindowOptions,
                 stop: threading.Event) -> None:
        self.base = base_url.rstrip("/")
        self.window = window
        self.options = options
        self.stop = stop
        self.hidden = False

    def run(self) -> None:
        while not self.stop.wait(self.options.poll_seconds):
            review = _get_json(self.base + "/api/v1/review")
            playback = _get_json(self.base + "/api/v1/playback") if review else None
            hide = should_hide(review, playback)
            if hide == self.hidden:
                continue
            self.hidden = hide
            try:
                if hide:
                    self.window.hide()
                else:
                    self.window.show()
                    if self.options.on_top:
                        self.window.on_top = True
            except Exception:  # the window may be closing; never kill the watcher
                log.debug("window hide/show failed", exc_info=True)
            log.info("console window %s", "hidden for the review" if hide else "shown")


def show_console(url: str, options: WindowOptions | None = None,
                 *, webview: Any = None) -> None:
    """Open the console window and block (on the main thread) until it is closed."""
    options = options or WindowOptions()
    webview = webview or check_available()
    screens = list(getattr(webview, "screens", None) or [])
    screen = None
    if screens:
        first = screens[0]
        screen = (int(getattr(first, "x", 0)), int(getattr(first, "y", 0)),
                  int(first.width), int(first.height))
    x, y, width, height = dock_geometry(screen, options)
    window = webview.create_window(options.title, url, x=x, y=y, width=width, height=height,
                                   resizable=True, on_top=options.on_top,
                                   background_color="#0B0D10")
    stop = threading.Event()
    watcher = _Watcher(url, window, options, stop)
    thread: threading.Thread | None = None
    if options.hide_during_review:
        thread = threading.Thread(target=watcher.run, name="console-window-watch", daemon=True)
        thread.start()
    try:
        webview.start()
    finally:
        stop.set()
        if thread is not None:
            thread.join(options.poll_seconds + 3)


def run_with_window(start_station: Callable[[Callable[[str], None]], object],
                    stop_station: Callable[[], None], options: WindowOptions | None = None,
                    *, ready_timeout: float = 60.0, webview: Any = None) -> None:
    """Run ``start_station(on_ready)`` on a thread, show the window, stop on close.

    ``start_station`` blocks while the station runs and calls ``on_ready(url)`` once the
    console is served; ``stop_station()`` asks it to shut down (called when the window
    closes). ConfigError if pywebview is missing (checked before anything starts).
    """
    webview = webview or check_available()
    ready = threading.Event()
    urls: list[str] = []

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    def body() -> None:
        try:
            start_station(on_ready)
        finally:
            ready.set()

    station = threading.Thread(target=body, name="station")
    station.start()
    try:
        if not ready.wait(ready_timeout) or not urls:
            raise ConfigError("the station did not start, so the console window was not opened")
        show_console(urls[0], options, webview=webview)
    finally:
        stop_station()
        station.join(30)
