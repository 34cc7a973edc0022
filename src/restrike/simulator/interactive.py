"""`restrike simulate interactive`: an operator's prompt driving a simulated court.

`Console` turns a command line into Court actions (pure, testable without a
terminal); `run_interactive` adds the real-time clock, stdin and the UDP runner.
"""

from __future__ import annotations

import asyncio
import random
import signal
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from restrike.errors import SimulatorError
from restrike.protocol import Schema, Style
from restrike.simulator._court import Court
from restrike.simulator._items import Item, make
from restrike.simulator._records import COLORS, Correction
from restrike.simulator.api import SimulationResult, _status
from restrike.simulator.match import draw_setup
from restrike.simulator.runner import Runner
from restrike.simulator.scenarios import get_scenario

__all__ = ["HELP", "Console", "run_interactive"]

HELP = """commands (ATHLETE is blue|red|1|2):
  load                        load a new match (new athletes, zeroed board)
  start | stop                start / stop the match clock (start also ends injury time)
  point ATHLETE TYPE          TYPE 1..5 or punch|body|head|tbody|thead (1, 2, 3, 4, 5 points)
  warning ATHLETE             gam-jeom: one point to the opponent
  hit ATHLETE LEVEL           hit level registered by the protector (0..100)
  injury ATHLETE SECONDS      injury time (ATHLETE may also be 0 = not identified)
  challenge ATHLETE|referee   video review request (a coach has 1 card, kept when won)
  accept [won|lost]           accept the open review (and give its outcome)
  reject | cancel             reject / withdraw the open review
  won | lost                  outcome of the accepted review
  next                        end the round now, or skip the rest of the break
  win ATHLETE [DECISION]      declare the winner (decision default SUP)
  status | help | quit"""

_ATHLETES = {"1": 1, "blue": 1, "b": 1, "chung": 1, "2": 2, "red": 2, "r": 2, "hong": 2}
_TYPES = {"1": 1, "punch": 1, "2": 2, "body": 2, "3": 3, "head": 3, "4": 4, "tbody": 4,
          "technical_body": 4, "5": 5, "thead": 5, "technical_head": 5}


def _athlete(word: str, *, allow_none: bool = False) -> int:
    word = word.lower()
    if allow_none and word in ("0", "none", "referee"):
        return 0
    if word not in _ATHLETES:
        raise SimulatorError(f"unknown athlete {word!r} (blue, red, 1 or 2)")
    return _ATHLETES[word]


def _int(word: str, what: str, low: int, high: int) -> int:
    if not word.isdigit() or not low <= int(word) <= high:
        raise SimulatorError(f"{what} must be a whole number {low}..{high}, got {word!r}")
    return int(word)


