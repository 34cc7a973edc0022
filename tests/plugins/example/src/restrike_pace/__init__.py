"""Scoring pace for reStrike VTA: points per minute of each athlete, as the court scores.

A complete plugin (docs/plugins.md): it counts the points of the ``pt1``/``pt2``
messages the station parses, over a sliding window set in its ``[pace]`` section;
answers ``GET /api/v1/pace``; tells the console's live clients (``{"type": "pace"}``
on /ws/live); shows a "Pace" tab in the console; and adds ``restrike pace`` and
``restrike bench pace``.
A new match (``mch``) starts from zero.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from fastapi import APIRouter

from restrike.bus import Broadcast, Bus, MessagesParsed
from restrike.config import setting_field
from restrike.kernel import Context, Health, Stage
from restrike.plugins import ConsolePanel
from restrike.protocol import Message

__all__ = ["Pace", "PaceSettings"]

SIDES = {1: "blue", 2: "red"}


@dataclass(frozen=True, slots=True)
class PaceSettings:
    """The ``[pace]`` section of the station's settings (``RESTRIKE_PACE_<KEY>``)."""

    window_seconds: float = setting_field(
        60.0, "Seconds of scoring the pace is measured over.", kind="float", min=5,
        max=3600)


cli = typer.Typer(help="Scoring pace of the current match.", add_completion=False)


@cli.command()
def show(url: str = typer.Option("http://127.0.0.1:8080", "--url", help="The station."),
         as_json: bool = typer.Option(False, "--json", help="Print the JSON body.")) -> None:
    """Print the pace the running station measures."""
    with urllib.request.urlopen(url.rstrip("/") + "/api/v1/pace", timeout=5) as answer:
        pace = json.load(answer)
    if as_json:
        typer.echo(json.dumps(pace))
        return
    for side in SIDES.values():
        p = pace[side]
        typer.echo(f"{side:<4} {p['per_minute']:5.1f} points/min ({p['points']} points in "
                   f"{p['actions']} scoring actions, last {pace['window_seconds']:g} s)")


bench = typer.Typer(help="How fast the pace is answered.", add_completion=False)


@bench.command()
def snapshot(points: int = typer.Option(2000, "--points", min=1, max=1_000_000,
                                        help="Scoring actions in the window.")) -> None:
    """Time one answer of GET /api/v1/pace over a full window (target: 1 ms)."""
    pace = Pace()
    now = time.time()
    pace.points.extend((now - i * pace.window / (points + 1), 1 + i % 2, 1 + i % 5)
                       for i in range(points))
    rounds = 50
    started = time.perf_counter()
    for _ in range(rounds):
        pace.snapshot(now)
    took = (time.perf_counter() - started) / rounds * 1000
    typer.echo(f"pace snapshot, {points} actions: {took:.3f} ms (target 1 ms) "
               f"{'OK' if took <= 1 else 'SLOW'}")


class Pace:
    """The station component: counts points as they are parsed."""

    name = "pace"
    settings = PaceSettings
    cli = cli
    bench = bench
    console = ConsolePanel("Pace", Path(__file__).parent / "panel")

    def __init__(self) -> None:
        self.window = PaceSettings().window_seconds
        self.points: deque[tuple[float, int, int]] = deque()  # (received at, athlete, points)
        self.counted = 0
        self._bus: Bus | None = None
        self._unsubscribe: Callable[[], None] | None = None

    async def start(self, ctx: Context) -> None:
        self.window = ctx.settings.section("pace").window_seconds
        self._bus = ctx.bus
        self._unsubscribe = ctx.bus.subscribe(MessagesParsed, self._on_parsed)
        router = APIRouter(tags=["pace"])

        @router.get("/api/v1/pace", summary="Scoring pace of the current match")
        async def pace() -> dict[str, Any]:  # async: it runs on the loop, like the bus
            return self.snapshot(time.time())

        ctx.add_router(router)

    async def stop(self, stage: Stage) -> None:
        if stage is Stage.INTAKE and self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def health(self) -> Health:
        return {"ok": True, "state": "running", "points_counted": self.counted,
                "window_seconds": self.window}

    def _on_parsed(self, event: MessagesParsed) -> None:
        changed = False
        for _seq, received_at, _source, _data, messages in event.items:
            for message in messages:
                if message.kind == "match_config":  # a new match
                    self.points.clear()
                    changed = True
                elif (isinstance(message, Message) and message.kind == "point"
                      and message.athlete in SIDES):
                    technique = message.get("technique")  # 1 punch ... 5 technical head
                    points = technique if isinstance(technique, int) else 0
                    self.points.append((received_at, message.athlete, points))
                    self.counted += 1
                    changed = True
        if changed and self._bus is not None:
            self._bus.publish(Broadcast("pace", self.snapshot(time.time())))

    def snapshot(self, now: float) -> dict[str, Any]:
        """Points, scoring actions and points per minute of each side in the window."""
        while self.points and self.points[0][0] < now - self.window:
            self.points.popleft()
        body: dict[str, Any] = {"window_seconds": self.window}
        for athlete, side in SIDES.items():
            mine = [points for _at, who, points in self.points if who == athlete]
            body[side] = {"points": sum(mine), "actions": len(mine),
                          "per_minute": round(sum(mine) * 60 / self.window, 2)}
        return body
