"""The review player as a station component: mpv started with the station, kept idle.

mpv is started with the station and kept idle, so a replay is one IPC command, not a
process start. If mpv cannot be started (not installed, bad ``playback.mpv_path``) the
station still runs: the component is unhealthy with the player's error and keeps
trying, with a growing pause, so installing mpv later needs no restart.

mpv runs in its own session / process group (Ctrl-C in the terminal does not reach
it); the station closes it in the CLOSE stage on every way out (stop, Ctrl-C,
SIGTERM, SIGHUP). Its pid is recorded in ``<data_dir>/mpv.pid`` while it runs, so an
mpv left behind by a station killed with SIGKILL is stopped when the station starts
again. ``playback.start_offset`` and ``playback.fullscreen`` apply live
(`SettingsChanged`); fullscreen also switches the running mpv over IPC. A
`PlayerSeekRequested` (the analysis plugin's impact) moves the replay only while it
is still in its first moments (`seek_refusal`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from restrike.bus import Bus, PlayerSeekRequested, SettingsChanged
from restrike.bus import StatusChanged as LiveStatusChanged
from restrike.errors import PlayerError
from restrike.kernel import Context, Health, Stage
from restrike.playback.api import make_router
from restrike.playback.mpv import MpvPlayer
from restrike.playback.player import PlayerEvent, PlayerRestarted, PlayerStatus, StatusChanged
from restrike.playback.process import forget_pid, kill_recorded, record_pid

__all__ = ["LIVE_SETTINGS", "PlaybackComponent", "seek_refusal"]

log = logging.getLogger(__name__)

#: First and longest pause between attempts to start an mpv that could not start.
RETRY_FIRST = 1.0
RETRY_MAX = 30.0
#: The settings the component applies while it runs.
LIVE_SETTINGS = frozenset({"playback.start_offset", "playback.fullscreen"})
#: A position this far before where the replay opened still counts as its start (mpv
#: lands on the keyframe or frame before); further back, someone moved it by hand.
OPEN_SLACK = 0.5
#: How long a seek request waits for the clip it names to be loaded.
OPEN_WAIT = 2.0


def _same_file(a: str, b: str) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def seek_refusal(status: PlayerStatus, request: PlayerSeekRequested) -> str | None:
    """Why the player must not move for ``request`` (None: it may): the replay must
    still be in its first moments, untouched (see `PlayerSeekRequested`)."""
    if not status.alive or status.file is None:
        return "no clip is shown"
    if not _same_file(status.file, request.file):
        return f"{status.file} is shown, not that clip"
    if status.paused:
        return "the replay is paused"
    if status.position is None:
        return "the clip is still opening"
    if status.position < request.opened_at - OPEN_SLACK:
        return f"the replay was moved back (at {status.position:.1f} s)"
    if status.position > request.opened_at + request.within:
        return (f"the replay has played {status.position - request.opened_at:.1f} s "
                f"(more than {request.within:g} s)")
    return None


class PlaybackComponent:
    """The review player as a station component (name ``playback``).

    ``PlaybackComponent(player, allowed_roots=...)``: mounts ``/api/v1/playback``
    (``open`` limited to ``allowed_roots``), publishes every player status change as
    ``StatusChanged("player", ...)`` (the live ``status.player``), closes mpv in the
    CLOSE stage. Once mpv is up, the player restarts it if it dies.
    """

    name = "playback"
    live_settings = LIVE_SETTINGS

    def __init__(self, player: MpvPlayer, *, allowed_roots: Sequence[Path] = (),
                 retry_first: float = RETRY_FIRST, retry_max: float = RETRY_MAX,
                 pid_file: Path | None = None) -> None:
        self.player = player
        self.allowed_roots = [Path(r) for r in allowed_roots]
        self.retry_first = retry_first
        self.retry_max = retry_max
        self.error: str | None = None
        self.attempts = 0
        self.started = False
        self._closing = False
        self._ctx: Context | None = None
        self._bus: Bus | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._retry: asyncio.Task[None] | None = None
        self.pid_file = pid_file
        self.stale_killed: int | None = None

    async def start(self, ctx: Context) -> None:
        self._ctx = ctx
        self._bus = ctx.bus
        self._closing = False
        if self.pid_file is None:
            self.pid_file = ctx.data_dir / "mpv.pid"
        self.stale_killed = await asyncio.to_thread(kill_recorded, self.pid_file)
        self._unsubscribe += [self.player.subscribe(self._on_player_event),
                              ctx.bus.subscribe(SettingsChanged, self._on_settings),
                              ctx.bus.subscribe(PlayerSeekRequested, self._on_seek_request)]
        ctx.add_router(make_router(self.player, allowed_roots=self.allowed_roots))
        if not await self._try_start():
            self._retry = ctx.create_task(self._keep_trying(), name="playback-start")
        self._publish()

    async def _try_start(self) -> bool:
        self.attempts += 1
        try:
            await self.player.start()
        except PlayerError as err:
            first = self.error is None
            self.error = str(err)
            if first:
                log.error("review player unavailable (will keep trying): %s", err)
            else:
                log.debug("review player still unavailable: %s", err)
            return False
        if self.error is not None:
            log.info("review player started after %d attempts", self.attempts)
        self.error = None
        self.started = True
        self._record()
        log.info("review player: %s (pid %s) idle", self.player.version, self.player.pid)
        return True

    async def _keep_trying(self) -> None:
        delay = self.retry_first
        while not self._closing:
            await asyncio.sleep(delay)
            if self._closing:
                return
            if await self._try_start():
                self._publish()
                return
            self._publish()
            delay = min(delay * 2, self.retry_max)

    def _record(self) -> None:
        if self.pid_file is not None and self.player.pid is not None:
            record_pid(self.pid_file, self.player.pid)

    def _on_player_event(self, event: PlayerEvent) -> None:
        if isinstance(event, StatusChanged):
            self._publish(event.status.as_dict())
        elif isinstance(event, PlayerRestarted):
            self._record()

    def _on_settings(self, event: SettingsChanged) -> None:
        """``playback.start_offset`` (the next clip opened) and ``playback.fullscreen``
        (also the running mpv, over IPC) from a live settings change."""
        player = self.player
        offset = event.values.get("playback.start_offset")
        if isinstance(offset, int | float):
            player.settings = dataclasses.replace(player.settings, start_offset=float(offset))
        fullscreen = event.values.get("playback.fullscreen")
        if isinstance(fullscreen, bool):
            player.settings = dataclasses.replace(player.settings, fullscreen=fullscreen)
            if player.status().alive and self._ctx is not None:
                self._ctx.create_task(self._fullscreen(fullscreen), name="settings-fullscreen")

    def _on_seek_request(self, event: PlayerSeekRequested) -> None:
        if self._ctx is not None:
            self._ctx.create_task(self._seek(event), name="playback-seek-request")

    async def _seek(self, event: PlayerSeekRequested) -> None:
        status = self.player.status()
        if status.position is None or status.file is None or not _same_file(status.file,
                                                                              event.file):
            # The request may come before mpv has loaded the clip the review opened:
            # wait for it a moment (another file, or none, stays a refusal).
            with contextlib.suppress(PlayerError):
                await self.player.wait_position(0.0, within=OPEN_WAIT, file=event.file)
        why = seek_refusal(self.player.status(), event)
        if why is None:
            try:
                await self.player.seek(event.seconds, "absolute")
            except PlayerError as err:
                why = str(err)
        if why is None:
            log.info("replay of %s moved to %.2f s", event.file, event.seconds)
        else:
            log.info("replay of %s not moved to %.2f s: %s", event.file, event.seconds, why)
        if not event.done.done():
            event.done.set_result(why is None)

    async def _fullscreen(self, on: bool) -> None:
        try:
            await self.player.set_fullscreen(on, screen=self.player.settings.screen)
        except PlayerError as err:  # mpv restarting: it starts with the new setting
            log.info("fullscreen applies when mpv is back: %s", err)

    def status(self, player: Mapping[str, object] | None = None) -> dict[str, object]:
        """The live ``status.player``: the player's status plus ``ok``, ``state``, ``error``."""
        body = player if player is not None else self.player.status().as_dict()
        # Our own error (mpv never started) first, else the player's (its supervisor failed).
        error = self.error or body.get("error")
        alive = bool(body.get("alive"))
        return {**body, "ok": error is None and alive, "state": self._state(alive, error),
                "error": error}

    def _state(self, alive: bool, error: object = None) -> str:
        if self.error is not None:
            return "unavailable"
        if error is not None:
            return "failed"
        if alive:
            return "running"
        return "restarting" if self.started else "stopped"

    def _publish(self, player: Mapping[str, object] | None = None) -> None:
        if self._bus is not None:
            self._bus.publish(LiveStatusChanged("player", self.status(player)))

    async def stop(self, stage: Stage) -> None:
        if stage is not Stage.CLOSE:
            return
        self._closing = True
        if self._retry is not None:
            self._retry.cancel()
            await asyncio.gather(self._retry, return_exceptions=True)
            self._retry = None
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        await self.player.aclose()
        self.started = False
        if self.pid_file is not None:
            forget_pid(self.pid_file)

    def health(self) -> Health:
        status = self.status()
        health: Health = {"ok": status["ok"], "state": status["state"],
                          "pid": self.player.pid, "version": self.player.version,
                          "restarts": self.player.restarts}
        if status["error"] is not None:
            health["error"] = status["error"]
        if self.error is not None:
            health["attempts"] = self.attempts
        return health
