"""Checking one value against its row of the table, with the place it came from.

Every reader of `restrike.config.load` (file, environment, command line) and the
plugin sections go through `coerce`, so a value is judged the same wherever it was
given, and an error names the setting and its source.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import os
import re
import shlex
import socket
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path, PureWindowsPath
from typing import Any, Literal

import psutil

from restrike.config.table import (
    LEVELS,
    SETTINGS,
    ObsConnectionSettings,
    Setting,
    number_text,
)
from restrike.errors import ConfigError
from restrike.secrets import mask_url

__all__ = ["DEFAULT", "Source", "coerce", "cut", "fail", "obs_entries", "resolve_host",
           "resolve_path", "shown", "suggest", "windows_path_hint"]

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


DEFAULT = Source("default")


def shown(name: str) -> str:
    """A name from the file as one printable line (a quoted TOML key may hold "\\n")."""
    return name if name.isprintable() else name.encode("unicode_escape").decode("ascii")


def cut(value: Any) -> str:
    """A value for a message: one line, not the whole of a huge table."""
    text = mask_url(repr(value))
    return text if len(text) <= 200 else text[:200] + "..."


def suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def fail(row: Setting | str, source: Source, what: str, value: Any) -> ConfigError:
    name = row if isinstance(row, str) else row.name
    shown = "********" if isinstance(row, Setting) and row.secret else cut(value)
    return ConfigError(f"{name} ({source}): must be {what}, not {shown}")


def _range(row: Setting) -> str:
    if row.min is not None and row.max is not None:
        return f" between {number_text(row.min)} and {number_text(row.max)}"
    if row.min is not None:
        return f" >= {number_text(row.min)}"
    return ""


def coerce(row: Setting, value: Any, source: Source) -> Any:
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
            raise fail(row, source, "true or false", value)
        return value
    if isinstance(value, str) and kind in ("path", "str") and _CONTROL.search(value):
        raise ConfigError(f"{row.name} ({source}): {cut(value)} holds a control character; "
                          f"{_WINDOWS_HINT}")
    if kind == "path":
        if isinstance(value, Path):
            value = str(value)
        if not isinstance(value, str):
            raise fail(row, source, "a path (text)", value)
        return resolve_path(value, source) if value else None
    if kind == "list":
        return _list(row, value, source, text)
    if kind == "levels":
        return _levels(row, value, source, text)
    if not isinstance(value, str):
        raise fail(row, source, "text", value)
    if kind == "level":
        if value.strip().upper() not in LEVELS:
            raise fail(row, source, "one of " + ", ".join(LEVELS), value)
        return value.strip().upper()
    if kind == "host":
        return resolve_host(value.strip(), row.name, source)
    if row.choices is not None and value not in row.choices:
        raise fail(row, source, "one of " + ", ".join(row.choices), value)
    if row.name == "udp.pss_host" and value:
        _check_pss(row, value.strip(), source)
        return value.strip()
    if row.name == "playback.geometry" and value:
        if not _GEOMETRY.fullmatch(value.strip()):
            raise fail(row, source, "mpv's geometry, e.g. 960x540+0+0, 50%x50% or +10+10",
                        value)
        return value.strip()
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WINDOWS_HINT = ("a Windows path in a double-quoted TOML string? There \\ starts an escape "
                 "(\"C:\\reStrike\" holds \\r, a carriage return): write it in single quotes, "
                 "'C:\\reStrike', or with forward slashes, \"C:/reStrike\"")
#: A double-quoted TOML string with a backslash in it (the escape that broke the file).
_QUOTED_BACKSLASH = re.compile(r'=\s*"[^"\n]*\\')


def windows_path_hint(path: Path) -> str:
    """For a TOML error: the hint when the file has a double-quoted value with ``\\``
    (``"C:\\Users"`` is an invalid escape), else nothing."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return f" ({_WINDOWS_HINT})" if _QUOTED_BACKSLASH.search(text) else ""


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
        raise fail(row, source, what, value) from None
    if isinstance(number, float) and not math.isfinite(number):
        raise fail(row, source, what, value)
    if (row.min is not None and number < row.min) or (row.max is not None and number > row.max):
        raise fail(row, source, what, value)
    return number


def _list(row: Setting, value: Any, source: Source, text: bool) -> tuple[str, ...]:
    if text:
        stripped = value.strip()
        if stripped.startswith("["):
            value = _inline_toml(row, stripped, source)
        else:
            value = shlex.split(stripped, posix=os.name != "nt")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise fail(row, source, "a list of strings", value)
    return tuple(value)


def _levels(row: Setting, value: Any, source: Source, text: bool) -> dict[str, str]:
    if text:
        stripped = value.strip()
        if stripped.startswith("{"):
            value = _inline_toml(row, stripped, source)
        else:
            pairs = [part.split("=", 1) for part in stripped.split(",") if part.strip()]
            if any(len(p) != 2 for p in pairs):
                raise fail(row, source, "component=LEVEL pairs separated by commas", value)
            value = {k.strip(): v.strip() for k, v in pairs}
    what = "a table of component = level (" + ", ".join(LEVELS) + ")"
    if not isinstance(value, dict):
        raise fail(row, source, what, value)
    out: dict[str, str] = {}
    for component, level in value.items():
        if not isinstance(level, str) or level.strip().upper() not in LEVELS:
            raise fail(f"{row.name}.{shown(component)}", source, "one of " + ", ".join(LEVELS),
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
        raise fail(row, source, "HOST or HOST:PORT with a port between 1 and 65535", value)


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


def resolve_host(value: str, name: str = "udp.host", source: Source = DEFAULT) -> str:
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


def obs_entries(value: Any, source: Source) -> tuple[ObsConnectionSettings, ...]:
    if isinstance(value, str) and source.kind in ("env", "cli"):
        value = _inline_toml("obs", value.strip(), source)
    if not isinstance(value, list | tuple):
        raise fail("obs", source, "an array of tables [[obs]]", value)
    out: list[ObsConnectionSettings] = []
    for index, entry in enumerate(value):
        where = f"obs[{index}]"
        if isinstance(entry, ObsConnectionSettings):
            entry = {f.name: getattr(entry, f.name) for f in fields(entry)}
        if not isinstance(entry, dict):
            raise fail(where, source, "a table", entry)
        kwargs: dict[str, Any] = {}
        for key, item in entry.items():
            row = _OBS_FIELDS.get(key)
            if row is None:
                raise ConfigError(f"{where}.{shown(key)} ({source}): unknown setting"
                                  f"{suggest(key, list(_OBS_FIELDS))}")
            named = replace(row, name=f"{where}.{key}")
            if item is None and key == "password":
                item = ""
            kwargs[key] = coerce(named, item, Source(source.kind, source.where))
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
        _check_angle(out, where, source)
    return tuple(out)


def _check_angle(entries: list[ObsConnectionSettings], where: str, source: Source) -> None:
    """The last entry's camera angle name is not another camera's (the console and the
    archive tell the angles apart by it)."""
    last = entries[-1]
    if last.role == "streaming":
        return
    name = last.angle_name or last.name
    if any((o.angle_name or o.name) == name for o in entries[:-1] if o.role != "streaming"):
        raise ConfigError(f"{where}.angle_name ({source}): camera angle {name!r} is used "
                          "twice")
