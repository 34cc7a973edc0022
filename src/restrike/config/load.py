"""Reading the settings: defaults < TOML file < `RESTRIKE_*` environment < command line.

Each value is checked once, with the place it came from, so an error names both the
setting and its source (`udp.port (environment variable RESTRIKE_UDP_PORT): ...`).
Relative paths in the file are relative to the file's folder; from the environment or
the command line, to the current folder.
"""

from __future__ import annotations

import difflib
import ipaddress
import logging
import math
import os
import re
import shlex
import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path, PureWindowsPath
from typing import Any, Literal

import platformdirs
import psutil

from restrike.config.table import (
    LEVELS,
    SECTIONS,
    SETTINGS,
    ConsoleSettings,
    FlagsSettings,
    HttpSettings,
    LogSettings,
    ObsConnectionSettings,
    PlaybackSettings,
    ReviewSettings,
    Setting,
    StationSettings,
    StoreSettings,
    UdpSettings,
    cli_flag,
    env_name,
    number_text,
)
from restrike.errors import ConfigError
from restrike.secrets import mask_url

__all__ = ["CONFIG_ENV", "Settings", "Source", "default_data_dir", "load_settings",
           "resolve_host"]

log = logging.getLogger(__name__)

CONFIG_ENV = "RESTRIKE_CONFIG"  # a settings file to read when none is given
_TABLE = {s.name: s for s in SETTINGS if not s.name.startswith("obs")}
_OBS_FIELDS = {s.key: s for s in SETTINGS if s.name.startswith("obs[].")}


@dataclass(frozen=True, slots=True)
class Source:
    """Where a value came from."""

    kind: Literal["default", "file", "env", "cli"]
    where: str = ""

    def __str__(self) -> str:
        if self.kind == "cli" and not self.where:  # a setting without a flag, set by code
            return "command line"
        return {"default": "default", "file": f"config file {self.where}",
                "env": f"environment variable {self.where}",
                "cli": f"command-line option {self.where}"}[self.kind]


_DEFAULT = Source("default")


