"""`restrike bench obs`: OBS request and replay-save latency against real OBS."""

from __future__ import annotations

import typer

from restrike.cli import bench_app


@bench_app.command("obs")
def bench_obs(
    url: str | None = typer.Option(
        None, "--url", help="obs-websocket v5 URL; without it a headless OBS is started"
    ),
    password: str | None = typer.Option(
        None, "--password", envvar="RESTRIKE_OBS_PASSWORD", help="OBS websocket password"
    ),
    requests: int = typer.Option(200, "--requests", min=1, help="GetVersion round trips"),
    saves: int = typer.Option(10, "--saves", min=1, help="replay buffer saves"),
) -> None:
    """Request round-trip and SaveReplayBuffer → ReplayBufferSaved, as p50/p99."""
    from restrike.bench.obs import report, run

    print(report(run(url, password, requests=requests, saves=saves)))
