"""Helpers for the store tests: real SQLite files in tmp_path."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from restrike.protocol import encode, parse
from restrike.store import Received, Store

SOURCE = "192.168.1.20:50123"


def received(seq: int, data: bytes, t: float | None = None) -> Received:
    return Received(seq, time.time() if t is None else t, SOURCE, data, parse(data))


def datagrams(*lines: str) -> list[bytes]:
    """Text messages (documented form) → the datagrams tkStrike would send for them."""
    messages = [m for line in lines for m in parse(line.encode())]
    return encode(messages)


MATCH_1 = (
    "pre;FightLoaded;",
    "at1;KIM T.;KIM Taejoon;KOR;at2;DESMOND N.;Nicolas DESMOND;FRA;",
    "mch;101;Round of 16;MEN -58kg;;blue;white;red;white;M-0101;Senior;3;120;cntDown;25;20;",
    "wg1;0;wg2;0;",
    "wrd;rd1;0;rd2;0;rd3;0;",
    "sc1;0;sc2;0;",
    "clk;2:00;",
    "rnd;1;",
    "rdy;FightReady;",
    "clk;2:00;start;",
    "clk;1:59;",
    "pt1;3;",
    "s11;3;s21;0;s12;0;s22;0;s13;0;s23;0;",
    "sc1;3;sc2;0;",
    "clk;1:50;stop;",
    "clk;1:50;start;",
    "wrd;rd1;1;rd2;1;rd3;0;",
    "win;BLUE;",
    "wmh;KIM Taejoon;12-5 PTF;",
)

MATCH_2 = (
    "pre;FightLoaded;",
    "at1;KIM T.;KIM Taejoon;KOR;at2;LÓPEZ A.;Ana LÓPEZ;ESP;",
    "mch;102;Quarter-final;MEN -58kg;;blue;white;red;white;M-0102;Senior;3;120;cntDown;25;20;",
    "clk;2:00;start;",
    "pt2;1;",
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "restrike.db"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    s = Store(db)
    s.start()
    yield s
    s.close()


def feed(store: Store, data: list[bytes], *, start: float = 1_780_000_000.0, step: float = 0.5,
         first_seq: int = 0) -> list[float]:
    """Submit datagrams at times start, start+step, ...; returns their times."""
    times = []
    for i, d in enumerate(data):
        t = start + i * step
        store.submit(received(first_seq + i, d, t))
        times.append(t)
    return times
