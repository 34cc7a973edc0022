"""`restrike bench store`: what the store's single writer sustains, and how fast it commits.

Three runs on a fresh database in a temporary folder (or `--db`):

1. flood: N pre-parsed datagrams of a realistic match mix submitted at once; rows/s
   the writer commits (the station's ceiling);
2. paced at the issue's 50,000 messages/s for a few seconds: the backlog it builds and
   how long after the last submit everything is committed (zero loss is checked);
3. paced at 1,000 messages/s: latency from `submit` to the commit report, p50/p99.

Datagrams are parsed beforehand: in the station the receiver parses, the writer writes.
A commit subscriber that takes the rows is attached, as the live WebSocket feed does.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from restrike.protocol import parse
from restrike.store import Committed, Reader, Received, Store

__all__ = ["run"]

TARGET_RATE = 50_000  # messages/s the whole station must take with zero loss
TARGET_P99_MS = 5.0  # send → committed for the whole station at 1,000 messages/s
STORE_SHARE_P99_MS = 2.0  # what we allow the store of that budget


def _mix() -> list[bytes]:
    """About a match's worth of traffic as tkStrike sends it, with a little garbage."""
    out = [b"pre;FightLoaded\r\n", b"at1;KIM T.;KIM Taejoon;KOR;at2;LOPEZ A.;Ana LOPEZ;ESP\r\n",
           b"mch;101;Round of 16;MEN -58kg;;blue;white;red;white;M-0101;Senior;3;120;cntDown;"
           b"25;20\r\n", b"clk;2:00;start\r\n"]
    for second in range(119, 0, -1):
        out.append(f"clk;{second // 60}:{second % 60:02d}\r\n".encode())
        if second % 9 == 0:
            out += [b"hl1;45hl2;0\r\n", b"pt1;3\r\n",
                    b"s11;3;s21;0;s12;0;s22;0;s13;0;s23;0\r\n", b"sc1;3;sc2;0\r\n"]
        if second % 31 == 0:
            out += [b"wg1;1;wg2;0\r\n", b"pt1;abc\r\n", b"Udp Port 6000 connected;"]
    out += [b"clk;0:00;stopEnd\r\n", b"wrd;rd1;1;rd2;0;rd3;0\r\n", b"win;BLUE\r\n",
            b"wmh;KIM Taejoon;12-5 PTF\r\n"]
    return out


@dataclass
class _Recorder:
    """Commit reports: when each seq was committed, and how long each commit took."""

    committed_at: dict[int, float]
    durations: list[float] = field(default_factory=list)
    rows: int = 0

    def __call__(self, c: Committed) -> None:
        self.rows += len(c.rows)  # built here, on the writer thread, as the station does now
        now = time.perf_counter()
        for seq in range(c.first_seq, c.last_seq + 1):
            self.committed_at[seq] = now
        self.durations.append(c.duration_ms)


@dataclass
class _Paced:
    latencies: list[float]  # submit → commit reported, ms
    lateness: list[float]  # how late the feeder ran against its schedule, ms
    commit_ms: list[float]  # BEGIN..COMMIT of each batch
    max_depth: int
    messages: int
    drain: float  # s from the last submit to everything committed
    stored: int


def _items(count: int, start_seq: int = 0) -> tuple[list[Received], int]:
    mix = [(d, parse(d)) for d in _mix()]
    items = []
    messages = 0
    t = time.time()
    for i in range(count):
        data, parsed = mix[i % len(mix)]
        items.append(Received(start_seq + i, t + i * 1e-5, "192.168.1.10:50000", data, parsed))
        messages += len(parsed)
    return items, messages


def _flood(path: Path, count: int, batch_rows: int, batch_ms: float) -> None:
    items, messages = _items(count)
    store = Store(path, batch_rows=batch_rows, batch_ms=batch_ms)
    recorder = _Recorder({})
    store.subscribe_commits(recorder)
    store.start()
    began = time.perf_counter()
    for item in items:
        store.submit(item)
    store.close(timeout=600)
    elapsed = time.perf_counter() - began
    stats = store.stats()
    print(f"flood: {count:,} datagrams ({messages:,} messages) in {elapsed:.2f} s")
    print(f"  {count / elapsed:,.0f} datagrams/s, {messages / elapsed:,.0f} messages/s "
          f"(target context: station takes {TARGET_RATE:,} messages/s)")
    print(f"  {stats.batches:,} commits, {count / max(stats.batches, 1):.0f} datagrams per "
          f"commit, errors {stats.errors}")


