"""Reading the settings: defaults < TOML file < `RESTRIKE_*` environment < command line.

Each value is checked once, with the place it came from, so an error names both the
setting and its source (`udp.port (environment variable RESTRIKE_UDP_PORT): ...`).
Relative paths in the file are relative to the file's folder; from the environment or
the command line, to the current folder.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import platformdirs

from restrike.config.coerce import (
    DEFAULT,
    Source,
    coerce,
    cut,
    obs_entries,
    resolve_host,
    shown,
    suggest,
    windows_path_hint,
)
from restrike.config.passwords import with_passwords
from restrike.config.table import (
    SECTIONS,
    SETTINGS,
    ConsoleSettings,
    FlagsSettings,
    HttpSettings,
    LogSettings,
    MonitorSettings,
    ObsConnectionSettings,
    PlaybackSettings,
    PluginsSettings,
    ReviewSettings,
    StationSettings,
    StoreSettings,
    UdpSettings,
    cli_flag,
    env_name,
    section_rows,
)
from restrike.errors import ConfigError

__all__ = ["CONFIG_ENV", "PLUGIN_GROUP", "Settings", "Source", "check_settings",
           "default_data_dir",
           "installed_plugins", "load_settings", "resolve_host"]

log = logging.getLogger(__name__)

CONFIG_ENV = "RESTRIKE_CONFIG"  # a settings file to read when none is given
#: The entry-point group plugins declare themselves in; each plugin's name is also the
#: name of its settings section (`restrike.plugins` finds and loads them).
PLUGIN_GROUP = "restrike.plugins"
_TABLE = {s.name: s for s in SETTINGS if not s.name.startswith("obs")}
#: A plugin section as given: {key: (value, where it came from)}.
PluginValues = Mapping[str, tuple[Any, Source]]


@dataclass(frozen=True, slots=True)
class Settings:
    """The effective configuration: typed, frozen, one attribute per section.

    A plugin's section ``[<name>]`` is kept as given in ``plugin_values`` until the
    plugin loads and `with_section` checks it against the plugin's settings class;
    ``section(name)`` then returns the typed object.
    """

    station: StationSettings = field(default_factory=StationSettings)
    udp: UdpSettings = field(default_factory=UdpSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    log: LogSettings = field(default_factory=LogSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    playback: PlaybackSettings = field(default_factory=PlaybackSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    flags: FlagsSettings = field(default_factory=FlagsSettings)
    plugins: PluginsSettings = field(default_factory=PluginsSettings)
    monitor: MonitorSettings = field(default_factory=MonitorSettings)
    obs: tuple[ObsConnectionSettings, ...] = ()
    config_file: Path | None = None
    sources: Mapping[str, str] = field(default_factory=dict)  # setting → its source
    sections: Mapping[str, Any] = field(default_factory=dict)  # plugin name → its settings
    plugin_values: Mapping[str, PluginValues] = field(default_factory=dict, repr=False)

    def get(self, name: str) -> Any:
        """A value by dotted name (`settings.get("udp.port")`)."""
        if name == "obs":
            return self.obs
        section, key = name.split(".", 1)
        return getattr(self.section(section), key)

    def section(self, name: str) -> Any:
        """A section by name: a table's (``"udp"``) or a checked plugin section
        (``ctx.settings.section("pace")``: the plugin's settings object); KeyError else."""
        if name in SECTIONS:
            return getattr(self, name)
        try:
            return self.sections[name]
        except KeyError:
            raise KeyError(f"no settings section [{name}] (a plugin's section is there "
                           "once its plugin loaded)") from None

    def with_section(self, name: str, cls: type[Any]) -> Settings:
        """These settings with the plugin section ``[name]`` checked against ``cls`` (a
        frozen dataclass declared with `setting_field`): values from the file, the
        environment (``RESTRIKE_<NAME>_<KEY>``) and code, each coerced like a table's.
        ConfigError names an unknown or wrong setting and where it came from."""
        rows = {row.key: row for row in section_rows(name, cls)}
        values: dict[str, Any] = {}
        sources = dict(self.sources)
        for key, (raw, source) in self.plugin_values.get(name, {}).items():
            row = rows.get(key)
            if row is None:
                hint = suggest(f"{name}.{key}", [f"{name}.{k}" for k in rows])
                if source.kind == "env":
                    log.warning("ignoring environment variable %s: no such setting%s",
                                source.where, hint)
                    continue
                where = source.where if source.kind == "file" else str(source)
                raise ConfigError(f"{where}: unknown setting {name}.{shown(key)}{hint}")
            values[key] = coerce(row, raw, source)
            sources[row.name] = str(source)
        for row in rows.values():
            sources.setdefault(row.name, str(DEFAULT))
        try:
            typed = cls(**values)
        except (TypeError, ValueError) as err:  # the class's own checks (__post_init__)
            raise ConfigError(f"[{name}]: {err}") from err
        return replace(self, sections={**self.sections, name: typed}, sources=sources)

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


def installed_plugins() -> frozenset[str]:
    """The names of the plugins installed (entry points of `PLUGIN_GROUP`)."""
    return frozenset(ep.name for ep in metadata.entry_points(group=PLUGIN_GROUP))


def load_settings(config_file: Path | str | None = None,
                  cli: Mapping[str, Any] | None = None, *,
                  env: Mapping[str, str] | None = None,
                  plugin_sections: Collection[str] | None = None,
                  errors: list[str] | None = None) -> Settings:
    """Build the settings; ConfigError naming the setting and its source when one is wrong.

    `config_file` None: the file named by RESTRIKE_CONFIG if set, else none. `env`
    defaults to `os.environ`; `cli` maps dotted names to values (None = not given).
    `plugin_sections`: the plugin names whose sections are accepted (kept as given for
    `Settings.with_section`); None: the installed plugins', looked up only when a
    section or variable is not the table's. ``errors``: a list that collects every wrong
    setting (then ConfigError names the first); see `check_settings`.
    """
    env = os.environ if env is None else env
    if config_file is None and env.get(CONFIG_ENV):
        config_file = env[CONFIG_ENV]
    path = Path(config_file) if config_file is not None else None
    plugins = (cache(installed_plugins) if plugin_sections is None
               else lambda: frozenset(plugin_sections))
    layers: dict[str, tuple[Any, Source]] = {}
    if path is not None:
        layers.update(_read_file(path, plugins, errors))
    layers.update(_read_env(env, plugins))
    layers.update(_read_cli(cli or {}, plugins))
    built = _build(layers, path, env, errors)
    if errors:
        raise ConfigError(errors[0])
    return built


def check_settings(config_file: Path | str, *, env: Mapping[str, str] | None = None,
                   plugin_sections: Collection[str] | None = None) -> list[str]:
    """Every error of a settings file (with the environment applied), not just the first:
    `restrike config check`. An empty list: the file loads."""
    errors: list[str] = []
    try:
        load_settings(config_file, env=env, plugin_sections=plugin_sections, errors=errors)
    except ConfigError as err:
        if not errors:  # one that stops reading (no file, not TOML, a bad [[obs]])
            errors.append(str(err))
    return errors


# -- layers -------------------------------------------------------------------------------

Plugins = Callable[[], frozenset[str]]


def _report(errors: list[str] | None, error: ConfigError) -> None:
    """Raise ``error``, or note it and go on when collecting every error."""
    if errors is None:
        raise error
    errors.append(str(error))


def _read_file(path: Path, plugins: Plugins, errors: list[str] | None = None
               ) -> dict[str, tuple[Any, Source]]:
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
        raise ConfigError(f"config file {path} is not valid TOML: {err}"
                          f"{windows_path_hint(path)}") from err
    except RecursionError as err:  # tomllib parses nested arrays by recursion
        raise ConfigError(f"config file {path} is not valid TOML: nested too deeply") from err
    source = Source("file", str(path))
    out: dict[str, tuple[Any, Source]] = {}
    names = [*_TABLE, "obs"]
    for section, table in data.items():
        if section == "obs":
            out["obs"] = (table, source)
            continue
        plugin = section not in SECTIONS and section in plugins()
        if section not in SECTIONS and not plugin:
            _report(errors, ConfigError(f"{path}: unknown section [{shown(section)}]"
                                        f"{suggest(section, [*SECTIONS, *plugins()])}"))
            continue
        if not isinstance(table, dict):
            _report(errors, ConfigError(f"{path}: [{section}] must be a table, not "
                                        f"{cut(table)}"))
            continue
        for key, value in table.items():
            name = f"{section}.{key}"
            if not plugin and name not in _TABLE:
                _report(errors, ConfigError(f"{path}: unknown setting {shown(name)}"
                                            f"{suggest(name, names)}"))
                continue
            out[name] = (value, source)
    return out


def _plugin_of(var: str, plugins: Plugins) -> str | None:
    """The plugin whose ``RESTRIKE_<NAME>_`` prefix ``var`` has (the longest name)."""
    found = [name for name in plugins() if var.startswith(env_name(name) + "_")]
    return max(found, key=len) if found else None


#: Short names a few settings are also read from (the tournament hub's court name).
_ENV_ALIASES = {"RESTRIKE_COURT": "station.court"}


def _read_env(env: Mapping[str, str], plugins: Plugins) -> dict[str, tuple[Any, Source]]:
    out: dict[str, tuple[Any, Source]] = {}
    known = {env_name(name): name for name in [*_TABLE, "obs"]}
    aliases = {alias: name for alias, name in _ENV_ALIASES.items() if name not in
               {known.get(var) for var in env}}  # the setting's own name wins
    for var, value in env.items():
        if var in aliases:
            out[aliases[var]] = (value, Source("env", var))
            continue
        if not var.startswith("RESTRIKE_") or var == CONFIG_ENV:
            continue
        name = known.get(var)
        if name is not None:
            out[name] = (value, Source("env", var))
        elif (plugin := _plugin_of(var, plugins)) is not None:
            key = var[len(env_name(plugin)) + 1:].lower()
            out[f"{plugin}.{key}"] = (value, Source("env", var))
        elif any(var.startswith(env_name(section) + "_") for section in SECTIONS):
            log.warning("ignoring environment variable %s: no such setting%s", var,
                        suggest(var, list(known)))
    return out


def _read_cli(cli: Mapping[str, Any], plugins: Plugins) -> dict[str, tuple[Any, Source]]:
    out: dict[str, tuple[Any, Source]] = {}
    for name, value in cli.items():
        table = name in _TABLE or name == "obs"
        if not table and name.partition(".")[0] not in plugins():
            raise ConfigError(f"command line: unknown setting {name}"
                              f"{suggest(name, [*_TABLE, 'obs'])}")
        if value is not None:
            out[name] = (value, Source("cli", (cli_flag(name) or "") if table else ""))
    return out


# -- building -------------------------------------------------------------------------------


def _build(layers: dict[str, tuple[Any, Source]], path: Path | None,
           env: Mapping[str, str], errors: list[str] | None = None) -> Settings:
    sources: dict[str, str] = {}
    sections: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    for name, row in _TABLE.items():
        if name in layers:
            raw, source = layers[name]
            try:
                value = coerce(row, raw, source)
            except ConfigError as err:
                _report(errors, err)
                value, source = row.default, DEFAULT
        else:
            value, source = row.default, DEFAULT
        sections[row.section][row.key] = value
        sources[name] = str(source)
    plugin_values: dict[str, dict[str, tuple[Any, Source]]] = {}
    for name, given in layers.items():
        if name not in _TABLE and name != "obs":
            section, _, key = name.partition(".")
            plugin_values.setdefault(section, {})[key] = given
    obs: tuple[ObsConnectionSettings, ...] = ()
    if "obs" in layers:
        try:
            obs = with_passwords(obs_entries(*layers["obs"]), env, sources)
        except ConfigError as err:
            _report(errors, err)
    sources["obs"] = str(layers["obs"][1]) if "obs" in layers else str(DEFAULT)
    built = {name: cls(**sections[name]) for name, cls in SECTIONS.items()}
    station: StationSettings = built["station"]
    if station.data_dir is None:
        station = replace(station, data_dir=default_data_dir())
    review: ReviewSettings = built["review"]
    if review.recordings_root is None:
        review = replace(review, recordings_root=station.data_dir / "recordings")
    return Settings(station=station, udp=built["udp"], http=built["http"], log=built["log"],
                    store=built["store"], playback=built["playback"], review=review,
                    console=built["console"], flags=built["flags"], plugins=built["plugins"],
                    monitor=built["monitor"], obs=obs, config_file=path, sources=sources,
                    plugin_values=plugin_values)
