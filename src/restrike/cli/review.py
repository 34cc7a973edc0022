"""`restrike chapters` and `restrike bench replay`."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import typer

from restrike.cli import app, bench_app
from restrike.errors import RestrikeError


@app.command("chapters")
def chapters(
    day: str = typer.Option(..., "--day", help="the day, YYYY-MM-DD (local date)"),
    output: Path | None = typer.Option(None, "--output", "-o", dir_okay=False,
                                       help="write the list to FILE instead of stdout"),
    database: Path | None = typer.Option(None, "--database", exists=True, dir_okay=False,
                                         help="the station's database; default: in --data-dir"),
    data_dir: Path | None = typer.Option(None, "--data-dir", file_okay=False,
                                         help="the station's data folder"),
    no_challenges: bool = typer.Option(False, "--no-challenges",
                                       help="only one chapter per match"),
) -> None:
    """YouTube chapters of a day's stream: one per match (and per video review)."""
    from restrike.review.archive import Archive, chapters_text
    from restrike.store import Store

    path = database
    if path is None:
        from restrike.config import default_data_dir
        from restrike.store.component import DB_FILE

        path = (data_dir or Path(default_data_dir())) / DB_FILE
    if not path.is_file():
        print(f"error: no database at {path} (use --database or --data-dir)", file=sys.stderr)
        raise typer.Exit(2)
    try:
        store = Store(path)  # brings an older database up to date (the review's tables)
        try:
            archive = Archive(store)
            try:
                text = chapters_text(archive, day, challenges=not no_challenges,
                                     now=time.time())
            finally:
                archive.close()
        finally:
            store.close()
    except RestrikeError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(1) from err
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"{len(text.splitlines())} chapters written to {output}")


def _size(value: str) -> str:
    width, _, height = value.lower().partition("x")
    if not (width.isdigit() and height.isdigit() and 16 <= int(width) <= 3840
            and 16 <= int(height) <= 2160):
        raise typer.BadParameter(f"expected WxH such as 640x360, not {value!r}")
    return value


@bench_app.command("replay")
def bench_replay(
    runs: int = typer.Option(10, "--runs", "-n", min=1, help="reviews per mode"),
    url: str | None = typer.Option(None, "--url", help="an OBS to use; default: start one"),
    password: str | None = typer.Option(None, "--password", help="its websocket password"),
    tail: bool = typer.Option(True, "--tail/--no-tail", help="also measure the tail mode"),
    keyframe_seconds: int = typer.Option(
        1, "--keyframe-seconds", min=0,
        help="keyframe interval of the OBS started here (0: OBS's default)"),
    angles: int = typer.Option(
        1, "--angles", min=1, max=9,
        help="OBS started here: the recording one plus N-1 cameras (role angle), saved "
             "together and played as one grid"),
    size: str = typer.Option("640x360", "--size", help="canvas of the OBS started here (WxH)",
                             callback=_size),
) -> None:
    """Challenge datagram → mpv at the clip's 10th second, against OBS's own save time."""
    from restrike.bench.replay import report, run

    # SIGTERM unwinds like Ctrl-C, so the OBS, Xvfb and mpv started here are stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        result = run(url, password, runs=runs, tail=tail, keyframe_seconds=keyframe_seconds,
                     angles=angles, size=size)
    except RestrikeError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    print(report(result))
