"""The command groups plugins add to: ``restrike <plugin> ...``, ``restrike bench <plugin>``.

A plugin's ``cli`` (a `typer.Typer`) is mounted under the plugin's name in ``restrike``,
its ``bench`` under the plugin's name in ``restrike bench``, and each command of its
``commands`` (a `typer.Typer`) at the top, as ``restrike <command>``. Plugins are
imported only when needed: to run ``restrike <plugin>``, that plugin alone; to run a
name that is neither built in nor a plugin's (a top-level command), or to list the
commands (``restrike --help``), every enabled one. A plugin that cannot be imported is
a warning and no command; the built-in commands never import a plugin. A top-level
command whose name is taken (built in, a plugin's, or another plugin's top-level
command) is a warning and is not mounted.
Disabled plugins (``plugins.disabled`` from ``RESTRIKE_CONFIG`` or the environment:
the command line has no ``--config`` here) have no command.
"""

from __future__ import annotations

import logging
from typing import Any

import typer
from typer._click.core import Command, Context  # typer's own click: what TyperGroup uses
from typer.core import TyperGroup

from restrike.config import load_settings
from restrike.errors import ConfigError, PluginError
from restrike.plugins import PluginSpec, discover, load_plugin
from restrike.plugins.loading import describe_error

__all__ = ["PluginBenches", "PluginCommands"]

log = logging.getLogger(__name__)


class PluginCommands(TyperGroup):
    """The root group: the built-in commands, then one per enabled plugin with a ``cli``."""

    #: The `Plugin` attribute holding the Typer app mounted in this group.
    attribute = "cli"
    #: The `Plugin` attribute whose commands are mounted at this group's top (None: none).
    top_attribute: str | None = "commands"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._specs: dict[str, PluginSpec] | None = None
        self._loaded: dict[str, Command | None] = {}
        self._top: dict[str, Command] | None = None

    def _plugins(self) -> dict[str, PluginSpec]:
        """The enabled plugins that may have a command, by name (found once)."""
        if self._specs is None:
            specs = [s for s in discover() if s.problem is None and s.name not in self.commands]
            try:
                disabled = set(load_settings(plugin_sections=[s.name for s in specs])
                               .plugins.disabled)
            except ConfigError as err:
                log.warning("plugin commands: the settings cannot be read (%s); no plugin "
                            "is taken as disabled", err)
                disabled = set()
            self._specs = {s.name: s for s in specs if s.name not in disabled}
        return self._specs

    def _command(self, name: str) -> Command | None:
        if name not in self._loaded:
            self._loaded[name] = self._load(self._plugins()[name])
        return self._loaded[name]

    def _load(self, spec: PluginSpec) -> Command | None:
        try:
            app = getattr(load_plugin(spec), self.attribute)
            command = typer.main.get_command(app) if app is not None else None
        except Exception as err:  # cannot be imported, or its Typer app cannot be built
            why = err if isinstance(err, PluginError) else (
                f"plugin {spec.name}: its command cannot be built: {describe_error(err)}")
            log.warning("%s; `restrike %s%s` is unavailable", why,
                        "bench " if self.attribute == "bench" else "", spec.name)
            return None
        if command is not None:
            command.name = spec.name
        return command

    def _top_commands(self) -> dict[str, Command]:
        """The enabled plugins' top-level commands by name (every enabled plugin imported
        once); a name taken, or offered by two plugins, is left out with a warning."""
        if self._top is None:
            offered: dict[str, list[tuple[str, Command]]] = {}
            for spec in self._plugins().values() if self.top_attribute else ():
                for name, command in self._top_of(spec).items():
                    offered.setdefault(name, []).append((spec.name, command))
            self._top = {}
            for name, offers in sorted(offered.items()):
                owners = " and ".join(f"plugin {owner}" for owner, _c in offers)
                if name in self.commands or name in self._plugins() or len(offers) > 1:
                    log.warning("`restrike %s` of %s is not mounted: the name is taken%s",
                                name, owners, "" if len(offers) == 1 else " twice")
                    continue
                self._top[name] = offers[0][1]
        return self._top

    def _top_of(self, spec: PluginSpec) -> dict[str, Command]:
        assert self.top_attribute is not None
        try:
            app = getattr(load_plugin(spec), self.top_attribute)
            built = typer.main.get_command(app) if app is not None else None
        except Exception as err:  # cannot be imported, or its Typer app cannot be built
            why = err if isinstance(err, PluginError) else (
                f"plugin {spec.name}: its {self.top_attribute} cannot be built: "
                f"{describe_error(err)}")
            log.warning("%s; its top-level commands are unavailable", why)
            return {}
        if built is None:
            return {}
        if isinstance(built, TyperGroup):  # several commands
            return dict(built.commands)
        return {str(built.name): built}  # a Typer with one command is that command

    def list_commands(self, ctx: Context) -> list[str]:
        own = super().list_commands(ctx)
        plugins = [n for n in sorted(self._plugins()) if self._command(n) is not None]
        return [*own, *plugins, *self._top_commands()]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        if cmd_name in self._plugins():
            return self._command(cmd_name)
        return self._top_commands().get(cmd_name)


class PluginBenches(PluginCommands):
    """The ``restrike bench`` group: the built-in benchmarks, then each plugin's ``bench``."""

    attribute = "bench"
    top_attribute = None
