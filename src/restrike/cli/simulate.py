"""`restrike simulate ...`: a simulated court (tkStrike) sending WT UDP to a station."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import typer

from restrike.cli import app, bench_app
from restrike.errors import RestrikeError
from restrike.simulator import (
    SCENARIOS,
    SimulationResult,
    play,
    play_capture,
    play_random,
)
from restrike.simulator.interactive import run_interactive
from restrike.simulator.progress import ProgressLine

simulate_app = typer.Typer(
    help="Simulate a court's scoring software (tkStrike): WT UDP v2.3 to a station.",
    no_args_is_help=True,
)
app.add_typer(simulate_app, name="simulate")

_TARGET = typer.Option("127.0.0.1:6000", "--target", help="Where to send: HOST:PORT.")
_LISTEN = typer.Option(None, "--listen",
                       help="Answer pull requests on HOST:PORT (default: any free port).")
_STYLE = typer.Option("real", "--style",
                      help="real (tkStrike: a datagram per message, CR LF) or documented.")
_SEED = typer.Option(1, "--seed", help="Same seed, same datagrams.")
_SPEED = typer.Option(1.0, "--speed", help="Time factor: 1 = real time, 100 = 100x faster.")
_QUIET = typer.Option(False, "--quiet", "-q", help="No progress line.")


def _address(text: str, option: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise typer.BadParameter(f"expected HOST:PORT, got {text!r}", param_hint=option)
    return host, int(port)


def _style(text: str) -> Any:
    if text not in ("real", "documented"):
        raise typer.BadParameter("real or documented", param_hint="--style")
    return text


def _listening(address: tuple[str, int]) -> None:
    print(f"answering pull requests on {address[0]}:{address[1]}", file=sys.stderr)


Maker = Callable[[Callable[..., None] | None, asyncio.Event],
                Coroutine[Any, Any, SimulationResult]]


async def _main(make: Maker, progress: Callable[..., None] | None) -> SimulationResult:
    """Run with Ctrl-C / SIGTERM setting the stop event, so `bye;` still goes out."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # Windows: Ctrl-C arrives as KeyboardInterrupt instead
    try:
        return await make(progress, stop)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _run(make: Maker, quiet: bool, matches: int | None = None) -> None:
    progress = None if quiet else ProgressLine(sys.stderr, matches=matches)
    try:
        result = asyncio.run(_main(make, progress))
    except KeyboardInterrupt:
        if progress is not None:
            progress.close()
        print("stopped", file=sys.stderr)
        raise typer.Exit(130) from None
    except RestrikeError as err:
        if progress is not None:
            progress.close()
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    if progress is not None:
        progress.close()
    _report(result)
    if not result.completed:
        print("stopped before the end", file=sys.stderr)
        raise typer.Exit(130)


def _report(result: SimulationResult) -> None:
    print(f"sent {result.datagrams} datagrams ({result.messages} messages) in "
          f"{result.elapsed:.1f} s; answered {result.requests_answered} pull requests "
          f"on {result.listen[0]}:{result.listen[1]}")
    for m in result.matches:
        winner = {1: "BLUE", 2: "RED"}.get(m.winner or 0, "-")
        print(f"match {m.number}: BLUE {m.blue} {m.scores[0]}-{m.scores[1]} RED {m.red}; "
              f"rounds {list(m.round_winners)}; winner {winner} {m.decision or ''}".rstrip())
    for line in result.skipped:
        print(f"skipped {line}", file=sys.stderr)


@simulate_app.command()
def demo(
    scenario: str = typer.Option("championship", "--scenario",
                                 help=f"One of: {', '.join(SCENARIOS)}."),
    matches: int = typer.Option(1, "--matches",
                                help="Matches in a row (new athletes each); 0 = until stopped."),
    target: str = _TARGET, style: str = _STYLE, seed: int = _SEED, speed: float = _SPEED,
    listen: str | None = _LISTEN, quiet: bool = _QUIET,
) -> None:
    """Complete WT matches: load, rounds, points, penalties, reviews, winner."""
    if scenario not in SCENARIOS:
        raise typer.BadParameter(f"one of {', '.join(SCENARIOS)}", param_hint="--scenario")
    to, at = _address(target, "--target"), _address(listen, "--listen") if listen else None
    chosen = _style(style)
    _run(lambda progress, stop: play(to, scenario=scenario, seed=seed, speed=speed,
                                     matches=matches, style=chosen, listen=at,
                                     progress=progress, stop=stop, on_listen=_listening),
         quiet, matches or None)


@simulate_app.command("random")
def random_traffic(
    rate: float = typer.Option(100.0, "--rate", help="Datagrams per second."),
    duration: float = typer.Option(10.0, "--duration", help="Seconds to run."),
    target: str = _TARGET, style: str = _STYLE, seed: int = _SEED,
    listen: str | None = _LISTEN, quiet: bool = _QUIET,
) -> None:
    """Valid match traffic at a fixed datagram rate, for load tests."""
    to, at = _address(target, "--target"), _address(listen, "--listen") if listen else None
    chosen = _style(style)
    _run(lambda progress, stop: play_random(to, rate=rate, duration=duration, seed=seed,
                                            style=chosen, listen=at, progress=progress,
                                            stop=stop, on_listen=_listening), quiet)


@simulate_app.command()
def replay(
    capture: Path = typer.Option(..., "--capture", help="Capture file (JSON Lines or text)."),
    target: str = _TARGET, speed: float = _SPEED, listen: str | None = _LISTEN,
    quiet: bool = _QUIET,
) -> None:
    """Re-send a capture with its original timing (divided by --speed)."""
    to, at = _address(target, "--target"), _address(listen, "--listen") if listen else None
    _run(lambda progress, stop: play_capture(to, capture, speed=speed, listen=at,
                                             progress=progress, stop=stop,
                                             on_listen=_listening), quiet)


@simulate_app.command()
def interactive(
    scenario: str = typer.Option("championship", "--scenario",
                                 help="Round and break lengths of this scenario."),
    target: str = _TARGET, style: str = _STYLE, seed: int = _SEED, speed: float = _SPEED,
    listen: str | None = _LISTEN,
) -> None:
    """A prompt: load, start, point blue head, warning red, challenge blue, accept won..."""
    if scenario not in SCENARIOS:
        raise typer.BadParameter(f"one of {', '.join(SCENARIOS)}", param_hint="--scenario")
    to, at = _address(target, "--target"), _address(listen, "--listen") if listen else None
    try:
        result = asyncio.run(run_interactive(to, scenario=scenario, seed=seed, speed=speed,
                                             style=_style(style), listen=at))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except RestrikeError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    _report(result)


@bench_app.command("simulate")
def bench_simulate(
    seconds: float = typer.Option(3.0, help="Seconds per rate."),
) -> None:
    """Random mode's rate accuracy at 1k, 10k and 50k datagrams/s (target within 1 %)."""
    from restrike.bench.simulate import run

    if not run(seconds):
        raise typer.Exit(1)
