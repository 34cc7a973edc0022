"""``restrike bench hub``: the tournament hub's figures against issue 17's targets.

Against a real PostgreSQL server (``--database``, a server URL: the benchmark makes
its own scratch database there and drops it) and a real ``restrike hub`` process:

1. **catch-up**: one court's SQLite store holding ``--backlog`` datagrams (a day's
   capture mix, ~1.5 events each) while the hub was down, uploaded through the hub
   link's own `Uploader` — rows/s (target ≥ 50,000), and the CPU seconds the station,
   the hub and (when local) the hub's PostgreSQL sessions spent on it: on a shared,
   loaded machine the wall-clock rate says more about the others than about the hub,
   so the rate the CPU cost allows on two otherwise idle cores is printed too;
2. **live lag**: ``--courts`` courts, each a real store fed ``--rate`` datagrams/s
   and uploading on every commit like the link, for ``--seconds`` (after a
   ``WARM_UP`` that is not counted); then the same
   while court 1 replays a whole backlog at full speed. Lag is the hub's commit time
   minus the datagram's arrival (``held_at - received_at``): p99 of the steady
   courts (targets: ≤ 1 s, and ≤ 2 s while one court floods).

3. **analytics**: the station benchmark's data set of ``--events`` events (built once,
   cached: ``restrike bench analytics``) spread over ``--courts`` courts and copied into
   a scratch database of its own (`restrike.hub.benchdata`), then the hub's
   tournament, day, athlete and athletes-search answers timed over HTTP
   (`restrike.hub.benchquery`): p50/p99 against the station's targets ×2.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Annotated

import typer

from restrike.errors import HubError
from restrike.hub.client import HubClient
from restrike.hub.outbox import Batch
from restrike.hub.uploader import Uploader
from restrike.protocol import encode, parse
from restrike.store import Received, Store

__all__ = ["bench"]

#: Seconds the courts run before the live lag is measured: the hub opens its database
#: connections and answers each court's first upload (where it stands) — once a day.
WARM_UP = 3.0

bench = typer.Typer(help="The tournament hub's figures against issue 17's targets.",
                    add_completion=False)


def _feed(count: int, start: float, step: float) -> list[Received]:
    """``count`` parsed datagrams of a real match (repeated), arriving ``step`` apart."""
    lines = ["pre;FightLoaded;", "at1;KIM;KIM Minsu;KOR;at2;DOE;John DOE;USA;",
             "clk;2:00;start;", "pt1;3;", "sc1;3;sc2;0;", "clk;1:58;", "pt2;1;",
             "sc1;3;sc2;1;", "wg1;0;wg2;1;", "win;BLUE;"]
    datagrams = encode([m for line in lines for m in parse(line.encode())], style="real")
    return [Received(i, start + i * step, "127.0.0.1:6000", datagrams[i % len(datagrams)],
                     parse(datagrams[i % len(datagrams)])) for i in range(count)]


class _Court:
    """A court: a real store, and an upload loop woken by its commits (like the link)."""

    def __init__(self, folder: Path, name: str, url: str) -> None:
        self.store = Store(folder / f"{name}.sqlite3", batch_rows=500, batch_ms=2.0)
        self.reader = self.store.reader()
        self.uploader = Uploader(HubClient(url, ""), self.reader.call, court=name,
                                 station=uuid.uuid4().hex, batch_rows=2000)
        self.wake = threading.Event()
        self.store.subscribe_commits(lambda _c: self.wake.set())
        self.stop = threading.Event()
        self.error: str | None = None
        self.thread = threading.Thread(target=self._run, name=f"bench-{name}", daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                batch, _moved = self.uploader.upload(None)
            except HubError as err:
                self.error = str(err)
                time.sleep(0.5)
                continue
            if not self.uploader.more(batch):
                self.wake.wait(0.5)
                self.wake.clear()

    def close(self) -> None:
        self.stop.set()
        self.wake.set()
        if self.thread.is_alive():
            self.thread.join(10)
        self.uploader.close()
        self.uploader.client.close()
        self.reader.close()
        self.store.close(timeout=120)  # a flooded court may still be writing its replay


def _start_hub(database: str, port: int) -> subprocess.Popen[bytes]:
    import httpx
    proc = subprocess.Popen([sys.executable, "-m", "restrike", "hub", "--database", database,
                             "--http-port", str(port), "--log-level", "WARNING",
                             "--connections", "8"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise HubError("the hub did not start")


def _p99(database: str, exclude: str | None, since: float) -> tuple[float, int]:
    import psycopg
    with psycopg.connect(database) as conn:
        row = conn.execute(
            "SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY d.held_at - d.received_at), "
            "count(*) FROM datagrams d JOIN stations s USING (sid) "
            "WHERE d.received_at >= %s AND s.court IS DISTINCT FROM %s",
            (since, exclude)).fetchone()
    return (float(row[0] or 0.0), int(row[1])) if row else (0.0, 0)


def _line(what: str, value: float, unit: str, target: str, ok: bool) -> None:
    typer.echo(f"{what:<58} {value:>12,.2f} {unit:<7} (target {target}) "
               f"{'OK' if ok else 'MISSED'}")


_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@bench.command()
def run(
    database: Annotated[str, typer.Option(
        "--database", help="A PostgreSQL server URL the benchmark may make a scratch "
                           "database on, e.g. postgresql://postgres@127.0.0.1:5432/postgres")],
    courts: Annotated[int, typer.Option("--courts", min=2, max=64)] = 14,
    rate: Annotated[float, typer.Option("--rate", min=0.5, max=1000,
                                        help="Datagrams/s per court.")] = 10.0,
    seconds: Annotated[float, typer.Option("--seconds", min=2, max=3600)] = 20.0,
    backlog: Annotated[int, typer.Option("--backlog", min=1000, max=10_000_000,
                                         help="Datagrams of the catch-up and the flood.")
                       ] = 100_000,
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8097,
    uploads: Annotated[bool, typer.Option(
        "--uploads/--no-uploads", help="Measure the catch-up and the live lag.")] = True,
    events: Annotated[int, typer.Option(
        "--events", min=0, max=50_000_000,
        help="Events of the analytics data set (0: no analytics).")] = 10_000_000,
    queries: Annotated[int, typer.Option("--queries", min=10, max=100_000,
                                         help="Analytics requests per endpoint.")] = 200,
    keep: Annotated[str | None, typer.Option(
        "--keep", help="Keep the analytics database under this name on the server and "
                       "reuse it when it is there (skips the copy; its caches are warm).",
        rich_help_panel="Analytics")] = None,
) -> None:
    """Catch-up rate and live lag of 14 courts into one hub, and its analytics over 10M
    events (prints figures vs targets)."""
    url = f"http://127.0.0.1:{port}"
    if uploads:
        with _scratch(database) as dsn:
            hub = _start_hub(dsn, port)
            try:
                with TemporaryDirectory(prefix="restrike-bench-hub-") as tmp:
                    _catch_up(Path(tmp), url, backlog, hub.pid, dsn)
                    _live(Path(tmp), url, dsn, courts, rate, seconds, backlog)
            finally:
                hub.terminate()
                hub.wait(30)
    if events:
        if keep is not None and not _NAME.fullmatch(keep):
            raise typer.BadParameter("a database name of a-z, 0-9 and _ (at most 63)",
                                     param_hint="--keep")
        _analytics(database, url, port, courts, events, queries, keep)


@contextlib.contextmanager
def _scratch(database: str) -> Iterator[str]:
    """A scratch database on the server of ``database`` (dropped after); its DSN."""
    import psycopg
    scratch = f"restrike_bench_{uuid.uuid4().hex[:8]}"
    base, _, _ = database.rpartition("/")
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{scratch}"')  # a name we made: no injection
    try:
        yield f"{base}/{scratch}"
    finally:
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


@contextlib.contextmanager
def _kept(database: str, name: str) -> Iterator[tuple[str, bool]]:
    """The database ``name`` on the server of ``database``, made when missing (kept
    after); its DSN and whether it already held the data set."""
    import psycopg
    base, _, _ = database.rpartition("/")
    with psycopg.connect(database, autocommit=True) as conn:
        there = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                             (name,)).fetchone() is not None
        if not there:
            conn.execute(f'CREATE DATABASE "{name}"')  # checked against _NAME
    dsn = f"{base}/{name}"
    with psycopg.connect(dsn) as conn:
        full = there and conn.execute(
            "SELECT to_regclass('events') IS NOT NULL AND EXISTS (SELECT 1 FROM events)"
        ).fetchone() == (True,)
    yield dsn, full


def _analytics(database: str, url: str, port: int, courts: int, events: int,
               queries: int, keep: str | None) -> None:
    from restrike.analytics.benchdata import build
    from restrike.hub.benchdata import load
    from restrike.hub.benchquery import measure

    typer.echo(f"hub analytics over {events:,} events (the station benchmark's data set) ...")
    dataset = build(events, typer.echo)
    typer.echo(f"  {dataset.events:,} events, {dataset.matches:,} matches, "
               f"{dataset.athletes:,} athletes, {dataset.days} days, {dataset.tournaments} "
               f"tournaments ({dataset.path})")
    place = _kept(database, keep) if keep else contextlib.nullcontext()
    with place as kept, contextlib.ExitStack() as stack:
        dsn, full = kept if kept else (stack.enter_context(_scratch(database)), False)
        if full:
            typer.echo(f"  reusing database {keep} as it is (its caches may be warm)")
        else:
            started = time.perf_counter()
            copied = load(dsn, dataset.path, courts, typer.echo)
            typer.echo(f"  copied into the hub's database in "
                       f"{time.perf_counter() - started:.0f} s ({copied['events']:,} events)")
        hub = _start_hub(dsn, port)
        try:
            measure(url, dsn, hub.pid, queries, typer.echo)
        finally:
            hub.terminate()
            hub.wait(30)


def _cpu(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds (user + system) of each process still there."""
    import psutil
    seen = {}
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            seen[pid] = times.user + times.system
    return seen


