"""Playback settings, declared once (name, type, default, help) for validation and docs.

The station's configuration loads the ``[playback]`` table into :class:`PlaybackSettings`
with :meth:`PlaybackSettings.from_mapping`; ``docs/playback.md`` lists the same fields.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from restrike.errors import ConfigError

__all__ = ["SPEED_MAX", "SPEED_MIN", "SPEED_PRESETS", "PlaybackSettings", "settings_table"]

#: The speeds the console offers; any speed in ``[SPEED_MIN, SPEED_MAX]`` is accepted.
SPEED_PRESETS = (0.25, 0.5, 1.0, 2.0)
SPEED_MIN = 0.1
SPEED_MAX = 4.0


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackSettings:
    """How the station's mpv is found, started and placed."""

    mpv_path: str | None = field(
        default=None,
        metadata=_help(
            "mpv executable (path or name). Empty: `mpv` on PATH; on Windows `mpv.exe` "
            "on PATH or C:\\Program Files\\mpv\\mpv.exe; on macOS also Homebrew's folders."
        ),
    )
    start_offset: float = field(
        default=10.0, metadata=_help("Second of the clip where a replay starts playing.")
    )
    screen: int | None = field(
        default=None,
        metadata=_help("Screen number for the window and for fullscreen (--screen, --fs-screen)."),
    )
    fullscreen: bool = field(default=False, metadata=_help("Start mpv fullscreen (--fs)."))
    geometry: str | None = field(
        default=None, metadata=_help("Window position/size, mpv syntax (e.g. 960x540+0+0).")
    )
    ontop: bool = field(default=False, metadata=_help("Keep the mpv window on top (--ontop)."))
    vo: str | None = field(
        default=None, metadata=_help("Video output override (--vo); `null` for tests.")
    )
    ao: str | None = field(
        default=None, metadata=_help("Audio output override (--ao); `null` for tests.")
    )
    idle: bool = field(default=True, metadata=_help("Keep mpv running with no file (--idle)."))
    keep_open: bool = field(
        default=True, metadata=_help("Hold the last frame at the end of a clip (--keep-open).")
    )
    force_window: bool = field(
        default=True, metadata=_help("Show the window even when idle (--force-window).")
    )
    use_config: bool = field(
        default=True, metadata=_help("Read the user's mpv.conf (false adds --no-config).")
    )
    extra_args: tuple[str, ...] = field(
        default=(), metadata=_help("More mpv command-line options, passed as given.")
    )
    ipc_address: str | None = field(
        default=None,
        metadata=_help(
            "IPC socket path, or \\\\.\\pipe\\NAME on Windows. Empty: a fresh one per start."
        ),
    )
    start_timeout: float = field(
        default=10.0, metadata=_help("Seconds to wait for a starting mpv's IPC server.")
    )
    command_timeout: float = field(
        default=2.0, metadata=_help("Seconds to wait for mpv to answer a command.")
    )
    restart: bool = field(default=True, metadata=_help("Restart mpv when it exits or dies."))
    reopen_after_crash: bool = field(
        default=True,
        metadata=_help("After mpv crashed, reopen the clip where it was (not after a quit)."),
    )
    restart_backoff_max: float = field(
        default=5.0, metadata=_help("Longest pause between restart attempts, in seconds.")
    )

    def __post_init__(self) -> None:
        for name in ("start_offset", "start_timeout", "command_timeout", "restart_backoff_max"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"playback.{name} must be a number >= 0, not {value!r}")
        if self.screen is not None and self.screen < 0:
            raise ConfigError(f"playback.screen must be >= 0, not {self.screen!r}")

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], *, source: str = "settings"
    ) -> PlaybackSettings:
        """Build from a ``[playback]`` table; unknown keys and wrong types name the key."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(f"{source}: unknown setting playback.{key}")
            kwargs[key] = _coerce(key, known[key].default, value, source)
        return cls(**kwargs)

    @classmethod
    def from_station(cls, section: Any, **overrides: Any) -> PlaybackSettings:
        """From the station's ``[playback]`` section (``restrike.config``'s dataclass, or any
        object with some of these attribute names); ``overrides`` set the rest."""
        values = {
            f.name: getattr(section, f.name)
            for f in dataclasses.fields(cls)
            if hasattr(section, f.name)
        }
        values.update(overrides)
        return cls.from_mapping(values, source="station settings")


def _coerce(key: str, default: Any, value: Any, source: str) -> Any:
    def bad(kind: str) -> ConfigError:
        return ConfigError(f"{source}: playback.{key} must be {kind}, not {value!r}")

    if value is None or value == "":
        if default is None:
            return None
        raise bad(type(default).__name__)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad("a number")
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
        return tuple(value)
    if key == "screen":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("an integer")
        return value
    if not isinstance(value, str):
        raise bad("a string")
    return value


def settings_table() -> list[tuple[str, str, Any, str]]:
    """(name, type, default, help) of every setting, for docs and the console."""
    return [
        (f"playback.{f.name}", str(f.type), f.default, f.metadata["help"])
        for f in dataclasses.fields(PlaybackSettings)
    ]
