"""The plugins of one station: found, the disabled ones left off, the others loaded.

``load_plugins(settings)`` runs before the station is built (the composition root
calls it): it imports every enabled plugin, checks its settings section, builds its
component, and returns the settings with those sections typed (what
``ctx.settings.section(name)`` answers) and the components to add as optional. A
plugin that fails on the way is logged with its traceback and becomes a
`FailedPlugin`; nothing a plugin does stops the others or the station.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from restrike.config import Settings
from restrike.errors import ConfigError, PluginError
from restrike.kernel import Component
from restrike.plugins.components import FailedPlugin, PluginComponent, PluginEntry, PluginHost
from restrike.plugins.discovery import PluginSpec, discover, name_problem
from restrike.plugins.loading import build_component, describe_error, load_plugin

__all__ = ["LoadedPlugins", "load_plugins"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _NoSettings:
    """The section of a plugin that declares none: any key given in it is unknown."""


@dataclass(frozen=True, slots=True)
class LoadedPlugins:
    """The settings with the loaded plugins' sections checked, and every plugin found."""

    settings: Settings
    entries: tuple[PluginEntry, ...]

    def components(self) -> list[Component]:
        """The host, then each plugin's component (failed ones included): add them to
        the station as optional. None when no plugin is found: such a station is the
        same as before plugins existed."""
        if not self.entries:
            return []
        plugins: list[Component] = [e.component for e in self.entries
                                    if e.component is not None]
        return [PluginHost(self.entries), *plugins]


def load_plugins(settings: Settings, specs: Sequence[PluginSpec] | None = None
                 ) -> LoadedPlugins:
    """Load every plugin found (``specs``: `discover()`) but those in ``plugins.disabled``."""
    specs = discover() if specs is None else specs
    disabled = set(settings.plugins.disabled)
    for name in sorted(disabled - {s.name for s in specs}):
        log.warning("plugins.disabled names %s, which is not installed", name)
    entries: list[PluginEntry] = []
    seen: set[str] = set()
    for spec in specs:
        if spec.name in disabled:
            log.info("plugin %s is disabled (plugins.disabled)", spec.name)
            entries.append(PluginEntry(spec))
        elif spec.problem is not None:
            log.error("plugin %s (%s, from %s) is not loaded: %s", spec.name, spec.value,
                      spec.distribution, spec.problem)
            # A taken or invalid name cannot be a component's; a name two distributions
            # declare can, once: /api/health shows it failed.
            shown = name_problem(spec.name) is None and spec.name not in seen
            entries.append(PluginEntry(spec, FailedPlugin(spec.name, spec.problem)
                                       if shown else None))
        else:
            settings, component = _load(settings, spec)
            entries.append(PluginEntry(spec, component))
        seen.add(spec.name)
    return LoadedPlugins(settings, tuple(entries))


def _load(settings: Settings, spec: PluginSpec
          ) -> tuple[Settings, PluginComponent | FailedPlugin]:
    try:
        plugin = load_plugin(spec)
        checked = settings.with_section(spec.name, plugin.settings or _NoSettings)
        component = PluginComponent(spec, build_component(plugin), plugin.console)
    except (PluginError, ConfigError) as err:
        cause = err.__cause__ if isinstance(err, PluginError) else None
        log.error("plugin %s failed to load; the station runs without it: %s", spec.name,
                  err, exc_info=cause)
        return settings, FailedPlugin(spec.name, str(err))
    except Exception as err:  # the plugin's own code, e.g. its settings' __post_init__
        log.exception("plugin %s failed to load; the station runs without it", spec.name)
        return settings, FailedPlugin(spec.name, f"plugin {spec.name}: "
                                                 f"{describe_error(err)}")
    log.info("plugin %s %s (%s) loaded", spec.name, spec.version or "", spec.distribution)
    return checked, component
