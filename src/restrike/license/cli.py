"""``restrike license activate | status | validate | deactivate``.

Each works on the station's data folder (``--data-dir``, else ``station.data_dir`` of
``RESTRIKE_CONFIG`` / the environment, else the user data folder) while the station
runs or not: the station reads the files again within a minute. Every failure is
one line on stderr saying what to do, and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import typer

from restrike.errors import ConfigError, LicenseError

__all__ = ["cli"]

cli = typer.Typer(help="This machine's licence: activate, status, validate, deactivate.",
                  add_completion=False, no_args_is_help=True)

_DATA_DIR = typer.Option(None, "--data-dir", help="The station's data folder (default: "
                         "station.data_dir of the settings, else the user data folder).")


def _service(data_dir: Path | None) -> Any:
    """The service for ``data_dir`` and the settings' ``[license]`` section."""
    from restrike.config import load_settings
    from restrike.license.plugin import LicenseSettings
    from restrike.license.service import LicenseService

    try:
        settings = load_settings().with_section("license", LicenseSettings)
        options: LicenseSettings = settings.section("license")
        folder = data_dir or Path(settings.station.data_dir).expanduser()
        return LicenseService(folder, machine_id_file=options.machine_id_file)
    except (ConfigError, LicenseError) as err:
        _fail(err)


def _fail(err: Exception) -> NoReturn:
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(2)


def _show(body: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(body))
        return
    days = "" if body["days_left"] is None else f" ({body['days_left']} days left)"
    typer.echo(f"licence: {body['state']}{days}")
    typer.echo(f"  {body['reason']}")
    for label, name in (("last validated", "last_validated"), ("server", "server"),
                        ("key", "key"), ("fingerprint", "fingerprint"),
                        ("last error", "last_error")):
        if body.get(name):
            typer.echo(f"  {label}: {body[name]}")


@cli.command()
def activate(key: str = typer.Argument(..., help="The licence key."),
             server: str = typer.Option(..., "--server", help="The licence server URL."),
             data_dir: Path | None = _DATA_DIR,
             as_json: bool = typer.Option(False, "--json", help="Print the JSON state.")
             ) -> None:
    """Activate this machine (one seat of the key); the server URL is remembered."""
    service = _service(data_dir)
    try:
        snapshot = service.activate(key, server)
    except LicenseError as err:
        _fail(err)
    _show(snapshot.as_json(), as_json)


@cli.command()
def status(data_dir: Path | None = _DATA_DIR,
           as_json: bool = typer.Option(False, "--json", help="Print the JSON state.")
           ) -> None:
    """Show the state: trial, active, warning, locked or revoked (exit 2 when the
    licence file cannot be used)."""
    snapshot = _service(data_dir).snapshot()
    _show(snapshot.as_json(), as_json)
    if snapshot.problem is not None:
        typer.echo(f"error: {snapshot.problem}", err=True)
        raise typer.Exit(2)


@cli.command()
def validate(data_dir: Path | None = _DATA_DIR,
             as_json: bool = typer.Option(False, "--json", help="Print the JSON state.")
             ) -> None:
    """Validate with the licence server now (exit 2 if it failed)."""
    try:
        snapshot, failure = _service(data_dir).validate()
    except LicenseError as err:
        _fail(err)
    _show(snapshot.as_json(), as_json)
    if failure is not None:
        _fail(failure)


@cli.command()
def deactivate(data_dir: Path | None = _DATA_DIR) -> None:
    """Free this machine's seat and forget the licence here."""
    try:
        failure = _service(data_dir).deactivate()
    except LicenseError as err:
        _fail(err)
    typer.echo("licence removed from this machine")
    if failure is not None:
        _fail(failure)
