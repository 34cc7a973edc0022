"""What `restrike plugins list` shows of each plugin found (JSON-ready rows)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from restrike.errors import PluginError
from restrike.plugins.discovery import PluginSpec
from restrike.plugins.loading import load_plugin

__all__ = ["plugin_rows"]


def plugin_rows(specs: Sequence[PluginSpec], disabled: Collection[str],
                health: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per plugin: where it comes from, enabled or not, whether it loads (it is
    imported to know, disabled ones too) and what it declares; with ``health`` (the
    ``components`` of a running station's ``/api/health``), its health there."""
    rows = []
    for spec in specs:
        row: dict[str, Any] = {
            "name": spec.name, "entry_point": spec.value, "distribution": spec.distribution,
            "version": spec.version, "builtin": spec.builtin,
            "enabled": spec.name not in disabled, "loads": False, "error": None,
            "settings": None, "cli": False, "bench": False, "console": None}
        try:
            plugin = load_plugin(spec)
        except PluginError as err:
            row["error"] = str(err)
        else:
            row.update(loads=True, cli=plugin.cli is not None, bench=plugin.bench is not None,
                       settings=plugin.settings.__name__ if plugin.settings else None,
                       console=plugin.console.title if plugin.console else None)
        if health is not None:
            row["health"] = health.get(spec.name)
        rows.append(row)
    return rows
