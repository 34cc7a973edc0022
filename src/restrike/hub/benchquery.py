"""Timing the hub's analytics over a big data set (``restrike bench hub --events``).

Asks a real ``restrike hub`` over HTTP, like the control room: first every tournament
once (the cold start: every match folded and every station-day's figures made, then
kept in the hub's caches), then ``queries`` requests per endpoint, drawn like the
station benchmark draws them (`restrike.analytics.benchrun`): a tournament, a date,
an athlete, a search for the first four letters of a name. p50/p99 against the
station's targets ×2 (issue 17), with the CPU per request of the hub and its
PostgreSQL sessions (what the answer costs on a machine busy with other work, where
the wall clock waits for the others; the sessions only when the server is local).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from urllib.parse import quote

import httpx
import psutil
import psycopg

from restrike.analytics.bench import TARGETS
from restrike.errors import HubError
from restrike.hub.server.people import athlete_id

__all__ = ["measure"]

#: The hub's targets: the station's p99 ×2 (issue 17).
FACTOR = 2.0


def _paths(dsn: str, queries: int) -> dict[str, list[str]]:
    rng = random.Random(13)
    with psycopg.connect(dsn) as conn:
        tournaments = [r[0] for r in conn.execute("SELECT DISTINCT name FROM tournaments")]
        days = [r[0] for r in conn.execute("SELECT DISTINCT date FROM days")]
        people = conn.execute("SELECT long_name, country FROM people ORDER BY id").fetchall()
    words = [w.lower() for long, _c in people[:500] for w in long.split() if not w.isdigit()]
    return {
        "tournament": [f"/api/v1/analytics/tournaments/{quote(rng.choice(tournaments))}"
                       for _ in range(queries)],
        "day": [f"/api/v1/analytics/days/{rng.choice(days)}" for _ in range(queries)],
        "athlete": [f"/api/v1/analytics/athletes/{athlete_id(*rng.choice(people))}"
                    for _ in range(queries)],
        "athletes search": [f"/api/v1/analytics/athletes?search={quote(rng.choice(words)[:4])}"
                            for _ in range(queries)],
    }


def _processes(dsn: str, hub_pid: int) -> list[psutil.Process]:
    """The hub and its PostgreSQL sessions (when the server runs on this machine)."""
    with psycopg.connect(dsn) as conn:
        pids = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")] if conn.info.host in ("127.0.0.1", "localhost",
                                                               "::1") else []
    return [psutil.Process(pid) for pid in (hub_pid, *pids)]


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def measure(url: str, dsn: str, hub_pid: int, queries: int, say: Callable[[str], None]
            ) -> None:
    """Warm the caches, then time each endpoint; print the figures."""
    paths = _paths(dsn, queries)
    with httpx.Client(base_url=url, timeout=3600) as client:
        with psycopg.connect(dsn) as conn:
            names = [r[0] for r in conn.execute("SELECT DISTINCT name FROM tournaments")]
        started = time.perf_counter()
        for name in names:
            _get(client, f"/api/v1/analytics/tournaments/{quote(name)}")
        say(f"  cold start: {len(names)} tournaments' first reports (every match folded, "
            f"the caches filled) took {time.perf_counter() - started:.0f} s")
        processes = _processes(dsn, hub_pid)  # the hub's connections are open by now
        say(f"  {'endpoint':<16} {'p50':>9} {'p99':>9} {'CPU':>9} {'target p99':>11}   "
            f"(CPU: the hub's and its {len(processes) - 1} PostgreSQL sessions' per request)")
        for name, wanted in paths.items():
            times = []
            cpu = _cpu(processes)
            for path in wanted:
                began = time.perf_counter()
                _get(client, path)
                times.append(time.perf_counter() - began)
            per = (_cpu(processes) - cpu) / len(wanted) * 1000
            ordered = sorted(times)
            p50 = statistics.median(ordered) * 1000
            p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000
            target = TARGETS[name] * FACTOR
            verdict = "OK" if p99 <= target else (
                "OK in CPU (the machine is busy)" if per <= target else "SLOW")
            say(f"  {name:<16} {p50:>6.2f} ms {p99:>6.2f} ms {per:>6.2f} ms {target:>8.0f} ms"
                f"  {verdict}")


def _get(client: httpx.Client, path: str) -> None:
    answer = client.get(path)
    if answer.status_code != 200:
        raise HubError(f"{path}: {answer.status_code} {answer.text[:300]}")