def _paced(path: Path, rate: float, seconds: float, batch_rows: int, batch_ms: float,
           first_seq: int) -> _Paced:
    """Submit at `rate` datagrams/s from this thread, as the receiver thread would."""
    count = int(rate * seconds)
    items, messages = _items(count, first_seq)
    per_item = seconds / count
    store = Store(path, batch_rows=batch_rows, batch_ms=batch_ms)
    recorder = _Recorder({})
    store.subscribe_commits(recorder)
    store.start()
    submitted: list[float] = [0.0] * count
    lateness: list[float] = []
    began = time.perf_counter()
    for i, item in enumerate(items):
        due = began + i * per_item
        now = time.perf_counter()
        if due - now > 0.0002:  # sleep, never spin: a spinning feeder would hold the GIL
            time.sleep(due - now)
        submitted[i] = time.perf_counter()
        lateness.append((submitted[i] - due) * 1000.0)
        store.submit(item)
    ended = time.perf_counter()
    store.close(timeout=600)
    drain = time.perf_counter() - ended
    max_depth = store.stats().max_queue_depth
    latencies = [(recorder.committed_at[first_seq + i] - submitted[i]) * 1000.0
                 for i in range(count) if first_seq + i in recorder.committed_at]
    with Reader(path) as reader:
        stored = reader.counts()["datagrams"]
    return _Paced(latencies, lateness, recorder.durations, max_depth, messages, drain, stored)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(*, count: int = 200_000, seconds: float = 5.0, latency_seconds: float = 10.0,
        batch_rows: int = 500, batch_ms: float = 2.0, db: Path | None = None) -> None:
    """Run the three measurements and print them next to the targets."""
    with tempfile.TemporaryDirectory(prefix="restrike-bench-") as folder:
        base = db.parent if db else Path(folder)
        name = db.name if db else "bench.db"
        print(f"restrike bench store — batch_rows={batch_rows}, batch_ms={batch_ms}, "
              f"database in {base}")
        _flood(base / f"flood-{name}", count, batch_rows, batch_ms)

        mix = _mix()
        per_datagram = sum(len(parse(d)) for d in mix) / len(mix)
        rate = TARGET_RATE / per_datagram  # datagrams/s that carry 50,000 messages/s
        fast = _paced(base / f"paced-{name}", rate, seconds, batch_rows, batch_ms, 0)
        datagrams = int(rate * seconds)
        print(f"paced at {TARGET_RATE:,} messages/s ({rate:,.0f} datagrams/s) for {seconds:g} s "
              f"({fast.messages:,} messages): stored {fast.stored:,}/{datagrams:,}, "
              f"lost {datagrams - fast.stored} "
              f"(target 0), max backlog {fast.max_depth:,}, drained "
              f"{fast.drain * 1000:.0f} ms after the last submit")
        print(f"  submit→committed p50 {_pct(fast.latencies, 0.5):.2f} ms, "
              f"p99 {_pct(fast.latencies, 0.99):.2f} ms")

        slow = _paced(base / f"latency-{name}", 1000, latency_seconds, batch_rows, batch_ms, 0)
        p50, p99 = _pct(slow.latencies, 0.5), _pct(slow.latencies, 0.99)
        verdict = "ok" if p99 <= STORE_SHARE_P99_MS else "OVER"
        print(f"paced at 1,000 datagrams/s for {latency_seconds:g} s: submit→committed "
              f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(slow.latencies):.2f} ms, "
              f"mean {statistics.fmean(slow.latencies):.2f} ms")
        print(f"  target: station send→committed p99 ≤ {TARGET_P99_MS:g} ms; store share "
              f"≤ {STORE_SHARE_P99_MS:g} ms → {verdict}; max backlog {slow.max_depth}")
        print(f"  commit transaction (BEGIN..COMMIT) p50 {_pct(slow.commit_ms, 0.5):.3f} ms, "
              f"p99 {_pct(slow.commit_ms, 0.99):.3f} ms, max {max(slow.commit_ms):.2f} ms")
        print(f"  machine noise: the feeder's sleeps overshot by p50 "
              f"{_pct(slow.lateness, 0.5):.2f} ms, p99 {_pct(slow.lateness, 0.99):.2f} ms "
              f"(a busy machine delays every thread; compare with the latency above)")

if __name__ == "__main__":  # pragma: no cover
    run()