def _backends(dsn: str) -> dict[int, float]:
    """The hub's PostgreSQL sessions when the server runs on this machine, else none."""
    import psycopg
    with psycopg.connect(dsn) as conn:
        if conn.info.hostaddr not in ("127.0.0.1", "::1", "") and conn.info.host not in (
                "localhost",) and not conn.info.host.startswith("/"):
            return {}
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = "
                            "current_database() AND pid <> pg_backend_pid()").fetchall()
    return _cpu(int(r[0]) for r in rows)


def _catch_up(folder: Path, url: str, backlog: int, hub: int, dsn: str) -> None:
    court = _Court(folder, "catch-up", url)
    try:
        court.store.start()
        for item in _feed(backlog, time.time() - 600, 600 / backlog):
            court.store.submit(item)
        while court.store.stats().queue_depth or court.store.stats().stored_datagrams < backlog:
            time.sleep(0.05)
        rows = 0
        own = _cpu((os.getpid(), hub))
        backends = _backends(dsn)
        started = time.perf_counter()
        while True:
            batch: Batch = court.uploader.upload(None)[0]
            rows += batch.rows
            if not court.uploader.more(batch):
                break
        took = time.perf_counter() - started
        now = _cpu((os.getpid(), hub))
        after = _backends(dsn)
        spent = [now.get(pid, 0.0) - own.get(pid, 0.0) for pid in (os.getpid(), hub)]
        spent.append(sum(t - backends.get(pid, 0.0) for pid, t in after.items()))
        _line(f"catch-up of {backlog:,} datagrams ({rows:,} rows)", rows / took, "rows/s",
              ">= 50,000", rows / took >= 50_000)
        # Each works while the others do (the station reads batch N+2 and the hub parses
        # N+1 while PostgreSQL stores N): the busiest, or two cores' worth of all of it.
        idle = rows / max(*spent, sum(spent) / 2)
        typer.echo(f"  CPU s: station {spent[0]:.2f}, hub {spent[1]:.2f}, PostgreSQL "
                   f"{spent[2]:.2f}{'' if after else ' (not local: not counted)'}; "
                   f"on 2 idle cores that is {idle:,.0f} rows/s")
    finally:
        court.close()


