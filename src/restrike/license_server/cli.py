"""``restrike license-server``: run the licence server, and administer its keys.

``restrike license-server --host H --port P --data-dir D [--db postgresql://...]``
serves; ``restrike license-server keys create|list|revoke|reset ... --data-dir D`` and
``restrike license-server audit --data-dir D`` work on the same folder (the server may
be running). Failures are one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import typer

from restrike.errors import LicenseError

__all__ = ["app"]

app = typer.Typer(help="The licence server: serve, and create / list / revoke / reset keys.",
                  add_completion=False, invoke_without_command=True)
keys = typer.Typer(help="The licence keys.", add_completion=False, no_args_is_help=True)
app.add_typer(keys, name="keys")

_SERVE_DIR = typer.Option(None, "--data-dir", help="The server's folder (required).")
_DB = typer.Option(None, "--db", help="A postgresql:// URL instead of SQLite in --data-dir.")


_DIR = typer.Option(..., "--data-dir", help="The server's folder (database, key pair).")


def _fail(err: Exception) -> NoReturn:
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(2)


def _db(data_dir: Path, url: str | None) -> Any:
    from restrike.license_server.db import LicenseDB

    try:
        return LicenseDB(data_dir, url=url)
    except LicenseError as err:
        _fail(err)


def _when(at: float | None) -> str:
    if at is None:
        return "-"
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M")


@app.callback()
def serve(ctx: typer.Context,
          host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
          port: int = typer.Option(8443, "--port", min=1, max=65535, help="TCP port."),
          data_dir: Path | None = _SERVE_DIR,
          db: str | None = _DB,
          rate: int = typer.Option(30, "--rate", min=1, max=100_000,
                                   help="Requests a minute each client may make."),
          token_days: float = typer.Option(30, "--token-days", min=1, max=365,
                                           help="Days a token stays valid.")) -> None:
    """Serve the licence API until Ctrl-C (when no subcommand is given)."""
    if ctx.invoked_subcommand is not None:
        return
    if data_dir is None:
        _fail(LicenseError("--data-dir is required: the folder of the server's database "
                           "and key pair"))
    import uvicorn

    from restrike.license_server.app import create_app
    from restrike.license_server.keypair import load_or_create

    try:
        private = load_or_create(data_dir)
    except LicenseError as err:
        _fail(err)
    database = _db(data_dir, db)
    application = create_app(database, private, rate_per_minute=rate, token_days=token_days)
    typer.echo(f"licence server on http://{host}:{port} (data {data_dir}); Ctrl-C to stop")
    try:
        uvicorn.run(application, host=host, port=port, log_level="warning",
                    access_log=False)
    finally:
        database.close()


@keys.command()
def create(data_dir: Path = _DIR, db: str | None = _DB,
           seats: int = typer.Option(1, "--seats", min=1, max=10_000,
                                     help="Machines the key may be active on at once."),
           days: float | None = typer.Option(None, "--days", min=1, max=36_500,
                                             help="Days the licence lasts (none: no end)."),
           note: str = typer.Option("", "--note", help="Who it is for.")) -> None:
    """Create a key; it is printed as the last line (and never shown again)."""
    key = _db(data_dir, db).create_key(seats=seats, days=days, now=time.time(), note=note)
    typer.echo(f"new key, {seats} seat(s), " + (f"{days:g} days" if days else "no end") +
               " (keep it: only its hash is stored):")
    typer.echo(key)


@keys.command("list")
def list_keys(data_dir: Path = _DIR, db: str | None = _DB,
              as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every key: its id, seats used, end and revocation."""
    rows = _db(data_dir, db).keys()
    if as_json:
        typer.echo(json.dumps([r.as_json() for r in rows]))
        return
    typer.echo(f"{'id':<24}  {'seats':>7}  {'created':<16}  {'ends':<16}  {'revoked':<16}  note")
    for r in rows:
        typer.echo(f"{r.id:<24}  {r.used:>3}/{r.seats:<3}  {_when(r.created_at):<16}  "
                   f"{_when(r.expires_at):<16}  {_when(r.revoked_at):<16}  {r.note}")


@keys.command()
def revoke(key: str = typer.Argument(..., help="The key, or its id from `keys list`."),
           data_dir: Path = _DIR, db: str | None = _DB) -> None:
    """Revoke a key: its stations turn `revoked` at their next validation."""
    try:
        ident = _db(data_dir, db).revoke(key, now=time.time())
    except LicenseError as err:
        _fail(err)
    typer.echo(f"revoked {ident}")


@keys.command()
def reset(key: str = typer.Argument(..., help="The key, or its id from `keys list`."),
          data_dir: Path = _DIR, db: str | None = _DB) -> None:
    """Free every seat of a key (its machines must activate again)."""
    try:
        freed = _db(data_dir, db).reset(key, now=time.time())
    except LicenseError as err:
        _fail(err)
    typer.echo(f"freed {freed} seat(s)")


@app.command()
def audit(data_dir: Path = _DIR, db: str | None = _DB,
          limit: int = typer.Option(50, "--limit", min=1, max=100_000)) -> None:
    """The latest requests: when, what, which key and machine, from where, the outcome."""
    for at, action, key, fp, client, outcome, detail in _db(data_dir, db).audit(limit):
        typer.echo(f"{_when(at)}  {action:<10} {key or '-':<24} {(fp or '-')[:16]:<16} "
                   f"{client or '-':<15} {outcome}" + (f"  {detail}" if detail else ""))
