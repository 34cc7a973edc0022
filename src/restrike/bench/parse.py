"""`restrike bench parse`: messages per second for parse, and for parse + reduce.

Target (issue 2): at least 150,000 messages/s for parse + reduce on one core.
The mix is what a court really sends: mostly clock ticks in tkStrike's real style,
with the bursts around points, penalties, challenges and injuries.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from restrike.protocol import MatchState, default_schema, encode, parse, reduce

TARGET_PARSE_REDUCE = 150_000


def realistic_mix(seed: int = 7, datagrams: int = 2_000) -> list[bytes]:
    """A feed-like list of datagrams (real style), seeded."""
    rng = random.Random(seed)
    head = [b"pre;FightLoaded\r\n", b"at1;DESMOND;Nicolas DESMOND;FRA;at2;KIM;KIM Tae-hun;KOR\r\n",
            b"mch;1203;Final;MEN -68kg;;#1040e0;#ffffff;#e01020;#ffffff;88412;Senior;3;120;"
            b"cntDown;20;25\r\n", b"rdy;FightReady\r\n"]
    out = list(head)
    seconds = 120
    scores = [0, 0]
    while len(out) < datagrams:
        seconds = seconds - 1 if seconds > 0 else 120
        out.append(f"clk;{seconds // 60}:{seconds % 60:02d}\r\n".encode())
        roll = rng.random()
        if roll < 0.12:
            who = rng.choice((1, 2))
            technique = rng.randint(1, 5)
            scores[who - 1] += technique
            out += [f"hl{who};{rng.randint(20, 99)}\r\n".encode(),
                    f"pt{who};{technique}\r\n".encode(),
                    f"s11;{scores[0]};s21;{scores[1]};s12;0;s22;0;s13;0;s23;0\r\n".encode(),
                    f"sc1;{scores[0]};sc2;{scores[1]}\r\n".encode()]
        elif roll < 0.14:
            out += [b"wg1;0;wg2;1\r\n", b"hl1;50hl2;30"]
        elif roll < 0.15:
            out += [b"ch1;\r\n", b"ch1;1\r\n", b"ch1;1;1\r\n"]
        elif roll < 0.16:
            out += [b"ij2;1:00;show\r\n", b"ij2;0:59\r\n", b"ij2;0:59;hide\r\n"]
    return out


def _rate(datagrams: list[bytes], body: Callable[[list[bytes]], int], seconds: float) -> float:
    count = 0
    started = time.perf_counter()
    elapsed = 0.0
    while elapsed < seconds:
        count += body(datagrams)
        elapsed = time.perf_counter() - started
    return count / elapsed


def run(seconds: float = 2.0) -> dict[str, float]:
    schema = default_schema()
    datagrams = realistic_mix()
    documented = encode([m for d in datagrams for m in parse(d, schema)], "documented", schema)

    def parse_only(batch: list[bytes]) -> int:
        return sum(len(parse(d, schema)) for d in batch)

    def parse_reduce(batch: list[bytes]) -> int:
        state = MatchState()
        count = 0
        now = 0.0
        for data in batch:
            for msg in parse(data, schema):
                state = reduce(state, msg, now)
                count += 1
        return count

    return {
        "parse (real style)": _rate(datagrams, parse_only, seconds),
        "parse (documented style)": _rate(documented, parse_only, seconds),
        "parse + reduce (real style)": _rate(datagrams, parse_reduce, seconds),
    }


def report(seconds: float = 2.0) -> bool:
    """Print the figures next to the target; True when the target is met."""
    results = run(seconds)
    print(f"{'measure':32} {'messages/s':>12}  target")
    for name, rate in results.items():
        target = f">= {TARGET_PARSE_REDUCE:,}" if "reduce" in name else ""
        print(f"{name:32} {rate:12,.0f}  {target}")
    met = results["parse + reduce (real style)"] >= TARGET_PARSE_REDUCE
    print("target met" if met else "TARGET MISSED")
    return met
