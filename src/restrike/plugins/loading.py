"""Loading one plugin: import its entry point, read what it declares, build its component.

The entry point names a class or a zero-argument factory. Before anything is built,
its optional attributes are read and checked: ``settings`` (a frozen dataclass declared
with `restrike.config.setting_field`), ``cli``, ``bench`` and ``commands`` (each a
`typer.Typer`: ``restrike <name>``, ``restrike bench <name>`` and top-level
``restrike <command>``) and ``console`` (a `ConsolePanel`).
Whatever the plugin's code raises — on import, on reading those, when it is called —
becomes a `PluginError` naming the plugin, with the plugin's exception as its cause
(so its traceback can be logged).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from restrike.config import section_rows
from restrike.errors import ConfigError, PluginError
from restrike.kernel import Component
from restrike.plugins.discovery import PluginSpec

__all__ = ["ConsolePanel", "Plugin", "build_component", "describe_error", "load_plugin"]


@dataclass(frozen=True, slots=True)
class ConsolePanel:
    """A plugin's tab in the console: ``path`` is a folder with ``index.html`` (and the
    scripts and styles it loads, by relative URL), served under ``/plugins/<name>/``."""

    title: str
    path: Path


@dataclass(frozen=True, slots=True)
class Plugin:
    """A plugin whose entry point imported, with what it declares."""

    spec: PluginSpec
    factory: Callable[[], Any]
    settings: type[Any] | None = None
    cli: typer.Typer | None = None
    console: ConsolePanel | None = None
    bench: typer.Typer | None = None
    commands: typer.Typer | None = None  # each of its commands is `restrike <command>`

    @property
    def name(self) -> str:
        return self.spec.name


def describe_error(err: BaseException) -> str:
    """``Type: message`` (the type alone when there is no message)."""
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def load_plugin(spec: PluginSpec) -> Plugin:
    """Import ``spec``'s entry point and check what it declares; PluginError if it cannot."""
    if spec.problem is not None or spec.entry_point is None:
        raise PluginError(f"plugin {spec.name}: {spec.problem or 'no entry point'}")
    try:
        target = spec.entry_point.load()
        settings = getattr(target, "settings", None)
        cli = getattr(target, "cli", None)
        bench = getattr(target, "bench", None)
        console = getattr(target, "console", None)
        commands = getattr(target, "commands", None)
    except (Exception, SystemExit) as err:  # a plugin's import may do anything
        raise PluginError(f"plugin {spec.name} ({spec.value}) cannot be imported: "
                          f"{describe_error(err)}") from err
    if not callable(target):
        raise PluginError(f"plugin {spec.name}: {spec.value} is neither a class nor a "
                          "factory")
    if settings is not None:
        try:
            section_rows(spec.name, settings)
        except ConfigError as err:
            raise PluginError(f"plugin {spec.name}: settings: {err}") from err
    for what, app in (("cli", cli), ("bench", bench), ("commands", commands)):
        if app is not None and not isinstance(app, typer.Typer):
            raise PluginError(f"plugin {spec.name}: {what} must be a typer.Typer, not {app!r}")
    if console is not None:
        _check_panel(spec.name, console)
    return Plugin(spec, target, settings, cli, console, bench, commands)


def _check_panel(name: str, console: Any) -> None:
    if not isinstance(console, ConsolePanel) or not isinstance(console.path, str | Path):
        raise PluginError(f"plugin {name}: console must be a restrike.plugins.ConsolePanel "
                          f"(title, folder), not {console!r}")
    if not (Path(console.path) / "index.html").is_file():
        raise PluginError(f"plugin {name}: console panel folder {console.path} has no "
                          "index.html")


def build_component(plugin: Plugin) -> Component:
    """Call the plugin's class or factory (no arguments) and check the component."""
    try:
        component = plugin.factory()
        missing = [f"async {m}()" for m in ("start", "stop")
                   if not inspect.iscoroutinefunction(getattr(component, m, None))]
        missing += [] if callable(getattr(component, "health", None)) else ["health()"]
    except (Exception, SystemExit) as err:
        raise PluginError(f"plugin {plugin.name}: building its component failed: "
                          f"{describe_error(err)}") from err
    if missing:
        raise PluginError(f"plugin {plugin.name}: the component has no "
                          f"{' and no '.join(missing)} method")
    result: Component = component
    return result
