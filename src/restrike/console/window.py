"""``restrike run --window``: the console in a native window (pywebview, optional extra).

The window is docked to the left or right edge of the first screen, full height,
optionally always on top, and hidden while mpv shows a review (so the referee sees the
clip, not the console) and shown again when the review ends: `WindowFollower` listens
to the station's bus (the review broadcasts and the player status), no polling.
pywebview must own the main thread, so the station runs on a thread of its own
(`run_with_window`).

Install the extra with ``pip install 'restrike[window]'``; without it `check_available`
raises a ConfigError that says so (``restrike run --window`` exits with code 2).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from restrike.errors import ConfigError

__all__ = [
    "WindowFollower",
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


class WindowFollower:
    """Hides the window while a review plays in mpv and shows it afterwards.

    Fed by the station's bus (``attach(bus)`` on the loop): ``Broadcast("review")``
    bodies and ``StatusChanged("player")`` statuses. pywebview's ``hide``/``show`` may
    wait for the GUI thread, so they run on a thread of their own, never on the loop.
    The window can be given later (``set_window``): the current state is applied then.
    """

    def __init__(self, options: WindowOptions, window: Any = None) -> None:
        self.options = options
        self.window = window
        self.review: Mapping[str, Any] | None = None
        self.player: Mapping[str, Any] | None = None
        self.hidden = False
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[bool | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def attach(self, bus: Any, player: Mapping[str, Any] | None = None) -> Callable[[], None]:
        """Follow ``bus``; returns the unsubscribe callable."""
        from restrike.bus import Broadcast, StatusChanged

        self.player = player

        def on_review(event: Broadcast) -> None:
            if event.type == "review" and isinstance(event.body, Mapping):
                self.update(review=event.body)

        def on_status(event: StatusChanged) -> None:
            if event.component == "player" and isinstance(event.status, Mapping):
                self.update(player=event.status)

        unsubscribe = [bus.subscribe(Broadcast, on_review), bus.subscribe(StatusChanged,
                                                                          on_status)]

        def detach() -> None:
            for unsub in unsubscribe:
                unsub()

        return detach

    def set_window(self, window: Any) -> None:
        with self._lock:
            self.window = window
            hide = self.hidden
        if hide:
            self._queue(True)

    def update(self, *, review: Mapping[str, Any] | None = None,
               player: Mapping[str, Any] | None = None) -> None:
        """New review and/or player state (any thread); hides or shows on a change."""
        with self._lock:
            if review is not None:
                self.review = review
            if player is not None:
                self.player = player
            hide = should_hide(self.review, self.player)
            if hide == self.hidden or not self.options.hide_during_review:
                return
            self.hidden = hide
            ready = self.window is not None
        log.info("console window %s", "hidden for the review" if hide else "shown")
        if ready:
            self._queue(hide)

    def _queue(self, hide: bool) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="console-window",
                                            daemon=True)
            self._thread.start()
        self._jobs.put(hide)

    def _run(self) -> None:
        while (hide := self._jobs.get()) is not None:
            try:
                if hide:
                    self.window.hide()
                else:
                    self.window.show()
                    if self.options.on_top:
                        self.window.on_top = True
            except Exception:  # the window may be closing; never kill the follower
                log.debug("window hide/show failed", exc_info=True)

    def close(self, timeout: float = 3.0) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout)
            self._thread = None


def show_console(url: str, options: WindowOptions | None = None, *, webview: Any = None,
                 follower: WindowFollower | None = None,
                 on_window: Callable[[Any], None] | None = None) -> None:
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
    if follower is not None:
        follower.set_window(window)
    if on_window is not None:
        on_window(window)
    try:
        webview.start()
    finally:
        if follower is not None:
            follower.close()


def run_with_window(start_station: Callable[[Callable[..., None]], object],
                    stop_station: Callable[[], None], options: WindowOptions | None = None,
                    *, ready_timeout: float = 60.0, webview: Any = None) -> None:
    """Run ``start_station(on_ready)`` on a thread, show the window, stop on close.

    ``start_station`` blocks while the station runs and calls ``on_ready(url, bus)``
    once the console is served (on the station's loop: the window then follows the
    review and the player on ``bus``; ``bus`` may be None); ``stop_station()`` asks
    it to shut down (called when the window closes, on Ctrl-C in the terminal, and on
    SIGTERM/SIGHUP where they exist). When the station ends by itself the window
    closes. ConfigError if pywebview is missing (checked before anything starts).
    """
    options = options or WindowOptions()
    webview = webview or check_available()
    follower = WindowFollower(options)
    ready = threading.Event()
    urls: list[str] = []
    windows: list[Any] = []
    detach: list[Callable[[], None]] = []

    def on_ready(url: str, bus: Any = None, player: Mapping[str, Any] | None = None) -> None:
        if bus is not None:
            detach.append(follower.attach(bus, player))
        urls.append(url)
        ready.set()

    def body() -> None:
        try:
            start_station(on_ready)
        finally:
            for unsubscribe in detach:
                unsubscribe()
            ready.set()
            for window in windows:  # the station ended (signal, failure): close the window
                with contextlib.suppress(Exception):
                    window.destroy()

    station = threading.Thread(target=body, name="station")
    restore = _stop_on_signals(stop_station)
    station.start()
    try:
        if not ready.wait(ready_timeout) or not urls:
            raise ConfigError("the station did not start, so the console window was not opened")
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C in the terminal: stop
            show_console(urls[0], options, webview=webview, follower=follower,
                         on_window=windows.append)
    finally:
        stop_station()
        station.join(30)
        follower.close()
        restore()


def _stop_on_signals(stop: Callable[[], None]) -> Callable[[], None]:
    """SIGTERM (and SIGHUP where it exists) call ``stop``; returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous: list[tuple[int, Any]] = []
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is None:
            continue
        with contextlib.suppress(ValueError, OSError):
            previous.append((sig, signal.signal(sig, lambda _n, _f: stop())))

    def restore() -> None:
        for sig, handler in previous:
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, handler)

    return restore
