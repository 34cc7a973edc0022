"""`restrike export` and `restrike import`: capture files out of and into the store."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import typer

from restrike.cli import app
from restrike.errors import RestrikeError

_DATA_DIR_HELP = "The station's data folder; default: the user data folder."


def _database(data_dir: Path | None) -> Path:
    from restrike.config import default_data_dir
    from restrike.store.component import DB_FILE

    return (data_dir or default_data_dir()) / DB_FILE


@app.command("export")
def export(
    data_dir: Path | None = typer.Option(None, "--data-dir", file_okay=False,
                                         help=_DATA_DIR_HELP),
    day: str | None = typer.Option(None, "--day", help="Datagrams received on this local "
                                                         "date, YYYY-MM-DD."),
    match: str | None = typer.Option(None, "--match", help="Datagrams of the matches with "
                                                             "this number (e.g. 101)."),
    tournament: str | None = typer.Option(None, "--tournament",
                                          help="Datagrams of this tournament's matches."),
    to: Path | None = typer.Option(None, "--to", dir_okay=False,
                                   help="File to write; default: standard output."),
) -> None:
    """Write a capture (JSON Lines) that `decode`, `simulate replay` and `import` read."""
    from restrike.store import Reader
    from restrike.store.transfer import export_lines

    db = _database(data_dir)
    if not db.is_file():
        print(f"error: no database at {db} (use --data-dir)", file=sys.stderr)
        raise typer.Exit(2)
    if day is None and match is None and tournament is None:
        print("error: choose what to export: --day, --match or --tournament", file=sys.stderr)
        raise typer.Exit(2)
    try:
        with Reader(db) as reader:
            lines = export_lines(reader, day=day, match=match, tournament=tournament)
            count = _write(lines, to)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    except (RestrikeError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(1) from err
    print(f"{count} datagrams exported{f' to {to}' if to else ''}", file=sys.stderr)
    if count == 0:
        raise typer.Exit(1)


def _write(lines: Iterable[str], to: Path | None) -> int:
    """Write the lines to ``to`` (through a temporary file) or stdout; their number."""
    count = 0
    if to is None:
        for line in lines:
            sys.stdout.write(f"{line}\n")
            count += 1
        return count
    to.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".restrike-export-", dir=to.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            for line in lines:
                out.write(f"{line}\n")
                count += 1
        os.replace(tmp, to)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return count


@app.command("import")
def import_(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False,
                                       help="Capture files (JSON Lines: exports, spill "
                                            "files, `simulate record` captures)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", file_okay=False,
                                         help=_DATA_DIR_HELP),
    tournament: str | None = typer.Option(None, "--tournament",
                                          help="Tournament of the imported matches; default: "
                                               "`Tournament <date>` as the station names it."),
    protocol: Path | None = typer.Option(None, "--protocol", exists=True, dir_okay=False,
                                         help="Edited protocol definition to parse with."),
) -> None:
    """Store captures as past matches with their original arrival times (idempotent).

    Exit 1 when some lines could not be imported (each is named; the others are stored).
    """
    from restrike.protocol import load_schema
    from restrike.store import Store
    from restrike.store.transfer import import_capture

    db = _database(data_dir)
    bad = 0
    try:
        schema = load_schema(protocol)
        Store(db).close()  # creates or brings the database up to date
        for file in files:
            with file.open("rb") as stream:
                result = import_capture(db, stream, tournament=tournament, schema=schema)
            for error in result.errors[:20]:
                print(f"{file}: {error}", file=sys.stderr)
            if len(result.errors) > 20:
                print(f"{file}: ... {len(result.errors) - 20} more bad lines", file=sys.stderr)
            bad += len(result.errors)
            print(f"{file}: {result.added} datagrams imported, {result.skipped} already "
                  f"there, {result.matches} new matches, {len(result.errors)} bad lines")
    except (RestrikeError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    if bad:
        raise typer.Exit(1)