def _live(folder: Path, url: str, dsn: str, count: int, rate: float, seconds: float,
          backlog: int) -> None:
    names = [f"Court {n}" for n in range(1, count + 1)]
    courts = [_Court(folder, name, url) for name in names]
    try:
        for court in courts:
            court.store.start()
            court.thread.start()
        _steady(courts, rate, WARM_UP)  # the hub's connections, each court's first reply
        started = time.time()
        _steady(courts, rate, seconds)
        p99, n = _p99(dsn, None, started)
        _line(f"{count} courts at {rate:g} datagrams/s: p99 lag ({n:,} datagrams)", p99, "s",
              "<= 1 s", p99 <= 1.0)
        flooded = time.time()
        for item in _feed(backlog, flooded, 0.0):
            courts[0].store.submit(item)
        _steady(courts[1:], rate, seconds)
        p99, n = _p99(dsn, names[0], flooded)
        _line(f"the others while {names[0]} replays {backlog:,} datagrams: p99 lag", p99, "s",
              "<= 2 s", p99 <= 2.0)
        errors = {c.uploader.court: c.error for c in courts if c.error}
        if errors:
            typer.echo(f"upload errors seen: {errors}")
    finally:
        for court in courts:
            court.close()


def _steady(courts: list[_Court], rate: float, seconds: float) -> None:
    """Feed every court ``rate`` datagrams/s for ``seconds``, then let the hub catch up."""
    sample = _feed(10, 0, 0)
    started = time.monotonic()
    sent = 0
    while time.monotonic() - started < seconds:
        due = int((time.monotonic() - started) * rate)
        while sent < due:
            for court in courts:
                item = sample[sent % len(sample)]
                court.store.submit(Received(sent, time.time(), item.source, item.data,
                                            item.messages))
            sent += 1
        time.sleep(0.005)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(
            c.uploader.cursor < c.store.stats().stored_datagrams for c in courts):
        time.sleep(0.1)
