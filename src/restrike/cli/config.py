"""`restrike config show` / `restrike config check FILE`: the effective settings."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from restrike.cli import app
from restrike.config import load_settings
from restrike.errors import ConfigError

config_app = typer.Typer(help="Show or check the station's settings (TOML, RESTRIKE_* env).")
app.add_typer(config_app, name="config")


@config_app.command("show")
def show(
    config: Path | None = typer.Option(None, "--config", help="Settings file (TOML)."),
    sources: bool = typer.Option(False, "--sources", help="Say where each value came from."),
) -> None:
    """Print the effective configuration as TOML (secrets masked)."""
    try:
        settings = load_settings(config)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    sys.stdout.write(settings.to_toml(sources=sources))


@config_app.command("check")
def check(file: Path = typer.Argument(..., help="Settings file (TOML) to check.")) -> None:
    """Check a settings file (with the RESTRIKE_* environment applied); exit 2 if wrong."""
    try:
        load_settings(file)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    print(f"ok: {file}")
