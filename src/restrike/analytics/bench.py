"""``restrike bench analytics``: the analytics' answer times over 1M and 10M stored
events while the court feed runs, and the station's memory, next to issue 13's targets.

For each size the data set is built (or taken from the cache: `benchdata`), then the
real station (``restrike run``, a process of its own: store, ingest, API and the
analytics; no mpv and no other plugin) runs on it; this process feeds it championship
matches over UDP at ``--rate`` messages a second and asks each endpoint ``--queries``
times over HTTP (the ``http`` columns). The ``query`` columns time the same query
functions here, on a read-only connection of their own, without HTTP: what the
analytics themselves cost; ``CPU`` their processor time alone (what they cost on a
machine that is busy with other work, where the wall-clock times wait). RSS is the
station process's resident memory, sampled every 0.1 s (its largest).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["TARGETS", "bench"]

#: p99 targets in ms (issue 13); the athletes search has none of its own: the athlete's.
TARGETS = {"match": 5.0, "athlete": 10.0, "athletes search": 10.0, "tournament": 50.0,
           "day": 50.0}
RSS_TARGET_MB = 120

bench = typer.Typer(help="The analytics' answer times over 1M and 10M stored events.",
                    add_completion=False)


@bench.command()
def run(
    events: Annotated[list[int] | None, typer.Option(
        "--events", min=10_000, max=50_000_000,
        help="A data set size (repeatable); default: 1,000,000 and 10,000,000.")] = None,
    queries: Annotated[int, typer.Option("--queries", min=10, max=100_000,
                                         help="Requests per endpoint.")] = 200,
    rate: Annotated[int, typer.Option("--rate", min=0, max=20_000, help=(
        "Court messages a second sent while measuring (0: none)."))] = 1000,
    cache_dir: Annotated[Path | None, typer.Option(
        "--cache-dir", file_okay=False, help="Where the data sets are kept between runs "
                                             "(default: <temp>/restrike-bench-analytics).")
    ] = None,
) -> None:
    """Build (or reuse) each data set, run the station on it, time every endpoint."""
    from dataclasses import asdict

    from restrike.analytics.benchdata import build
    from restrike.analytics.benchrun import measure
    from restrike.errors import RestrikeError

    for size in events or [1_000_000, 10_000_000]:
        typer.echo(f"data set of {size:,} events ...")
        dataset = asdict(build(size, typer.echo, cache_dir))
        how = (f"built in {dataset['built_seconds']:.0f} s" if dataset["built_seconds"]
               else "from the cache")
        typer.echo(f"  {dataset['events']:,} events, {dataset['matches']:,} matches, "
                   f"{dataset['athletes']:,} athletes, {dataset['days']} days, "
                   f"{dataset['tournaments']} tournaments ({how}: {dataset['path']})")
        try:
            figures = measure(dataset["path"], queries, rate)
        except RestrikeError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from err
        _print(figures, queries, rate)


def _print(figures: dict[str, Any], queries: int, rate: int) -> None:
    typer.echo(f"  {queries} requests per endpoint while the court feed ran at "
               f"{figures['feed_rate']:,.0f} msg/s (asked {rate:,}; the station parsed "
               f"{figures['parsed_rate']:,.0f} msg/s, folded {figures['live_updates']} live "
               f"updates)")
    typer.echo(f"  {'endpoint':<16} {'http p50':>9} {'http p99':>9} {'query p50':>10} "
               f"{'query p99':>10} {'CPU p99':>8} {'target p99':>11}")
    for name, row in figures["endpoints"].items():
        target = TARGETS[name]
        verdict = "OK" if row["http_p99"] <= target else (
            "OK in CPU (the machine is busy)" if row["cpu_p99"] <= target else "SLOW")
        typer.echo(f"  {name:<16} {row['http_p50']:>6.2f} ms {row['http_p99']:>6.2f} ms "
                   f"{row['query_p50']:>7.2f} ms {row['query_p99']:>7.2f} ms "
                   f"{row['cpu_p99']:>5.2f} ms {target:>8.0f} ms  {verdict}")
    if figures["load"] is not None:
        typer.echo(f"  load average of the machine: {figures['load']:.1f} "
                   f"({os.cpu_count()} CPUs)")
    rss = figures["rss_mb"]
    typer.echo(f"  station RSS: {rss:.0f} MB at most (target {RSS_TARGET_MB} MB) "
               f"{'OK' if rss <= RSS_TARGET_MB else 'OVER'}; its UDP receiver child "
               f"{figures['child_rss_mb']:.0f} MB")
