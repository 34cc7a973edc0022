"""`restrike bench ingest`: loss, latency, RSS and CPU of a station driven over UDP."""

from __future__ import annotations

import sys

import typer

from restrike.cli import bench_app

__all__ = ["bench_ingest"]


@bench_app.command("ingest")
def bench_ingest(
    rate: float = typer.Option(1000.0, "--rate", help="Messages per second to send."),
    seconds: float = typer.Option(10.0, "--seconds", help="How long to send."),
    scenario: str = typer.Option("", "--scenario",
                                 help="'all': the issue's four targets (overrides --rate)."),
    url: str | None = typer.Option(None, "--url", help="A running station's API URL."),
    udp: str | None = typer.Option(None, "--udp", help="Its feed HOST:PORT (with --url)."),
    compare_receivers: bool = typer.Option(False, "--compare-receivers",
                                           help="Thread vs asyncio receiver, in process."),
    state_client: str = typer.Option("raw", "--state-client",
                                     help="GET /api/v1/state poller: 'raw' (keep-alive "
                                          "socket) or 'http.client' (to compare)."),
) -> None:
    """Drive a station over UDP from another process: loss, latency, RSS, CPU."""
    from restrike.bench import ingest

    if compare_receivers:
        from restrike.bench.receivers import report

        raise typer.Exit(0 if report(rate, seconds) else 1)
    if state_client not in ("raw", "http.client"):
        print(f"error: --state-client: {state_client!r} is not raw or http.client",
              file=sys.stderr)
        raise typer.Exit(2)
    sut = ingest.StationUnderTest(url, udp)
    sut.start()
    try:
        if scenario == "all":
            ok = ingest.run_scenarios(sut, seconds, state_client=state_client)
        elif scenario:
            print(f"error: unknown scenario {scenario!r} (all)", file=sys.stderr)
            raise typer.Exit(2)
        else:
            ingest.print_result(ingest.run_rate(sut, rate, seconds,
                                                state_client=state_client))
            ok = True
    finally:
        sut.stop()
    raise typer.Exit(0 if ok else 1)