class Console:
    """One command line in, (messages to send, reply text) out."""

    def __init__(self, scenario: str = "championship", seed: int = 1,
                 schema: Schema | None = None) -> None:
        self.scenario = get_scenario(scenario)
        self.rng = random.Random(seed)
        self.court = Court(schema)
        self.schema = schema
        self.used: set[str] = set()
        self.number = self.rng.randrange(101, 400)

    def execute(self, line: str) -> tuple[list[Item], str]:
        words = line.split()
        if not words:
            return [], ""
        name, args = words[0].lower(), words[1:]
        handler: Callable[[list[str]], tuple[list[Item], str]] | None = getattr(
            self, f"_cmd_{name}", None)
        if handler is None:
            raise SimulatorError(f"unknown command {name!r} (type help)")
        return handler(args)

    def _args(self, args: list[str], count: int, usage: str, optional: int = 0) -> None:
        if not count <= len(args) <= count + optional:
            raise SimulatorError(f"usage: {usage}")

    def _cmd_help(self, args: list[str]) -> tuple[list[Item], str]:
        return [], HELP

    def _cmd_status(self, args: list[str]) -> tuple[list[Item], str]:
        return [], ""

    def _cmd_load(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 0, "load")
        setup = draw_setup(self.rng, self.scenario, self.number, self.used)
        self.number += 1
        items = self.court.load(setup) + self.court.ready()
        return items, f"loaded match {setup.number}: {setup.blue.name} vs {setup.red.name}"

    def _cmd_start(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 0, "start")
        return self.court.start(), ""

    def _cmd_stop(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 0, "stop")
        return self.court.stop(), ""

    def _cmd_point(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 2, "point ATHLETE TYPE")
        athlete = _athlete(args[0])
        if args[1].lower() not in _TYPES:
            raise SimulatorError(f"unknown point type {args[1]!r} "
                                 "(1..5, punch, body, head, tbody, thead)")
        return self.court.point(athlete, _TYPES[args[1].lower()]), ""

    def _cmd_warning(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 1, "warning ATHLETE")
        return self.court.gamjeom(_athlete(args[0])), ""

    def _cmd_hit(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 2, "hit ATHLETE LEVEL")
        return self.court.hit(_athlete(args[0]), _int(args[1], "LEVEL", 0, 100)), ""

    def _cmd_injury(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 2, "injury ATHLETE SECONDS")
        athlete = _athlete(args[0], allow_none=True)
        return self.court.injury(athlete, _int(args[1], "SECONDS", 1, 600)), ""

    def _cmd_challenge(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 1, "challenge ATHLETE|referee")
        return self.court.challenge(_athlete(args[0], allow_none=True)), ""

    def _cmd_accept(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 0, "accept [won|lost]", optional=1)
        items = self.court.decide(True)
        if args:
            more, reply = self._outcome(args[0])
            return items + more, reply
        return items, ""

    def _cmd_reject(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 0, "reject")
        return self.court.decide(False), ""

    def _cmd_cancel(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 0, "cancel")
        return self.court.cancel(), ""

    def _cmd_won(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 0, "won")
        return self._outcome("won")

    def _cmd_lost(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 0, "lost")
        return self._outcome("lost")

    def _outcome(self, word: str) -> tuple[list[Item], str]:
        if word.lower() not in ("won", "lost"):
            raise SimulatorError(f"outcome must be won or lost, got {word!r}")
        won = word.lower() == "won"
        pending = self.court.b.pending
        correction = None
        if won and pending is not None and pending.by in (1, 2):
            correction = Correction("award", pending.by, 2)  # the missed body kick
        reply = "review won: +2 (body kick) to the challenger" if correction else ""
        return self.court.outcome(won, correction), reply

    def _cmd_next(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 0, "next")
        phase = self.court.b.phase
        if phase in ("round", "round_over"):
            return self._after_round(self.court.end_round(superiority=1))
        if phase == "break":
            self.court.b.break_left = 1
            items = self.court.break_tick() + self.court.next_round()
            return items, f"round {self.court.b.round} ready: type start"
        raise SimulatorError(f"nothing to end now ({self.court.describe_phase()})")

    def _cmd_win(self, args: list[str]) -> tuple[list[Item], str]:
        self._args(args, 1, "win ATHLETE [DECISION]", optional=1)
        decision = args[1].upper() if len(args) > 1 else "SUP"
        return self.court.finish(_athlete(args[0]), decision), ""

    def _after_round(self, items: list[Item]) -> tuple[list[Item], str]:
        b = self.court.b
        r = b.round
        note = f"round {r} to {COLORS[b.round_winners[r - 1]]} ({b.round_decisions[r - 1]})"
        if b.phase == "decided":
            items += self.court.finish()
            return items, f"{note}; match to {COLORS[b.winner or 1]} ({b.decision})"
        return items + self.court.start_break(), f"{note}; break"

    def tick(self) -> tuple[list[Item], str]:
        """One second: the running clock, injury, time-out or break moves on."""
        court, b = self.court, self.court.b
        if b.phase == "round" and b.running:
            items = court.tick()
            if b.phase == "round_over":
                return self._after_round(items + court.end_round(superiority=1))
            return items, ""
        if b.injury is not None:
            return court.injury_tick(), ""
        if b.timeout is not None:
            return court.timeout_tick(), ""
        if b.phase == "break":
            items = court.break_tick()
            if b.phase == "between":
                return items + court.next_round(), f"round {b.round} ready: type start"
            return items, ""
        return [], ""


def _reader(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None],
            stream: TextIO) -> None:
    """Blocking stdin lines onto the loop's queue (a daemon thread: never joined)."""
    while True:
        line = stream.readline()
        loop.call_soon_threadsafe(queue.put_nowait, line if line else None)
        if not line:
            return


async def run_interactive(target: tuple[str, int], *, scenario: str = "championship",
                          seed: int = 1, speed: float = 1.0, style: Style = "real",
                          listen: tuple[str, int] | None = None, schema: Schema | None = None,
                          stdin: TextIO | None = None, stdout: TextIO | None = None,
                          ) -> SimulationResult:
    """The prompt loop; ends on `quit` or end of input, after sending `bye;`."""
    console = Console(scenario, seed, schema)
    out = stdout or sys.stdout
    stream = stdin or sys.stdin
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    async with Runner(target, style=style, speed=speed, listen=listen, schema=schema) as runner:
        runner.send_items([_status(target[1], True), make("hel", schema=schema)])

        async def ticker() -> None:
            while True:
                await asyncio.sleep(1.0 / speed)
                items, note = console.tick()
                runner.send_items(items)
                if note:
                    say(f"\n{note}\n{console.court.scoreboard()}")

        signals = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:  # quit cleanly (bye;) on Ctrl-C / SIGTERM where the loop can catch them
                loop.add_signal_handler(sig, queue.put_nowait, None)
                signals.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        threading.Thread(target=_reader, args=(loop, queue, stream), daemon=True,
                         name="restrike-simulator-stdin").start()
        tick_task = asyncio.create_task(ticker(), name="simulator-interactive-clock")
        say(f"simulated court sending to {target[0]}:{target[1]}; pull requests on "
            f"{runner.listen_address[0]}:{runner.listen_address[1]}. Type help.")
        try:
            while True:
                print("court> ", end="", file=out, flush=True)
                line = await queue.get()
                if line is None or line.strip().lower() in ("quit", "exit"):
                    break
                try:
                    items, reply = console.execute(line)
                except SimulatorError as err:
                    say(f"error: {err}")
                    continue
                runner.send_items(items)
                if reply:
                    say(reply)
                say(console.court.scoreboard())
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
            tick_task.cancel()
            await asyncio.gather(tick_task, return_exceptions=True)
            runner.send_items([make("bye", schema=schema), _status(target[1], False)])
        c = runner.counters
        summaries = (console.court.summary(),) if console.court.setup else ()
        return SimulationResult("interactive", c.datagrams, c.messages, c.requests, summaries,
                                runner.snapshot().elapsed, True, runner.listen_address)