@dataclass(frozen=True, slots=True)
class Settings:
    """The effective configuration: typed, frozen, one attribute per section."""

    station: StationSettings = field(default_factory=StationSettings)
    udp: UdpSettings = field(default_factory=UdpSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    log: LogSettings = field(default_factory=LogSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    playback: PlaybackSettings = field(default_factory=PlaybackSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    flags: FlagsSettings = field(default_factory=FlagsSettings)
    obs: tuple[ObsConnectionSettings, ...] = ()
    config_file: Path | None = None
    sources: Mapping[str, str] = field(default_factory=dict)  # setting → its source

    def get(self, name: str) -> Any:
        """A value by dotted name (`settings.get("udp.port")`)."""
        if name == "obs":
            return self.obs
        section, key = name.split(".", 1)
        return getattr(getattr(self, section), key)

    def describe(self) -> dict[str, Any]:
        """JSON-ready view for diagnostics, secrets masked."""
        from restrike.config.render import describe

        return describe(self)

    def as_dict(self) -> dict[str, Any]:
        """{section: {key: value}} (JSON-ready, secrets masked)."""
        result: dict[str, Any] = self.describe()["settings"]
        return result

    def to_toml(self, *, sources: bool = False) -> str:
        """The configuration as a TOML file (secrets masked), optionally with sources."""
        from restrike.config.render import to_toml

        return to_toml(self, with_sources=sources)


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("restrike", appauthor=False))


def load_settings(config_file: Path | str | None = None,
                  cli: Mapping[str, Any] | None = None, *,
                  env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings; ConfigError naming the setting and its source when one is wrong.

    `config_file` None: the file named by RESTRIKE_CONFIG if set, else none. `env`
    defaults to `os.environ`; `cli` maps dotted names to values (None = not given).
    """
    env = os.environ if env is None else env
    if config_file is None and env.get(CONFIG_ENV):
        config_file = env[CONFIG_ENV]
    path = Path(config_file) if config_file is not None else None
    layers: dict[str, tuple[Any, Source]] = {}
    if path is not None:
        layers.update(_read_file(path))
    layers.update(_read_env(env))
    layers.update(_read_cli(cli or {}))
    return _build(layers, path)


# -- layers -------------------------------------------------------------------------------


def _shown(name: str) -> str:
    """A name from the file as one printable line (a quoted TOML key may hold "\\n")."""
    return name if name.isprintable() else name.encode("unicode_escape").decode("ascii")


def _cut(value: Any) -> str:
    """A value for a message: one line, not the whole of a huge table."""
    text = mask_url(repr(value))
    return text if len(text) <= 200 else text[:200] + "..."


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _read_file(path: Path) -> dict[str, tuple[Any, Source]]:
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except FileNotFoundError as err:
        raise ConfigError(f"config file {path} does not exist") from err
    except OSError as err:
        raise ConfigError(f"cannot read config file {path}: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"config file {path} is not UTF-8 text (byte "
                          f"0x{err.object[err.start]:02x} at offset {err.start}): save it as "
                          "UTF-8 TOML") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"config file {path} is not valid TOML: {err}") from err
    except RecursionError as err:  # tomllib parses nested arrays by recursion
        raise ConfigError(f"config file {path} is not valid TOML: nested too deeply") from err
    source = Source("file", str(path))
    out: dict[str, tuple[Any, Source]] = {}
    names = [*_TABLE, "obs"]
    for section, table in data.items():
        if section == "obs":
            out["obs"] = (table, source)
            continue
        if section not in SECTIONS:
            raise ConfigError(f"{path}: unknown section [{_shown(section)}]"
                              f"{_suggest(section, list(SECTIONS))}")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}] must be a table, not {_cut(table)}")
        for key, value in table.items():
            name = f"{section}.{key}"
            if name not in _TABLE:
                raise ConfigError(f"{path}: unknown setting {_shown(name)}"
                                  f"{_suggest(name, names)}")
            out[name] = (value, source)
    return out


def _read_env(env: Mapping[str, str]) -> dict[str, tuple[Any, Source]]:
    out: dict[str, tuple[Any, Source]] = {}
    known = {env_name(name): name for name in [*_TABLE, "obs"]}
    for var, value in env.items():
        if not var.startswith("RESTRIKE_") or var == CONFIG_ENV:
            continue
        name = known.get(var)
        if name is not None:
            out[name] = (value, Source("env", var))
        elif any(var.startswith(env_name(section) + "_") for section in SECTIONS):
            log.warning("ignoring environment variable %s: no such setting%s", var,
                        _suggest(var, list(known)))
    return out


def _read_cli(cli: Mapping[str, Any]) -> dict[str, tuple[Any, Source]]:
    out: dict[str, tuple[Any, Source]] = {}
    for name, value in cli.items():
        if name not in _TABLE and name != "obs":
            raise ConfigError(f"command line: unknown setting {name}"
                              f"{_suggest(name, [*_TABLE, 'obs'])}")
        if value is not None:
            out[name] = (value, Source("cli", cli_flag(name) or ""))
    return out


# -- building and checking ------------------------------------------------------------------


def _build(layers: dict[str, tuple[Any, Source]], path: Path | None) -> Settings:
    sources: dict[str, str] = {}
    sections: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    for name, row in _TABLE.items():
        if name in layers:
            raw, source = layers[name]
            value = _coerce(row, raw, source)
        else:
            value, source = row.default, _DEFAULT
        sections[row.section][row.key] = value
        sources[name] = str(source)
    obs: tuple[ObsConnectionSettings, ...] = ()
    if "obs" in layers:
        obs = _obs(*layers["obs"])
    sources["obs"] = str(layers["obs"][1]) if "obs" in layers else str(_DEFAULT)
    built = {name: cls(**sections[name]) for name, cls in SECTIONS.items()}
    station: StationSettings = built["station"]
    if station.data_dir is None:
        station = replace(station, data_dir=default_data_dir())
    review: ReviewSettings = built["review"]
    if review.recordings_root is None:
        review = replace(review, recordings_root=station.data_dir / "recordings")
    return Settings(station=station, udp=built["udp"], http=built["http"], log=built["log"],
                    store=built["store"], playback=built["playback"], review=review,
                    console=built["console"], flags=built["flags"], obs=obs,
                    config_file=path, sources=sources)


def _fail(row: Setting | str, source: Source, what: str, value: Any) -> ConfigError:
    name = row if isinstance(row, str) else row.name
    shown = "********" if isinstance(row, Setting) and row.secret else _cut(value)
    return ConfigError(f"{name} ({source}): must be {what}, not {shown}")


def _range(row: Setting) -> str:
    if row.min is not None and row.max is not None:
        return f" between {number_text(row.min)} and {number_text(row.max)}"
    if row.min is not None:
        return f" >= {number_text(row.min)}"
    return ""


def _coerce(row: Setting, value: Any, source: Source) -> Any:
    """One value, checked against its row; text (env, CLI strings) is parsed first."""
    text = isinstance(value, str) and source.kind in ("env", "cli")
    kind = row.kind
    if row.optional and (value is None or value == ""):
        return None
    if kind in ("int", "float"):
        return _number(row, value, source, text)
    if kind == "bool":
        if text:
            word = value.strip().lower()
            if word in ("1", "true", "yes", "on"):
                return True
            if word in ("0", "false", "no", "off"):
                return False
        if not isinstance(value, bool):
            raise _fail(row, source, "true or false", value)
        return value
    if kind == "path":
        if isinstance(value, Path):
            value = str(value)
        if not isinstance(value, str):
            raise _fail(row, source, "a path (text)", value)
        return resolve_path(value, source) if value else None
    if kind == "list":
        return _list(row, value, source, text)
    if kind == "levels":
        return _levels(row, value, source, text)
    if not isinstance(value, str):
        raise _fail(row, source, "text", value)
    if kind == "level":
        if value.strip().upper() not in LEVELS:
            raise _fail(row, source, "one of " + ", ".join(LEVELS), value)
        return value.strip().upper()
    if kind == "host":
        return resolve_host(value.strip(), row.name, source)
    if row.choices is not None and value not in row.choices:
        raise _fail(row, source, "one of " + ", ".join(row.choices), value)
    if row.name == "udp.pss_host" and value:
        _check_pss(row, value.strip(), source)
        return value.strip()
    if row.name == "playback.geometry" and value:
        if not _GEOMETRY.fullmatch(value.strip()):
            raise _fail(row, source, "mpv's geometry, e.g. 960x540+0+0, 50%x50% or +10+10",
                        value)
        return value.strip()
    return value


def _number(row: Setting, value: Any, source: Source, text: bool) -> int | float:
    what = ("an integer" if row.kind == "int" else "a number") + _range(row)
    number: int | float
    try:
        if text:
            number = int(value.strip()) if row.kind == "int" else float(value.strip())
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError
        elif row.kind == "int":
            if not isinstance(value, int):
                raise ValueError
            number = value
        else:
            number = float(value)
    except ValueError:
        raise _fail(row, source, what, value) from None
    if isinstance(number, float) and not math.isfinite(number):
        raise _fail(row, source, what, value)
    if (row.min is not None and number < row.min) or (row.max is not None and number > row.max):
        raise _fail(row, source, what, value)
    return number


def _list(row: Setting, value: Any, source: Source, text: bool) -> tuple[str, ...]:
    if text:
        stripped = value.strip()
        if stripped.startswith("["):
            value = _inline_toml(row, stripped, source)
        else:
            value = shlex.split(stripped, posix=os.name != "nt")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _fail(row, source, "a list of strings", value)
    return tuple(value)


def _levels(row: Setting, value: Any, source: Source, text: bool) -> dict[str, str]:
    if text:
        stripped = value.strip()
        if stripped.startswith("{"):
            value = _inline_toml(row, stripped, source)
        else:
            pairs = [part.split("=", 1) for part in stripped.split(",") if part.strip()]
            if any(len(p) != 2 for p in pairs):
                raise _fail(row, source, "component=LEVEL pairs separated by commas", value)
            value = {k.strip(): v.strip() for k, v in pairs}
    what = "a table of component = level (" + ", ".join(LEVELS) + ")"
    if not isinstance(value, dict):
        raise _fail(row, source, what, value)
    out: dict[str, str] = {}
    for component, level in value.items():
        if not isinstance(level, str) or level.strip().upper() not in LEVELS:
            raise _fail(f"{row.name}.{_shown(component)}", source, "one of " + ", ".join(LEVELS),
                        level)
        out[str(component)] = level.strip().upper()
    return out


def _inline_toml(row: Setting | str, text: str, source: Source) -> Any:
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except (tomllib.TOMLDecodeError, RecursionError) as err:
        name = row if isinstance(row, str) else row.name
        why = err if isinstance(err, tomllib.TOMLDecodeError) else "nested too deeply"
        raise ConfigError(f"{name} ({source}): not a valid TOML value: {why}") from err


#: mpv's window geometry ``[W][xH][+-X+-Y[/WORKSPACE]]`` or ``X:Y``, numbers in pixels or %.
_GEOMETRY = re.compile(r"(?=.)(\d+%?)?(x\d+%?)?([+-]-?\d+%?[+-]-?\d+%?(/\d+)?)?"
                       r"|\d+%?:\d+%?")


def _check_pss(row: Setting, value: str, source: Source) -> None:
    host, sep, port = value.rpartition(":")
    if sep and (not port.isdigit() or not 1 <= int(port) <= 65535 or not host):
        raise _fail(row, source, "HOST or HOST:PORT with a port between 1 and 65535", value)


def resolve_path(value: str, source: Source) -> Path:
    """`~` expanded; relative paths are taken from the config file's folder (file values)
    or the current folder. Windows absolute paths (`C:\\x`, `\\\\server\\share`) are kept."""
    if PureWindowsPath(value).is_absolute() or value.startswith(("\\\\", "//")):
        return Path(value)
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    base = Path(source.where).parent if source.kind == "file" else Path.cwd()
    return Path(os.path.abspath(base / path))


def resolve_host(value: str, name: str = "udp.host", source: Source = _DEFAULT) -> str:
    """An IPv4 address as given, or the IPv4 address of the named network interface."""
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        pass
    try:
        interfaces = psutil.net_if_addrs()
    except OSError as err:  # pragma: no cover - psutil failing is rare
        raise ConfigError(f"{name} ({source}): cannot list network interfaces: {err}") from err
    if value in interfaces:
        for address in interfaces[value]:
            if address.family == socket.AF_INET:
                return str(address.address)
        raise ConfigError(f"{name} ({source}): interface {value!r} has no IPv4 address")
    raise ConfigError(f"{name} ({source}): {value!r} is neither an IPv4 address nor a "
                      f"network interface (interfaces: {', '.join(sorted(interfaces))})")


def _obs(value: Any, source: Source) -> tuple[ObsConnectionSettings, ...]:
    if isinstance(value, str) and source.kind in ("env", "cli"):
        value = _inline_toml("obs", value.strip(), source)
    if not isinstance(value, list | tuple):
        raise _fail("obs", source, "an array of tables [[obs]]", value)
    out: list[ObsConnectionSettings] = []
    for index, entry in enumerate(value):
        where = f"obs[{index}]"
        if isinstance(entry, ObsConnectionSettings):
            entry = {f.name: getattr(entry, f.name) for f in fields(entry)}
        if not isinstance(entry, dict):
            raise _fail(where, source, "a table", entry)
        kwargs: dict[str, Any] = {}
        for key, item in entry.items():
            row = _OBS_FIELDS.get(key)
            if row is None:
                raise ConfigError(f"{where}.{_shown(key)} ({source}): unknown setting"
                                  f"{_suggest(key, list(_OBS_FIELDS))}")
            named = replace(row, name=f"{where}.{key}")
            if item is None and key == "password":
                item = ""
            kwargs[key] = _coerce(named, item, Source(source.kind, source.where))
        name = kwargs.get("name")
        if not name or "/" in name:
            raise ConfigError(f"{where}.name ({source}): every [[obs]] needs a name without '/'")
        if any(o.name == name for o in out):
            raise ConfigError(f"{where}.name ({source}): name {name!r} is used twice")
        url = kwargs.get("url", "ws://127.0.0.1:4455")
        if not url.startswith(("ws://", "wss://")):
            raise ConfigError(f"{where}.url ({source}): must start with ws:// or wss://, "
                              f"not {mask_url(repr(url))}")
        out.append(ObsConnectionSettings(**kwargs))
    return tuple(out)
