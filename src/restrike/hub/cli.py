"""``restrike hub``: run the tournament hub (the server side of the hub link).

The server's modules (psycopg, the app) are imported when the command runs, so a
station without the ``hub`` extra loads the hub link plugin all the same.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from restrike.errors import ConfigError, HubError

__all__ = ["cli"]

cli = typer.Typer(help="The tournament hub: every court into one PostgreSQL database.",
                  add_completion=False)


@cli.command()
def serve(
    database: Annotated[str, typer.Option(
        "--database", help="PostgreSQL URL, postgresql://USER@HOST:PORT/DB.")],
    http_host: Annotated[str, typer.Option(
        "--http-host", help="Address to serve on (0.0.0.0: the whole LAN).")] = "127.0.0.1",
    http_port: Annotated[int, typer.Option(
        "--http-port", min=1, max=65535,
        help="Port of the upload API and the control room.")] = 8090,
    tokens: Annotated[Path | None, typer.Option(
        "--tokens", dir_okay=False, help="File of `court = token` lines; without it every "
                                          "court is accepted (with a warning).")] = None,
    connections: Annotated[int, typer.Option(
        "--connections", min=1, max=64, help="PostgreSQL connections the hub keeps.")] = 4,
    allowed_host: Annotated[list[str] | None, typer.Option(
        "--allowed-host", help="A name the control room is opened by, besides the "
                               "hub's addresses, localhost and its machine name "
                               "(repeat it for more).")] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="Log level.")] = "INFO",
) -> None:
    """Migrate the database and serve the hub until Ctrl-C."""
    logging.basicConfig(level=log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        from restrike.hub.server.serve import serve as run
    except ModuleNotFoundError as err:
        if not (err.name or "").startswith("psycopg"):
            raise
        typer.echo(f"the hub needs psycopg: pip install 'restrike[hub]' ({err})", err=True)
        raise typer.Exit(2) from err
    try:
        run(database, http_host, http_port, tokens, connections,
            tuple(allowed_host or ()))
    except (HubError, ConfigError) as err:
        typer.echo(f"restrike hub: {err}", err=True)
        raise typer.Exit(2) from err
