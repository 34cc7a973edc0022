"""``restrike highlights`` (a top-level command), ``restrike analysis ...`` (tags, analyze)
and ``restrike bench analysis``."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path

import typer

from restrike.errors import RestrikeError

__all__ = ["bench", "cli", "commands"]

cli = typer.Typer(help="Key moments and video analysis.", add_completion=False,
                  no_args_is_help=True)
#: Mounted at the top (``restrike highlights``): the plugin's ``commands``.
commands = typer.Typer(add_completion=False)
bench = typer.Typer(help="Tagging cost per message and reel build time.",
                    add_completion=False)

_DATA_DIR = typer.Option(None, "--data-dir", file_okay=False,
                         help="the station's data folder (default: the user data folder)")


def _database(data_dir: Path | None, database: Path | None) -> Path:
    if database is not None:
        return database
    from restrike.config import default_data_dir
    from restrike.store.component import DB_FILE

    return (data_dir or Path(default_data_dir())) / DB_FILE


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@commands.command()
def highlights(
    to: Path = typer.Option(..., "--to", dir_okay=False, help="the reel to write (.mp4)"),
    match: str | None = typer.Option(None, "--match", help="a match number"),
    day: str | None = typer.Option(None, "--day", help="a day, YYYY-MM-DD"),
    kinds: str = typer.Option("", "--kinds", help="tag kinds, comma-separated (default all)"),
    before: float = typer.Option(6.0, "--before", min=0, max=120, help="seconds before"),
    after: float = typer.Option(4.0, "--after", min=0, max=120, help="seconds after"),
    max_seconds: float | None = typer.Option(None, "--max-seconds", min=1,
                                             help="keep the heaviest moments to this length"),
    title_seconds: float = typer.Option(3.0, "--title-seconds", min=0, max=10,
                                        help="title card per match; 0: none"),
    angle: str = typer.Option("best", "--angle",
                              help="a moment in a multi-angle review clip: `best` (the "
                                   "best-covered angle), `recording` (the match recording "
                                   "only) or an angle's name"),
    ffmpeg: str = typer.Option("ffmpeg", "--ffmpeg", help="ffmpeg to run"),
    data_dir: Path | None = _DATA_DIR,
    database: Path | None = typer.Option(None, "--database", dir_okay=False,
                                         help="the station's database (default: in "
                                              "--data-dir)"),
) -> None:
    """Cut the tagged moments of a match or a day into one MP4 with chapters."""
    from restrike.analysis.ffmpeg import find_tools
    from restrike.analysis.highlights import ReelRequest, build_reel, collect
    from restrike.store import Reader

    if (match is None) == (day is None):
        raise _fail("give --match NUMBER or --day YYYY-MM-DD", 2)
    path = _database(data_dir, database)
    if not path.is_file():
        raise _fail(f"no database at {path} (use --data-dir or --database)", 2)
    request = ReelRequest(match, day, tuple(k for k in kinds.split(",") if k), before, after,
                          max_seconds, title_seconds, angle)
    try:
        tools = find_tools(ffmpeg)
        with Reader(path) as reader:
            moments, skipped = reader.call(lambda conn: collect(conn, request))
    except RestrikeError as err:
        raise _fail(str(err), 2) from err
    for line in skipped:
        typer.echo(f"warning: {line}", err=True)
    try:
        result = build_reel(tools, moments, request, to, flags_dir=path.parent / "flags")
    except RestrikeError as err:
        raise _fail(str(err), 1) from err
    typer.echo(f"{to}: {result.duration:.1f} s, {result.matches} matches, {result.segments} "
          f"segments ({result.copied} stream-copied, {result.encoded} re-encoded), "
          f"{len(result.chapters)} chapters")


@cli.command()
def tags(
    match: int | None = typer.Option(None, "--match-id", help="a match id"),
    day: str | None = typer.Option(None, "--day", help="a day, YYYY-MM-DD"),
    data_dir: Path | None = _DATA_DIR,
) -> None:
    """Print the stored tags as JSON Lines."""
    from restrike.analysis.tables import list_tags
    from restrike.store import Reader

    path = _database(data_dir, None)
    if not path.is_file():
        raise _fail(f"no database at {path} (use --data-dir)", 2)
    try:
        with Reader(path) as reader:
            rows = reader.call(lambda conn: list_tags(conn, match=match, day=day,
                                                      limit=100_000))
    except RestrikeError as err:
        raise _fail(f"{err} (has the analysis plugin run on this database?)", 2) from err
    for row in rows:
        typer.echo(json.dumps(row))


@cli.command()
def analyze(clip: Path = typer.Argument(..., dir_okay=False, help="a video file"),
            names: str = typer.Option("motion_peak", "--analyzers",
                                      help="analyzers, comma-separated")) -> None:
    """Run the video analyzers on a clip (decoded by PyAV) and print their findings."""
    from restrike.analysis.analyzers import load_analyzers, read_frames, suggest_start

    try:
        findings = [(a.name, f) for a in load_analyzers(names.split(","))
                    for f in a.analyze(read_frames(clip))]
    except RestrikeError as err:
        raise _fail(str(err), 2) from err
    for name, finding in findings:
        typer.echo(f"{name}: {finding.label} at {finding.at:.2f} s (score {finding.score:.2f})")
    start = suggest_start(f for _n, f in findings)
    typer.echo(f"suggested replay start: {'-' if start is None else f'{start:.2f} s'}")


@bench.command()
def run(matches: int = typer.Option(20, "--matches", min=1, max=1000,
                                    help="simulated matches fed to the tagger"),
        video_seconds: int = typer.Option(120, "--video-seconds", min=10, max=3600,
                                          help="length of the generated recording"),
        clip_seconds: int = typer.Option(20, "--clip-seconds", min=0, max=600,
                                         help="length of the review clip analysed; 0: "
                                              "none"),
        ffmpeg: str = typer.Option("ffmpeg", "--ffmpeg")) -> None:
    """Tagging cost per message (target 20 µs), reel build time (target 10 % of the
    recording's length, stream copy) and a review clip's analysis (target: within
    analysis.seek_within, 4 s)."""
    from restrike.analysis.bench import clip_cost, feed_cost, reel_cost

    per_message, count, tags_made = feed_cost(matches)
    typer.echo(f"tagging: {per_message * 1e6:.2f} µs per message over {count} messages of "
          f"{matches} matches, {tags_made} tags (target 20 µs) "
          f"{'OK' if per_message <= 20e-6 else 'SLOW'}")
    with tempfile.TemporaryDirectory(prefix="restrike-bench-") as folder:
        try:
            for encode in (False, True):
                took, reel, mode = reel_cost(Path(folder), video_seconds, ffmpeg,
                                             encode=encode)
                share = took / video_seconds
                typer.echo(f"reel ({mode}): {took:.2f} s for a {video_seconds} s recording "
                      f"({share:.1%} of its length), reel {reel:.1f} s "
                      f"(target 10 %{'' if not encode else ', re-encoding: for reference'}) "
                      f"{'OK' if share <= 0.10 else 'SLOW'}")
            if clip_seconds:
                took, cpu, found = clip_cost(Path(folder), clip_seconds, ffmpeg)
                typer.echo(f"review clip analysed (PyAV, 1080p30, {clip_seconds} s): "
                           f"{took:.2f} s ({cpu:.2f} s CPU), {found} (target 4 s: "
                           f"analysis.seek_within) {'OK' if took <= 4 else 'SLOW'}")
        except (RestrikeError, sqlite3.Error) as err:
            raise _fail(str(err), 1) from err
