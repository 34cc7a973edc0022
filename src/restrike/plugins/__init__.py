"""Plugins: parts of the station found through the entry-point group ``restrike.plugins``.

Built-in optional parts (this project's own ``pyproject.toml``) and installed
distributions load the same way: the entry point names a class or a zero-argument
factory that returns a component; its optional ``settings``, ``cli`` and ``console``
attributes add a settings section, a ``restrike <name>`` command and a console tab.
A plugin that fails to import, build or start is logged and shown failed; the station
and the other plugins keep running. The surface a plugin may use is in docs/plugins.md.

    loaded = load_plugins(settings)           # before the station is built
    station = Station(loaded.settings, ...)   # sections typed: settings.section(name)
    for component in loaded.components():
        station.add(component, optional=True)
"""

from restrike.config import PLUGIN_GROUP
from restrike.plugins.components import FailedPlugin, PluginComponent, PluginEntry, PluginHost
from restrike.plugins.discovery import RESERVED, PluginSpec, discover, name_problem
from restrike.plugins.host import LoadedPlugins, load_plugins
from restrike.plugins.loading import ConsolePanel, Plugin, build_component, load_plugin

__all__ = [
    "PLUGIN_GROUP",
    "RESERVED",
    "ConsolePanel",
    "FailedPlugin",
    "LoadedPlugins",
    "Plugin",
    "PluginComponent",
    "PluginEntry",
    "PluginHost",
    "PluginSpec",
    "build_component",
    "discover",
    "load_plugin",
    "load_plugins",
    "name_problem",
]
