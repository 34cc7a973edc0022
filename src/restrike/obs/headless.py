"""Run OBS Studio headless (Xvfb + a prepared profile) for tests and benchmarks.

Linux-only at run time (Xvfb, the ``obs`` binary), but importing this module is safe
everywhere: it only uses the standard library's portable parts.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from restrike.errors import ObsUnavailable

__all__ = [
    "HeadlessObs",
    "HeadlessObsConfig",
    "XvfbDisplay",
    "free_port",
    "stop_process",
    "write_obs_config",
]

log = logging.getLogger(__name__)

SERVER_STARTED = "Server started successfully"
PROFILE = "Untitled"
COLLECTION = "Untitled"
SCENE = "Scene"
COLOR_SOURCE = "Colour"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stop_process(proc: subprocess.Popen[bytes], *, timeout: float = 10.0) -> None:
    """Terminate, wait, then kill: never leave a child behind."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning("process %s ignored SIGTERM, killing it", proc.pid)
        proc.kill()
        proc.wait(timeout=timeout)


class XvfbDisplay:
    """An Xvfb server on the first free display number (Xvfb picks it: ``-displayfd``)."""

    def __init__(self, *, screen: str = "1280x720x24", start_timeout: float = 10.0) -> None:
        self._screen = screen
        self._timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self.display = ""

    def start(self) -> str:
        read_fd, write_fd = os.pipe()
        try:
            self._proc = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", self._screen, "-nolisten",
                 "tcp", "-noreset"],
                pass_fds=(write_fd,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        finally:
            os.close(write_fd)
        with os.fdopen(read_fd, "rb") as pipe:
            number = pipe.readline().strip()
        if not number:
            self.stop()
            raise ObsUnavailable("Xvfb did not report a display number (is xvfb installed?)")
        self.display = f":{number.decode()}"
        log.info("Xvfb started on %s (pid %s)", self.display, self._proc.pid)
        return self.display

    def stop(self) -> None:
        if self._proc is not None:
            stop_process(self._proc)
            self._proc = None

    def __enter__(self) -> XvfbDisplay:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(slots=True)
class HeadlessObsConfig:
    """What a prepared OBS home contains: websocket server, profile, one coloured scene."""

    home: Path
    port: int
    password: str | None = None
    record_dir: Path | None = None
    replay_buffer: bool = True
    replay_seconds: int = 20
    width: int = 640
    height: int = 360
    fps: int = 30
    filename_format: str = "%CCYY-%MM-%DD %hh-%mm-%ss"
    extra_profile: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def config_dir(self) -> Path:
        return self.home / ".config" / "obs-studio"

    @property
    def recordings(self) -> Path:
        return self.record_dir if self.record_dir is not None else self.home / "recordings"

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


def _ini(sections: dict[str, dict[str, str]]) -> str:
    lines: list[str] = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key}={value}" for key, value in values.items())
        lines.append("")
    return "\n".join(lines)


def _scene_collection(cfg: HeadlessObsConfig) -> dict[str, object]:
    colour = {
        "id": "color_source_v3",
        "versioned_id": "color_source_v3",
        "name": COLOR_SOURCE,
        "enabled": True,
        "settings": {"color": 4282384384, "width": cfg.width, "height": cfg.height},
        "mixers": 0,
        "flags": 0,
        "volume": 1.0,
    }
    scene = {
        "id": "scene",
        "versioned_id": "scene",
        "name": SCENE,
        "enabled": True,
        "settings": {
            "id_counter": 1,
            "custom_size": False,
            "items": [
                {
                    "name": COLOR_SOURCE,
                    "id": 1,
                    "visible": True,
                    "locked": False,
                    "pos": {"x": 0.0, "y": 0.0},
                    "scale": {"x": 1.0, "y": 1.0},
                    "rot": 0.0,
                    "align": 5,
                    "bounds_type": 0,
                    "bounds_align": 0,
                    "bounds": {"x": 0.0, "y": 0.0},
                    "crop_left": 0,
                    "crop_top": 0,
                    "crop_right": 0,
                    "crop_bottom": 0,
                }
            ],
        },
        "mixers": 0,
        "flags": 0,
    }
    return {
        "name": COLLECTION,
        "current_scene": SCENE,
        "current_program_scene": SCENE,
        "scene_order": [{"name": SCENE}],
        "sources": [scene, colour],
        "groups": [],
        "transitions": [],
        "current_transition": "Cut",
        "transition_duration": 0,
    }


