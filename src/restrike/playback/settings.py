"""The player's settings as plain values; declared and checked once, by `restrike.config`.

Two kinds of field. The ``[playback]`` settings (`SETTING_FIELDS`) are declared — help,
type, default, range, command-line flag — in `restrike.config.table` alone, checked when
the settings are loaded, and copied here by :meth:`PlaybackSettings.from_settings`; a
test keeps their names, types and defaults equal to the table's. The other fields say
how this program drives mpv: the station always wants them as they are (an idle mpv
that holds the last frame and comes back when it dies), so they are no settings; tests
and benchmarks set them in code (``vo="null"``, a short restart backoff).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SETTING_FIELDS", "SPEED_MAX", "SPEED_MIN", "SPEED_PRESETS", "PlaybackSettings"]

#: The speeds the console offers; any speed in ``[SPEED_MIN, SPEED_MAX]`` is accepted.
SPEED_PRESETS = (0.25, 0.5, 1.0, 2.0)
SPEED_MIN = 0.1
SPEED_MAX = 4.0

#: The fields that are ``[playback]`` settings (all of the section but ``enabled``).
SETTING_FIELDS = ("mpv_path", "screen", "fullscreen", "geometry", "ontop", "start_offset",
                  "extra_args")


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackSettings:
    """How the station's mpv is found, started and placed."""

    # -- the [playback] settings (restrike.config.table declares them) --
    mpv_path: str = ""
    screen: int | None = None
    fullscreen: bool = False
    geometry: str = ""
    ontop: bool = False
    start_offset: float = 10.0
    extra_args: tuple[str, ...] = ()
    # -- how the program drives mpv: no settings --
    vo: str | None = None  # video output (mpv --vo); "null" in tests and benchmarks
    ao: str | None = None  # audio output (mpv --ao)
    idle: bool = True  # mpv waits with no file, so a replay is one IPC command
    keep_open: bool = True  # the last frame stays at the end of a clip
    force_window: bool = True  # the window is there while idle
    use_config: bool = True  # read the user's mpv.conf (False: --no-config)
    ipc_address: str | None = None  # IPC socket or \\.\pipe\NAME; None: a fresh one per start
    start_timeout: float = 10.0  # seconds for a starting mpv's IPC server
    command_timeout: float = 2.0  # seconds for mpv to answer a command
    restart: bool = True  # start mpv again when it exits or dies
    reopen_after_crash: bool = True  # after a crash (not a quit), reopen the clip where it was
    restart_backoff_max: float = 5.0  # longest pause between restart attempts, seconds

    @classmethod
    def from_settings(cls, section: Any, **driving: Any) -> PlaybackSettings:
        """From the loaded ``[playback]`` section (values already checked; nothing is
        converted here); ``driving`` sets fields that are no settings."""
        return cls(**{name: getattr(section, name) for name in SETTING_FIELDS}, **driving)
