"""`restrike config show|check|obs-password`; also `restrike bench store`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from restrike.cli import app, bench_app
from restrike.config import check_settings, load_settings
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
    """Check a settings file (with the RESTRIKE_* environment applied); every error is
    listed; exit 2 if there is any."""
    errors = check_settings(file)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if len(errors) > 1:
        print(f"{file}: {len(errors)} errors", file=sys.stderr)
    if errors:
        raise typer.Exit(2)
    print(f"ok: {file}")


@config_app.command("obs-password")
def obs_password(
    name: str = typer.Argument(..., help="The [[obs]] entry's name."),
    delete: bool = typer.Option(False, "--delete", help="Remove it from the keyring."),
) -> None:
    """Keep an OBS password in the OS keyring instead of the settings file (asked for,
    not echoed). Needs `pip install 'restrike[keyring]'`."""
    from restrike.config.passwords import set_keyring_password

    password = "" if delete else typer.prompt(f"obs-websocket password of {name}",
                                              hide_input=True)
    try:
        set_keyring_password(name, password)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    print(f"OBS {name}: password {'removed from' if delete else 'kept in'} the OS keyring")


@bench_app.command("store")
def bench_store(
    count: int = typer.Option(200_000, "--count", help="Datagrams of the flood run."),
    seconds: float = typer.Option(5.0, "--seconds", help="Length of the 50,000/s run."),
    latency_seconds: float = typer.Option(10.0, "--latency-seconds",
                                          help="Length of the 1,000/s latency run."),
    batch_rows: int = typer.Option(500, "--batch-rows", help="store.batch_rows"),
    batch_ms: float = typer.Option(2.0, "--batch-ms", help="store.batch_ms"),
    db: Path | None = typer.Option(None, "--db", help="Database file (default: a temp folder)."),
) -> None:
    """The store's writer: rows/s sustained and commit latency p50/p99 at 1,000/s."""
    from restrike.bench.store import run

    run(count=count, seconds=seconds, latency_seconds=latency_seconds, batch_rows=batch_rows,
        batch_ms=batch_ms, db=db)
