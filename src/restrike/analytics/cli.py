"""``restrike analytics match|athlete|athletes|tournament|day``: figures from the store.

Reads the station's database directly with a read-only connection, so it works while
the station runs (WAL) and when it does not; a match not folded yet is folded on the
spot. ``--format table|json|csv``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

__all__ = ["cli"]

cli = typer.Typer(help="Analytics of the stored feed: match, athlete, tournament, day.",
                  add_completion=False, no_args_is_help=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


_FORMAT = typer.Option(Format.table, "--format", help="table, json or csv (the main table).")
_DATA = typer.Option(None, "--data-dir", file_okay=False,
                     help="The station's data folder; default: the one of the settings.")
_CONFIG = typer.Option(None, "--config", dir_okay=False, help="The station's settings file.")


def _database(data_dir: Path | None, config: Path | None) -> Path:
    from restrike.config import default_data_dir, load_settings
    from restrike.store.component import DB_FILE

    if data_dir is None:
        settings = load_settings(config)
        data_dir = Path(settings.station.data_dir or default_data_dir()).expanduser()
    return data_dir / DB_FILE


def _show(kind: str, fn: Callable[[Any], Any], missing: str, fmt: Format,
          data_dir: Path | None, config: Path | None) -> None:
    from restrike.analytics.tabular import PRIMARY, to_csv, to_table
    from restrike.errors import ConfigError, StoreError
    from restrike.store import Reader

    try:
        path = _database(data_dir, config)
        if not path.is_file():
            raise StoreError(f"no database at {path}")
        with Reader(path) as reader:
            body = reader.call(fn)
    except (StoreError, ConfigError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    if body is None:
        typer.echo(f"error: {missing}", err=True)
        raise typer.Exit(1)
    if fmt is Format.json:
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
    elif fmt is Format.csv:
        typer.echo(to_csv(body[PRIMARY[kind]]), nl=False)
    else:
        typer.echo(to_table(body), nl=False)


@cli.command()
def match(match_id: int = typer.Argument(..., min=1, help="As in /api/v1/matches."),
          fmt: Format = _FORMAT, data_dir: Path | None = _DATA,
          config: Path | None = _CONFIG) -> None:
    """A match's analytics."""
    from restrike.analytics.queries import match_body

    _show("match", lambda c: match_body(c, match_id), f"no match with id {match_id}", fmt,
          data_dir, config)


@cli.command()
def athlete(athlete_id: int = typer.Argument(..., min=1, help="See `analytics athletes`."),
            fmt: Format = _FORMAT, data_dir: Path | None = _DATA,
            config: Path | None = _CONFIG) -> None:
    """An athlete's analytics over every finished match (CSV: the per-match trend)."""
    from restrike.analytics.queries import athlete_body

    _show("athlete", lambda c: athlete_body(c, athlete_id), f"no athlete with id {athlete_id}",
          fmt, data_dir, config)


@cli.command()
def athletes(search: str = typer.Argument("", help="Part of a name or country."),
             limit: int = typer.Option(50, "--limit", min=1, max=500),
             fmt: Format = _FORMAT, data_dir: Path | None = _DATA,
             config: Path | None = _CONFIG) -> None:
    """Athletes by name or country (case and accents ignored) with headline figures."""
    from restrike.analytics.queries import search_athletes

    _show("athletes", lambda c: {"athletes": search_athletes(c, search, limit)}, "", fmt,
          data_dir, config)


@cli.command()
def tournament(tournament_id: int = typer.Argument(..., min=1,
                                                   help="As in /api/v1/tournaments."),
               fmt: Format = _FORMAT, data_dir: Path | None = _DATA,
               config: Path | None = _CONFIG) -> None:
    """A tournament's analytics (CSV: the top athletes)."""
    from restrike.analytics.queries import tournament_body

    _show("tournament", lambda c: tournament_body(c, tournament_id),
          f"no tournament with id {tournament_id}", fmt, data_dir, config)


@cli.command()
def day(when: str = typer.Argument(..., metavar="DATE", help="Local date YYYY-MM-DD."),
        fmt: Format = _FORMAT, data_dir: Path | None = _DATA,
        config: Path | None = _CONFIG) -> None:
    """A day's analytics, every tournament of that date (CSV: the top athletes)."""
    from restrike.analytics.queries import day_body

    try:
        parsed = date.fromisoformat(when)
    except ValueError:
        typer.echo(f"error: DATE must be a calendar date YYYY-MM-DD, not {when!r}", err=True)
        raise typer.Exit(2) from None
    _show("day", lambda c: day_body(c, parsed), "", fmt, data_dir, config)
