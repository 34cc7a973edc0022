"""The `restrike` command: one Typer app, each command group in its own module."""

from __future__ import annotations

import typer

from restrike import __version__
from restrike.cli.plugin_commands import PluginBenches, PluginCommands
from restrike.license_server.cli import app as license_server_app

app = typer.Typer(
    name="restrike",
    cls=PluginCommands,  # + `restrike <plugin> ...` for each plugin with a cli
    help="reStrike VTA: instant video replay station for taekwondo (WT UDP v2.3).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
bench_app = typer.Typer(
    cls=PluginBenches,  # + `restrike bench <plugin>` for each plugin with a bench
    help="Benchmarks: each prints its figures next to its targets.",
)
app.add_typer(bench_app, name="bench")
# The licence server is the organisation's program, not a court's: a command of its own.
app.add_typer(license_server_app, name="license-server")


def _version(value: bool) -> None:
    if value:
        print(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
) -> None:
    """reStrike VTA."""


# Command modules register themselves on `app` / `bench_app` when imported.
from restrike.cli import backup as _backup  # noqa: E402,F401
from restrike.cli import capture as _capture  # noqa: E402,F401
from restrike.cli import config as _config  # noqa: E402,F401
from restrike.cli import decode as _decode  # noqa: E402,F401
from restrike.cli import ingest as _ingest  # noqa: E402,F401
from restrike.cli import obs as _obs  # noqa: E402,F401
from restrike.cli import playback as _playback  # noqa: E402,F401
from restrike.cli import plugins as _plugins  # noqa: E402,F401
from restrike.cli import review as _review  # noqa: E402,F401
from restrike.cli import run as _run  # noqa: E402,F401
from restrike.cli import simulate as _simulate  # noqa: E402,F401


def main() -> None:
    """Entry point of the console script."""
    app()
