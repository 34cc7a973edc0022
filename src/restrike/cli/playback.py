"""`restrike bench playback`: time for mpv to show a clip at its 10th second."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from restrike.cli import bench_app
from restrike.errors import PlayerError


@bench_app.command("playback")
def bench_playback(
    n: int = typer.Option(20, "--n", "-n", min=1, help="runs of each way of starting a clip"),
    clip: Path | None = typer.Option(
        None, "--clip", exists=True, dir_okay=False, help="clip to play; default: made by ffmpeg"
    ),
    mpv_path: str | None = typer.Option(None, "--mpv-path", help="mpv executable"),
    start: float = typer.Option(10.0, "--start", min=0, help="second to start the clip at"),
    vo: str = typer.Option("null", "--vo", help="mpv video output (null: no window)"),
) -> None:
    """Open in a running idle mpv vs cold-start mpv: p50/p99 to playback at --start."""
    from restrike.bench.playback import report, run

    try:
        result = run(n=n, clip=clip, mpv_path=mpv_path, start=start, vo=vo)
    except PlayerError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    print(report(result))
