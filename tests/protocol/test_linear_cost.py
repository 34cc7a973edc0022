"""Parsing costs time linear in the datagram's length, whatever its content (issue 11).

A scaling comparison, not a speed target: the CPU time of this thread to parse one long
text is compared with the time to parse the same number of bytes as short texts of the
same shape. Linear work gives a ratio near 1; the bound is generous (2.5) and each side
is the best of several runs with the garbage collector off, so a busy machine moves both
sides alike. A quadratic path shows up as a ratio that grows with the length: splitting
each glued token (`1pt1`) by inserting into the token list cost 5.7× at 256 KiB.
"""

from __future__ import annotations

import gc
import random
import string
import time
from collections.abc import Callable

import pytest

from restrike.protocol import Message, parse

pytestmark = pytest.mark.slow

RATIO = 2.5
LARGEST = 65_507  # the largest IPv4 UDP payload


def _glued(size: int) -> bytes:
    """Messages with the next code glued to their value, then empty tokens: each split
    token used to move every token after it."""
    quarter = size // 4
    head = (b"pt1;" + b"1pt1;" * (quarter // 5 + 1))[:quarter]
    return head + b";" * (size - len(head))


def _random(alphabet: str) -> Callable[[int], bytes]:
    def make(size: int) -> bytes:
        rng = random.Random(size)
        return "".join(rng.choice(alphabet) for _ in range(size)).encode()

    return make


SHAPES: dict[str, Callable[[int], bytes]] = {
    "glued values": _glued,
    "letters, no separators": _random(string.ascii_letters),
    "printable, with ; CR LF": _random(string.printable),
    "many messages": lambda size: (b"pt1;1;hl2;50;" * (size // 13 + 1))[:size],
    "unknown lines": lambda size: (b"zz\r\n" * (size // 4 + 1))[:size],
    "one long name": lambda size: b"at1;" + b"A" * (size - 4),
}


def _cpu(texts: list[bytes]) -> float:
    """The CPU time of this thread to parse every text once."""
    started = time.thread_time()
    for data in texts:
        parse(data)
    return time.thread_time() - started


def _ratio(make: Callable[[int], bytes], small: int, times: int, runs: int) -> float:
    """Best long run over best short run, the two timed in turn (a busy spell of the
    machine then falls on both sides, not on one)."""
    short, long = make(small), make(small * times)
    assert len(long) == small * times
    best_long = best_short = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            best_long = min(best_long, _cpu([long]))
            best_short = min(best_short, _cpu([short] * times))
    finally:
        gc.enable()
    return best_long / max(best_short, 1e-6)


@pytest.mark.parametrize("shape", SHAPES)
def test_a_64k_datagram_costs_what_eight_8k_ones_cost(shape: str) -> None:
    assert _ratio(SHAPES[shape], LARGEST // 8, 8, runs=7) < RATIO


def test_glued_values_stay_linear_far_beyond_a_datagram() -> None:
    """The same text at 256 KiB (a capture line may be any length): the quadratic
    split would cost ~6× the linear work here, and more the longer it gets."""
    assert _ratio(_glued, 16_384, 16, runs=3) < RATIO


def test_glued_values_still_split() -> None:
    kinds = [(m.code, m.get("technique")) for m in parse(b"pt1;1pt1;2pt2;3")
             if isinstance(m, Message)]
    assert kinds == [("pt1", 1), ("pt1", 2), ("pt2", 3)]