def write_obs_config(cfg: HeadlessObsConfig) -> None:
    """Write global.ini, the profile and the scene collection before OBS starts."""
    base = cfg.config_dir
    profile_dir = base / "basic" / "profiles" / PROFILE
    scenes_dir = base / "basic" / "scenes"
    for folder in (profile_dir, scenes_dir, cfg.recordings):
        folder.mkdir(parents=True, exist_ok=True)
    websocket = {
        "FirstLoad": "false",
        "ServerEnabled": "true",
        "ServerPort": str(cfg.port),
        "AlertsEnabled": "false",
        "AuthRequired": "true" if cfg.password else "false",
        "ServerPassword": cfg.password or secrets.token_hex(8),
    }
    (base / "global.ini").write_text(
        _ini(
            {
                "General": {
                    "FirstRun": "true",
                    "EnableAutoUpdates": "false",
                    "LastVersion": "486539266",
                },
                "Basic": {
                    "Profile": PROFILE,
                    "ProfileDir": PROFILE,
                    "SceneCollection": COLLECTION,
                    "SceneCollectionFile": COLLECTION,
                    "ConfigOnNewProfile": "false",
                },
                "BasicWindow": {"SysTrayEnabled": "false", "ShowTransitions": "false"},
                "OBSWebSocket": websocket,
            }
        ),
        encoding="utf-8",
    )
    profile: dict[str, dict[str, str]] = {
        "General": {"Name": PROFILE},
        "Video": {
            "BaseCX": str(cfg.width),
            "BaseCY": str(cfg.height),
            "OutputCX": str(cfg.width),
            "OutputCY": str(cfg.height),
            "FPSType": "1",
            "FPSInt": str(cfg.fps),
        },
        "Output": {"Mode": "Simple", "FilenameFormatting": cfg.filename_format},
        "SimpleOutput": {
            "FilePath": str(cfg.recordings),
            "RecFormat": "mkv",
            "RecQuality": "Stream",
            "StreamEncoder": "x264",
            "RecEncoder": "x264",
            "Preset": "ultrafast",
            "VBitrate": "500",
            "ABitrate": "64",
            "RecRB": "true" if cfg.replay_buffer else "false",
            "RecRBTime": str(cfg.replay_seconds),
            "RecRBSize": "128",
        },
        "Audio": {"SampleRate": "48000", "ChannelSetup": "Stereo"},
    }
    for section, values in cfg.extra_profile.items():
        profile.setdefault(section, {}).update(values)
    (profile_dir / "basic.ini").write_text(_ini(profile), encoding="utf-8")
    (scenes_dir / f"{COLLECTION}.json").write_text(
        json.dumps(_scene_collection(cfg), indent=1), encoding="utf-8"
    )


class HeadlessObs:
    """One OBS process with its own HOME; ``start()`` returns once the websocket listens."""

    def __init__(self, cfg: HeadlessObsConfig, *, display: str, start_timeout: float = 60.0):
        self.cfg = cfg
        self.display = display
        self.start_timeout = start_timeout
        self.log_path = cfg.home / "obs-stdout.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return self.cfg.url

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, *, write_config: bool = True) -> None:
        """Start OBS and wait for 'Server started successfully' and the open port."""
        if self.running():
            raise ObsUnavailable(f"OBS for {self.cfg.home} is already running")
        if write_config:
            write_obs_config(self.cfg)
        env = dict(os.environ)
        env.update(
            {
                "HOME": str(self.cfg.home),
                "XDG_CONFIG_HOME": str(self.cfg.home / ".config"),
                "DISPLAY": self.display,
                "LIBGL_ALWAYS_SOFTWARE": "1",
                "QT_QPA_PLATFORM": "xcb",
                # OBS's rtmp-services plugin fetches a service list over HTTPS at start;
                # a dead local proxy keeps every byte on this machine.
                "https_proxy": "http://127.0.0.1:9",
                "http_proxy": "http://127.0.0.1:9",
            }
        )
        for name in ("WAYLAND_DISPLAY", "no_proxy", "NO_PROXY", "HTTPS_PROXY", "HTTP_PROXY"):
            env.pop(name, None)
        self._log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            ["obs", "--disable-updater", "--disable-shutdown-check", "--multi"],
            env=env,
            cwd=self.cfg.home,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        log.info("OBS started (pid %s) on %s, websocket port %s",
                 self._proc.pid, self.display, self.cfg.port)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                raise ObsUnavailable(
                    f"OBS exited during start-up; see {self.log_path}:\n{self._tail()}"
                )
            if SERVER_STARTED in self._read_log() and _port_open(self.cfg.port):
                return
            time.sleep(0.1)
        self.stop()
        raise ObsUnavailable(
            f"OBS websocket not up after {self.start_timeout:.0f} s; see {self.log_path}:\n"
            f"{self._tail()}"
        )

    def _read_log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _tail(self, lines: int = 20) -> str:
        return "\n".join(self._read_log().splitlines()[-lines:])

    def kill(self) -> None:
        """Kill OBS at once (a crash as the station would see it)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)
        self._close_log()

    def stop(self) -> None:
        if self._proc is not None:
            stop_process(self._proc, timeout=15)
            self._proc = None
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> HeadlessObs:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
