"""`restrike plugins list`: every plugin found, enabled or not, whether it loads, its health."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import typer

from restrike.cli import app
from restrike.config import Settings, load_settings
from restrike.errors import ConfigError
from restrike.plugins import discover
from restrike.plugins.listing import plugin_rows

plugins_app = typer.Typer(help="The plugins found (entry points of restrike.plugins).")
app.add_typer(plugins_app, name="plugins")

#: Seconds to wait for a station's /api/health.
HEALTH_TIMEOUT = 3.0


def station_health(url: str, token: str | None) -> dict[str, Any] | None:
    """``/api/health``'s ``components`` of the station at ``url`` (503 answers too: it
    is the same body), or None when nothing answers there."""
    request = urllib.request.Request(url.rstrip("/") + "/api/health",
                                     headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=HEALTH_TIMEOUT) as response:
            body = response.read()
    except urllib.error.HTTPError as err:
        if err.code != 503:
            return None
        body = err.read()
    except (OSError, ValueError):  # refused, timed out, not an http(s) URL
        return None
    try:
        components = json.loads(body)["components"]
    except (ValueError, KeyError, TypeError):
        return None
    return components if isinstance(components, dict) else None


def _health_text(health: Any) -> str:
    if not isinstance(health, dict):
        return "—"
    return ("ok" if health.get("ok") else "failed") + (f" ({health['state']})"
                                                      if health.get("state") else "")


def _table(rows: list[dict[str, Any]], with_health: bool) -> str:
    """Aligned columns, then one line per problem (a plugin that does not load or whose
    health is not ok), so long messages do not widen the table."""
    heads = ["NAME", "DISTRIBUTION", "VERSION", "BUILT-IN", "ENABLED", "LOADS"]
    heads += ["HEALTH"] if with_health else []
    lines: list[list[str]] = []
    problems: list[str] = []
    for row in rows:
        cells = [row["name"], row["distribution"] or "?", row["version"] or "?",
                 "yes" if row["builtin"] else "no", "yes" if row["enabled"] else "no",
                 "yes" if row["loads"] else "no"]
        if not row["loads"]:
            problems.append(f"{row['name']}: {row['error']}")
        if with_health:
            health = row.get("health")
            cells.append(_health_text(health))
            if isinstance(health, dict) and not health.get("ok") and health.get("error"):
                problems.append(f"{row['name']} in the station: {health['error']}")
        lines.append(cells)
    widths = [max(len(c) for c in column) for column in zip(heads, *lines, strict=True)]
    table = ["  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
             for cells in [heads, *lines]]
    return "\n".join(table + (["", *problems] if problems else []))


def _settings(config: Path | None, names: list[str]) -> Settings:
    try:
        return load_settings(config, plugin_sections=names)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err


@plugins_app.command("list")
def list_plugins(
    config: Path | None = typer.Option(None, "--config",
                                       help="Settings file (TOML) whose plugins.disabled "
                                            "counts; without it, RESTRIKE_CONFIG's."),
    url: str | None = typer.Option(None, "--url",
                                   help="A running station (http://HOST:PORT) to ask for "
                                        "each plugin's health; default: the local one at "
                                        "http.port, if it answers."),
    token: str | None = typer.Option(None, "--token",
                                     help="The station's operator token, if it needs one "
                                          "(default: http.token)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document instead of a "
                                                       "table."),
) -> None:
    """Every plugin found (built-in and installed): distribution, version, enabled or
    disabled, whether it loads (each is imported to check) and its health in a
    running station."""
    specs = discover()
    settings = _settings(config, [s.name for s in specs])
    target = url or f"http://127.0.0.1:{settings.http.port}"
    health = station_health(target, token or settings.http.token or None)
    if url and health is None:
        print(f"warning: no station answers at {url}; health not shown", file=sys.stderr)
    rows = plugin_rows(specs, settings.plugins.disabled, health)
    if as_json:
        station = target if health is not None else None
        print(json.dumps({"station": station, "plugins": rows}, indent=2))
        return
    if not rows:
        print("no plugins found (entry-point group restrike.plugins)")
        return
    print(_table(rows, health is not None))
    if health is not None:
        print(f"\nhealth from the station at {target}")
