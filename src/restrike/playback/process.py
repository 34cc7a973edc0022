"""One mpv process: finding the executable, its command line, start-up, IPC, shutdown.

:class:`MpvProcess` is a single life of mpv; restarting is the player's job
(:mod:`restrike.playback.mpv`), which launches a new ``MpvProcess`` each time.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil

from restrike.errors import PlayerError
from restrike.playback.client import EventCallback, MpvIpcClient
from restrike.playback.settings import PlaybackSettings
from restrike.playback.transport import default_ipc_address, is_named_pipe

__all__ = [
    "MpvProcess",
    "build_argv",
    "default_candidates",
    "detached",
    "find_mpv",
    "forget_pid",
    "kill_recorded",
    "record_pid",
]

log = logging.getLogger(__name__)

#: Properties the player follows; their changes arrive as ``property-change`` events.
OBSERVED = (
    "playback-time",
    "pause",
    "speed",
    "path",
    "idle-active",
    "eof-reached",
    "duration",
    "fullscreen",
    "ab-loop-a",
    "ab-loop-b",
)
_OUTPUT_LINES = 30

_SETTING = "playback.mpv_path"


def default_candidates(platform: str = sys.platform) -> list[str]:
    """Where mpv usually is when the setting is empty, in the order they are tried."""
    if platform == "win32":
        program_files = os.environ.get("PROGRAMFILES", "C:\\Program Files")
        return ["mpv.exe", "mpv", str(Path(program_files) / "mpv" / "mpv.exe")]
    if platform == "darwin":
        return ["mpv", "/opt/homebrew/bin/mpv", "/usr/local/bin/mpv"]
    return ["mpv"]


def _resolve(candidate: str) -> Path | None:
    path = Path(candidate).expanduser()
    if path.is_file():
        return path
    found = shutil.which(candidate)
    return Path(found) if found else None


def find_mpv(mpv_path: str | None, platform: str = sys.platform) -> Path:
    """The mpv executable to run, or a PlayerError that says which setting to fix."""
    if mpv_path:
        found = _resolve(mpv_path)
        if found is None:
            raise PlayerError(
                f"mpv not found at {mpv_path!r}: set {_SETTING} to the mpv executable"
            )
        return found
    candidates = default_candidates(platform)
    for candidate in candidates:
        found = _resolve(candidate)
        if found is not None:
            return found
    raise PlayerError(
        f"mpv not found (looked for {', '.join(candidates)}): install mpv or set {_SETTING}"
    )


def build_argv(
    executable: Path,
    settings: PlaybackSettings,
    ipc_address: str,
    *,
    file: str | None = None,
    start: float | None = None,
) -> list[str]:
    """mpv's command line for the station's player (or, with ``file``, a one-shot run)."""
    s = settings
    argv = [str(executable)]
    if not s.use_config:
        argv.append("--no-config")
    argv += [
        f"--idle={'yes' if s.idle else 'no'}",
        f"--keep-open={'yes' if s.keep_open else 'no'}",
        f"--force-window={'yes' if s.force_window else 'no'}",
        f"--input-ipc-server={ipc_address}",
        "--no-input-terminal",
        "--msg-level=all=warn",
    ]
    if s.fullscreen:
        argv.append("--fs")
    if s.screen is not None:
        argv += [f"--screen={s.screen}", f"--fs-screen={s.screen}"]
    if s.geometry:
        argv.append(f"--geometry={s.geometry}")
    if s.ontop:
        argv.append("--ontop")
    if s.vo:
        argv.append(f"--vo={s.vo}")
    if s.ao:
        argv.append(f"--ao={s.ao}")
    argv += list(s.extra_args)
    if start is not None:
        argv.append(f"--start={start:.3f}")
    if file is not None:
        argv += ["--", file]
    return argv


def _remove_stale_socket(address: str) -> None:
    """A SIGKILLed mpv leaves its socket file behind; remove it (never anything else)."""
    if is_named_pipe(address):
        return
    with contextlib.suppress(OSError):
        if stat.S_ISSOCK(os.stat(address).st_mode):
            os.unlink(address)


def detached(platform: str = sys.platform) -> dict[str, Any]:
    """Process options that keep mpv out of the terminal's signals.

    Ctrl-C in the terminal goes to the whole foreground process group: mpv would die
    before the station starts its shutdown (and a dying mpv during a review looks like
    the referee closing it). In its own session (POSIX) or process group (Windows) it
    is only ever stopped by the station.
    """
    if platform == "win32":
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200)}
    return {"start_new_session": True}


# -- the pid file: an mpv left behind by a station killed with SIGKILL -------------------


def record_pid(path: Path, pid: int) -> None:
    """Write ``pid`` and its start time to ``path`` (so a reused pid is never killed).

    A data folder that cannot be written only costs that safety net: logged, not raised.
    """
    try:
        created = psutil.Process(pid).create_time()
    except psutil.Error:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"pid": pid, "created": created}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:
        log.warning("cannot record the mpv pid in %s (%s): an mpv left behind if the station "
                    "is killed will not be stopped at the next start", path, err.strerror or err)


def forget_pid(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def kill_recorded(path: Path, *, grace: float = 3.0) -> int | None:
    """Stop the mpv recorded in ``path`` if it still runs; returns its pid if it did.

    Only a process with the recorded pid, the same start time and an mpv executable
    is stopped; the file is removed in any case. (Blocking: call it in a thread.)
    """
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
        pid, created = int(recorded["pid"]), float(recorded["created"])
    except (FileNotFoundError, NotADirectoryError):  # no pid file (or no folder for one)
        return None
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning("ignoring the unreadable mpv pid file %s: %s", path, err)
        forget_pid(path)
        return None
    forget_pid(path)
    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - created) > 1.0 or "mpv" not in proc.name().lower():
            return None
        log.warning("stopping mpv %s left running by a station that was killed", pid)
        proc.terminate()
        try:
            proc.wait(grace)
        except psutil.TimeoutExpired:
            proc.kill()
            proc.wait(grace)
    except psutil.NoSuchProcess:
        return None
    except psutil.Error as err:
        log.warning("could not stop the stale mpv %s: %s", pid, err)
        return None
    return pid


class MpvProcess:
    """A running mpv with a connected IPC client. Create with :meth:`launch`."""

    def __init__(
        self,
        proc: asyncio.subprocess.Process,
        address: str,
        output: collections.deque[str],
        output_task: asyncio.Task[None],
    ) -> None:
        self._proc = proc
        self.address = address
        self._output = output
        self._output_task = output_task
        self.client: MpvIpcClient | None = None
        self.version = ""

    @classmethod
    async def launch(
        cls,
        executable: Path,
        settings: PlaybackSettings,
        on_message: EventCallback,
        *,
        file: str | None = None,
        start: float | None = None,
        observed: tuple[str, ...] = OBSERVED,
    ) -> MpvProcess:
        """Start mpv, connect to its IPC server and observe ``observed``; PlayerError if not."""
        address = settings.ipc_address or default_ipc_address()
        _remove_stale_socket(address)
        argv = build_argv(executable, settings, address, file=file, start=start)
        log.debug("starting %s", argv)
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                **detached(),
            )
        except OSError as err:
            raise PlayerError(
                f"cannot start mpv at {executable}: {err} (check playback.mpv_path)"
            ) from err
        output: collections.deque[str] = collections.deque(maxlen=_OUTPUT_LINES)
        task = asyncio.get_running_loop().create_task(
            _drain(proc, output), name=f"mpv-{proc.pid}-output"
        )
        self = cls(proc, address, output, task)
        try:
            client = await MpvIpcClient.connect(
                address,
                connect_timeout=settings.start_timeout,
                reply_timeout=settings.command_timeout,
                alive=lambda: proc.returncode is None,
                name=f"mpv-{proc.pid}",
            )
            self.client = client
            client.subscribe(on_message)
            self.version = str(await client.get_property("mpv-version"))
            for name in observed:
                await client.observe_property(name)
        except BaseException as err:
            await self.close(graceful=False)
            if isinstance(err, PlayerError):
                raise PlayerError(f"mpv did not start: {err}{self.output_note()}") from err
            raise
        log.info("%s started (pid %s, IPC %s)", self.version, proc.pid, address)
        return self

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    def output_note(self) -> str:
        """mpv's last output lines, formatted to end an error message ('' if none)."""
        return f"; mpv said: {' | '.join(self._output)}" if self._output else ""

    @property
    def output(self) -> str:
        return "\n".join(self._output)

    async def wait_exit(self) -> int:
        """Wait until the process exits. A lost IPC connection with mpv still up is a
        hang: give it a second to exit by itself, then kill it."""
        exited = asyncio.get_running_loop().create_task(
            self._proc.wait(), name=f"mpv-{self.pid}-wait"
        )
        try:
            if self.client is not None:
                lost = asyncio.get_running_loop().create_task(
                    self.client.wait_closed(), name=f"mpv-{self.pid}-ipc-lost"
                )
                try:
                    await asyncio.wait({exited, lost}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    lost.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await lost
                if not exited.done():
                    try:
                        await asyncio.wait_for(asyncio.shield(exited), 1.0)
                    except TimeoutError:
                        log.warning("mpv %s lost its IPC connection; killing it", self.pid)
                        self._kill()
            return await exited
        finally:
            if not exited.done():
                exited.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await exited

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self._proc.kill()

    async def close(self, *, graceful: bool = True, grace: float = 2.0) -> None:
        """Quit mpv (politely if ``graceful``), wait for it, release pipes and sockets."""
        if graceful and self._proc.returncode is None and self.client is not None:
            with contextlib.suppress(PlayerError):
                await self.client.command("quit", reply_timeout=min(grace, 0.5))
        if self._proc.returncode is None:
            if graceful:
                try:
                    await asyncio.wait_for(self._proc.wait(), grace)
                except TimeoutError:
                    self._kill()
            else:
                self._kill()
            await self._proc.wait()
        if self.client is not None:
            await self.client.aclose()
        await self._output_task
        _remove_stale_socket(self.address)


async def _drain(proc: asyncio.subprocess.Process, output: collections.deque[str]) -> None:
    """Read mpv's output so its pipe never fills; keep the tail for error messages."""
    stream = proc.stdout
    if stream is None:
        return
    pending = b""
    with contextlib.suppress(OSError):
        while chunk := await stream.read(4096):
            *lines, pending = (pending + chunk).split(b"\n")
            pending = pending[-4096:]
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip()
                if line:
                    output.append(line[:500])
                    log.debug("mpv %s: %s", proc.pid, line)
