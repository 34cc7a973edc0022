"""``MpvPlayer``: the station's mpv, kept running idle, supervised and restarted.

A clip starts with a ``loadfile`` over JSON IPC instead of a new process, which saves
mpv's start-up (about 0.4 s on the reference machine). The named-argument ``loadfile``
form carries the per-file ``start`` option on mpv 0.35 and on 0.38+ alike (the
positional argument order changed in 0.38).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from restrike.callbacks import Subscribers
from restrike.errors import PlayerCommandError, PlayerError, PlayerUnavailable
from restrike.playback import codec
from restrike.playback._state import MpvState
from restrike.playback._waiters import Predicate, Waiters
from restrike.playback.client import MpvIpcClient
from restrike.playback.grid import AngleTrack, angles_graph, angles_options, common_offsets
from restrike.playback.player import (
    PlaybackClosed,
    PlayerDied,
    PlayerEvent,
    PlayerRestarted,
    PlayerStatus,
    SeekMode,
    StatusChanged,
)
from restrike.playback.process import MpvProcess, find_mpv
from restrike.playback.settings import SPEED_MAX, SPEED_MIN, SPEED_PRESETS, PlaybackSettings

__all__ = ["MpvPlayer"]

log = logging.getLogger(__name__)

#: mpv's keys 1..9 show that angle alone, 0 the grid (a ``script-message`` to us).
ANGLE_KEYS = {**{str(n): str(n) for n in range(1, 10)}, "0": "grid"}
_ANGLE_MESSAGE = "restrike-angle"

#: A process that lived this long is restarted at once; quicker deaths back off.
_STABLE_AFTER = 5.0
_FIRST_BACKOFF = 0.2
#: Looks (10 ms apart) a frame step takes at most for a seek in progress to settle.
SETTLE_POLLS = 100


class MpvPlayer:
    """The :class:`~restrike.playback.player.Player` backed by one supervised mpv process.

    ``async with MpvPlayer(settings) as player:`` starts it; or call :meth:`start` and
    :meth:`aclose`. Observed properties keep :meth:`status` current without a round trip.
    """

    def __init__(self, settings: PlaybackSettings | None = None) -> None:
        self.settings = settings or PlaybackSettings()
        self._executable: Path | None = None
        self._mpv: MpvProcess | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._closing = False
        self._subscribers: Subscribers[PlayerEvent] = Subscribers(log, "player subscriber")
        self._state = MpvState()
        self._waiters = Waiters()
        self.restarts = 0
        self.supervisor_failures = 0  # consecutive crashes of the supervisor task
        self._error: str | None = None  # set while the supervisor is down (unhealthy)
        self._supervisor_started = 0.0
        self._key_tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> MpvPlayer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Find and start mpv, idle; PlayerError (naming playback.mpv_path) if impossible."""
        if self._supervisor is not None:
            return
        self._closing = False
        self._error = None
        self.supervisor_failures = 0
        self._executable = find_mpv(self.settings.mpv_path)
        await self._launch()
        self._start_supervisor(self._supervise())
        self._publish_status()

    def _start_supervisor(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` as the supervisor task (aclose cancels and awaits it)."""
        task = asyncio.get_running_loop().create_task(coro, name="mpv-supervisor")
        task.add_done_callback(self._supervisor_done)
        self._supervisor = task
        self._supervisor_started = time.monotonic()

    def _supervisor_done(self, task: asyncio.Task[None]) -> None:
        """A supervisor that crashed is logged, reported (alive false + error) and
        started again after a capped backoff; without it mpv would never be restarted."""
        if task is not self._supervisor or task.cancelled() or self._closing:
            return
        err = task.exception()
        if err is None:
            return  # mpv exited with playback.restart off: nothing to supervise
        if time.monotonic() - self._supervisor_started >= _STABLE_AFTER:
            self.supervisor_failures = 0  # it had been running fine: back off from scratch
        self.supervisor_failures += 1
        backoff = min(_FIRST_BACKOFF * 2 ** (self.supervisor_failures - 1),
                      self.settings.restart_backoff_max)
        log.error("mpv supervisor failed (%s in a row); starting it again in %.1f s",
                  self.supervisor_failures, backoff, exc_info=err)
        self._error = f"mpv supervisor failed: {err!r}"
        self._publish_status()
        self._start_supervisor(self._resupervise(backoff))

    async def _resupervise(self, backoff: float) -> None:
        """After a supervisor crash: wait, make sure mpv runs, then supervise again."""
        await asyncio.sleep(backoff)
        mpv = self._mpv
        if mpv is None or mpv.returncode is not None:
            self._mpv = None
            if mpv is not None:
                await mpv.close(graceful=False)
            self._state.reset()
            await self._relaunch(0.0)
        self._error = None
        self._publish_status()
        await self._supervise()

    async def aclose(self) -> None:
        """Stop supervising, quit mpv (kill it if it does not quit) and release everything."""
        self._closing = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        for task in tuple(self._key_tasks):
            task.cancel()
        await asyncio.gather(*self._key_tasks, return_exceptions=True)
        mpv, self._mpv = self._mpv, None
        if mpv is not None:
            await mpv.close()
        self._state.reset()
        self._waiters.fail(PlayerUnavailable("the player was closed"))
        self._publish_status()

    @property
    def pid(self) -> int | None:
        """The current mpv process id (None while not running)."""
        return self._mpv.pid if self._mpv else None

    @property
    def version(self) -> str:
        """mpv's ``mpv-version`` (e.g. ``mpv 0.35.1``), '' while not running."""
        return self._mpv.version if self._mpv else ""

    async def _launch(self) -> None:
        assert self._executable is not None
        self._state.reset()
        mpv = await MpvProcess.launch(self._executable, self.settings, self._on_message)
        try:
            await self._seed_properties(mpv)
        except BaseException:
            await mpv.close(graceful=False)
            raise
        self._mpv = mpv  # from here on status() says alive

    async def _seed_properties(self, mpv: MpvProcess) -> None:
        """Observation sends initial values too, but status() should be right at once."""
        if mpv.client is None:
            return
        for name in ("pause", "speed", "fullscreen", "idle-active"):
            with contextlib.suppress(PlayerCommandError):
                self._state.props.setdefault(name, await mpv.client.get_property(name))
        client = mpv.client
        # Sent together (one round trip); an mpv without keybind keeps its own keys.
        await asyncio.gather(*(client.command("keybind", key, f"script-message "
                                                              f"{_ANGLE_MESSAGE} {angle}")
                               for key, angle in ANGLE_KEYS.items()), return_exceptions=True)

    async def _supervise(self) -> None:
        """Wait for mpv to die; report it and start a new one, backing off on quick deaths."""
        backoff = 0.0
        while not self._closing:
            mpv = self._mpv
            if mpv is None:
                return
            started = time.monotonic()
            returncode = await mpv.wait_exit()
            self._mpv = None
            await mpv.close(graceful=False)
            if self._closing:
                return
            lived = time.monotonic() - started
            log.warning("mpv %s exited (code %s) after %.1f s", mpv.pid, returncode, lived)
            before = self._state.status(alive=True)
            file, angles = self._state.file_open, self._state.angles
            self._state.reset()
            self._waiters.fail(PlayerUnavailable(f"mpv exited (code {returncode})"))
            self._publish(PlayerDied(returncode, mpv.output))
            if file is not None:
                self._publish(PlaybackClosed(file, "quit" if returncode == 0 else "crashed"))
            self._publish_status()
            if not self.settings.restart:
                return
            backoff = 0.0 if lived >= _STABLE_AFTER else max(_FIRST_BACKOFF, backoff * 2)
            backoff = min(backoff, self.settings.restart_backoff_max)
            await self._relaunch(backoff)
            if returncode != 0 and file is not None and self.settings.reopen_after_crash:
                await self._reopen(before, angles)

    async def _relaunch(self, backoff: float) -> None:
        while not self._closing:
            if backoff:
                await asyncio.sleep(backoff)
            try:
                await self._launch()
            except PlayerError as err:
                log.warning("restarting mpv failed: %s", err)
                backoff = min(max(_FIRST_BACKOFF, backoff * 2), self.settings.restart_backoff_max)
                continue
            self.restarts += 1
            self._publish(PlayerRestarted(self.restarts, self.pid))
            self._publish_status()
            return

    async def _reopen(self, before: PlayerStatus, angles: tuple[AngleTrack, ...]) -> None:
        """After a crash, put the clip back where it was (paused state and speed too)."""
        if before.file is None:
            return
        try:
            if angles and angles[0].path == before.file:
                await self.open_angles([(a.path, a.offset) for a in angles],
                                       before.position or 0.0, paused=before.paused)
            else:
                await self.open(before.file, before.position or 0.0, paused=before.paused)
            if before.speed != 1.0:
                await self.set_speed(before.speed)
        except PlayerError as err:
            log.warning("could not reopen %s after mpv crashed: %s", before.file, err)

    # -- status and events ---------------------------------------------------------------

    def subscribe(self, callback: Callable[[PlayerEvent], None]) -> Callable[[], None]:
        """Call ``callback`` (synchronously, on the loop) for every PlayerEvent."""
        return self._subscribers.add(callback)

    def status(self) -> PlayerStatus:
        return self._state.status(alive=self._alive(), error=self._error)

    def _alive(self) -> bool:
        return self._mpv is not None and not self._closing and self._error is None

    def _publish(self, event: PlayerEvent) -> None:
        self._subscribers.publish(event)

    def _publish_status(self) -> None:
        """StatusChanged when something other than the position changed."""
        status = self._state.changed_status(alive=self._alive(), error=self._error)
        if status is not None:
            self._publish(StatusChanged(status))

    def _on_message(self, message: codec.Event | codec.PropertyChange) -> None:
        if isinstance(message, codec.Event) and message.name == "client-message":
            self._on_client_message(message.fields.get("args"))
        outcome = self._state.apply(message)
        if outcome.failure is not None:
            self._waiters.fail(outcome.failure)
        if outcome.closed is not None:
            self._publish(outcome.closed)
        self._waiters.check()
        if outcome.status_may_change:
            self._publish_status()

    def _on_client_message(self, args: Any) -> None:
        """A key of :data:`ANGLE_KEYS` pressed in mpv's window: switch the angle."""
        if not isinstance(args, list) or len(args) != 2 or args[0] != _ANGLE_MESSAGE:
            return
        angle = None if args[1] == "grid" else int(args[1]) if str(args[1]).isdigit() else 0
        if not self._state.angles or angle == 0:
            return
        task = asyncio.get_running_loop().create_task(self._key_angle(angle),
                                                      name="mpv-angle-key")
        self._key_tasks.add(task)
        task.add_done_callback(self._key_tasks.discard)

    async def _key_angle(self, angle: int | None) -> None:
        try:
            await self.show_angle(angle)
        except PlayerError as err:
            log.info("angle key %s: %s", angle or "grid", err)

    # -- waiting -------------------------------------------------------------------------

    async def wait_position(
        self, at_least: float, *, within: float = 5.0, file: str | None = None
    ) -> float:
        """Wait until the file last opened (or ``file``) reports playback-time >= at_least.

        Fails early if mpv dies or the clip cannot be played or is closed meanwhile."""
        await self._wait_for(
            lambda: self._state.reached(at_least, file),
            within,
            f"playback position >= {at_least:g} s",
        )
        position = self._state.position()
        assert position is not None
        return position

    async def _wait_for(self, predicate: Predicate, within: float, what: str) -> None:
        self._require_client()
        await self._waiters.wait_for(predicate, within, what)

    # -- commands ------------------------------------------------------------------------

    def _require_client(self) -> MpvIpcClient:
        if self._closing or self._supervisor is None:
            raise PlayerUnavailable("the player is not started")
        if self._mpv is None or self._mpv.client is None or self._mpv.client.closed:
            raise PlayerUnavailable("mpv is not running (it is being restarted)")
        return self._mpv.client

    def _require_file(self, action: str) -> MpvIpcClient:
        client = self._require_client()
        if self.status().file is None:
            raise PlayerCommandError(action, "no file is open")
        return client

    async def open(
        self, path: str | os.PathLike[str], start: float | None = None, *, paused: bool = False
    ) -> None:
        """Show ``path`` from ``start`` s (default: playback.start_offset), clearing A-B loops."""
        start = self._start(start)
        target = await _existing(path)
        await self._load(target, {"start": f"{start:.3f}"}, paused, ())
        log.info("opened %s at %.3f s", target, start)

    async def open_angles(
        self, angles: Sequence[tuple[str | os.PathLike[str], float]], start: float | None = None,
        *, paused: bool = False
    ) -> None:
        """Every angle together in a grid, in sync, from the common second ``start``
        (``restrike.playback.grid``: the time line of the angle that starts last); the
        first angle's file is the one mpv opens."""
        start = self._start(start)
        if not angles:
            raise PlayerError("open_angles needs at least one angle")
        paths = await _all_existing([path for path, _ in angles])
        tracks = tuple(AngleTrack(path, float(offset))
                       for path, (_, offset) in zip(paths, angles, strict=True))
        if not all(codec.is_finite_number(t.offset) for t in tracks):
            raise PlayerError("angle offsets must be numbers of seconds")
        await self._load(tracks[0].path, angles_options(tracks, start), paused, tracks)
        log.info("opened %s angles (%s) at %.3f s", len(tracks), tracks[0].path, start)

    async def show_angle(self, angle: int | None) -> None:
        """Angle ``angle`` (1-based) alone, full size, or the grid (None); same position."""
        client = self._require_file("angle")
        tracks = self._state.angles
        if not tracks:
            raise PlayerCommandError("angle", "the open clip has no angles")
        if angle is not None and not 1 <= angle <= len(tracks):
            raise PlayerCommandError("angle", f"angle {angle} is not open (1..{len(tracks)})")
        shown = None if angle is None else angle - 1
        await client.set_property("lavfi-complex", angles_graph(
            common_offsets([t.offset for t in tracks]), shown))
        self._state.angle_shown = shown
        self._publish_status()

    def _start(self, start: float | None) -> float:
        start = self.settings.start_offset if start is None else start
        if not codec.is_finite_number(start) or start < 0:
            raise PlayerError(f"start must be a number of seconds >= 0, not {start!r}")
        return float(start)

    async def _load(self, target: str, options: dict[str, str], paused: bool,
                    angles: tuple[AngleTrack, ...]) -> None:
        client = self._require_client()
        # Sent together (mpv answers in order): one round trip before the loadfile.
        await asyncio.gather(client.set_property("pause", paused),
                             client.set_property("ab-loop-a", "no"),
                             client.set_property("ab-loop-b", "no"))
        self._state.load_started()
        self._state.angles, self._state.angle_shown = angles, None
        reply = None
        try:
            reply = await client.command_named("loadfile", url=target, flags="replace",
                                               options=options)
        finally:
            self._state.load_finished(reply)

    async def play(self) -> None:
        await self._require_client().set_property("pause", False)

    async def pause(self) -> None:
        await self._require_client().set_property("pause", True)

    async def toggle(self) -> None:
        await self._require_client().command("cycle", "pause")

    async def set_speed(self, value: float) -> None:
        """Any speed in 0.1..4 (the console offers 0.25, 0.5, 1, 2)."""
        if not codec.is_finite_number(value) or not SPEED_MIN <= value <= SPEED_MAX:
            presets = ", ".join(f"{s:g}" for s in SPEED_PRESETS)
            raise PlayerError(
                f"speed {value!r} is outside {SPEED_MIN:g}..{SPEED_MAX:g} (presets {presets})"
            )
        await self._require_client().set_property("speed", float(value))

    async def frame_step(self) -> None:
        await self._step("frame_step", "frame-step")

    async def frame_back_step(self) -> None:
        await self._step("frame_back_step", "frame-back-step")

    async def _step(self, action: str, command: str) -> None:
        """A step sent while mpv still seeks is merged into that seek (no frame moves):
        wait for the seek to settle first (at most ``SETTLE_POLLS`` looks)."""
        client = self._require_file(action)
        for _ in range(SETTLE_POLLS):
            if await client.get_property("seeking") is not True:
                break
            await asyncio.sleep(0.01)
        await client.command(command)

    async def seek(self, seconds: float, mode: SeekMode = "relative") -> None:
        """Exact seek, ``relative`` to the position (±1, ±5...) or to an ``absolute`` second."""
        if mode not in ("relative", "absolute"):
            raise PlayerError(f"seek mode must be 'relative' or 'absolute', not {mode!r}")
        if not codec.is_finite_number(seconds):
            raise PlayerError(f"seek needs a number of seconds, not {seconds!r}")
        await self._require_file("seek").command("seek", float(seconds), f"{mode}+exact")

    async def _set_loop_point(self, name: str, at: float | None) -> None:
        client = self._require_file(name)
        if at is None:
            at = _number(await client.get_property("time-pos"))
            if at is None:
                raise PlayerCommandError(name, "the position is not known yet")
        elif not codec.is_finite_number(at) or at < 0:
            raise PlayerError(f"{name} needs a second >= 0, not {at!r}")
        await client.set_property(name, float(at))

    async def set_loop_a(self, at: float | None = None) -> None:
        """Loop start at ``at`` s (default: the current position)."""
        await self._set_loop_point("ab-loop-a", at)

    async def set_loop_b(self, at: float | None = None) -> None:
        """Loop end at ``at`` s (default: the current position); looping starts once A < B."""
        await self._set_loop_point("ab-loop-b", at)

    async def clear_loop(self) -> None:
        client = self._require_client()
        await client.set_property("ab-loop-a", "no")
        await client.set_property("ab-loop-b", "no")

    async def set_fullscreen(self, on: bool, *, screen: int | None = None) -> None:
        """Fullscreen on or off; ``screen`` also moves fullscreen to that screen number."""
        client = self._require_client()
        if screen is not None:
            if screen < 0:
                raise PlayerError(f"screen must be >= 0, not {screen!r}")
            await client.set_property("fs-screen", str(screen))
        await client.set_property("fullscreen", bool(on))

    async def stop(self) -> None:
        """Close the file; mpv stays running, idle, ready for the next clip."""
        client = self._require_client()
        self._state.stop_started()
        await client.command("stop")


async def _existing(path: str | os.PathLike[str]) -> str:
    """``path`` as text; PlayerError if it is a local file that is not there."""
    (target,) = await _all_existing([path])
    return target


async def _all_existing(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """``paths`` as text, checked in one worker-thread hop (a review's angles open right
    after their saves); PlayerError naming the first local file that is not there."""
    targets = [os.fspath(path) for path in paths]
    local = [t for t in targets if "://" not in t]
    missing = await asyncio.to_thread(
        lambda: next((t for t in local if not os.path.isfile(t)), None)) if local else None
    if missing is not None:
        raise PlayerError(f"cannot open {missing}: no such file")
    return targets


def _number(value: Any) -> float | None:
    return float(value) if codec.is_finite_number(value) else None
