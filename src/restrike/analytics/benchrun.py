"""One benchmark run: the real station (``restrike run``) on a data set, the court
feed over UDP, timed requests from this process.

The station is a process of its own, so its memory is its own and the requests and
the feed do not share its interpreter; the other built-in plugins are kept off.
"""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psutil

from restrike.analytics import queries
from restrike.errors import RestrikeError
from restrike.protocol import parse
from restrike.simulator import encode_items, iter_matches

__all__ = ["measure"]

_WARM_UP = 5


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(path: Path, count: int, rate: int) -> dict[str, Any]:
    """Figures of one run over the data set at ``path`` (its folder is the data folder)."""
    from restrike.plugins import discover

    udp, http = _free_port(socket.SOCK_DGRAM), _free_port(socket.SOCK_STREAM)
    others = sorted(s.name for s in discover() if s.name != "analytics")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
    env.update(RESTRIKE_PLAYBACK_ENABLED="false", RESTRIKE_PLUGINS_DISABLED=json.dumps(others),
               RESTRIKE_REVIEW_HOTKEY="")
    log = path.parent / "bench-station.log"
    with log.open("wb") as output:
        station = subprocess.Popen(
            [sys.executable, "-m", "restrike", "run", "--no-browser", "--data-dir",
             str(path.parent), "--udp-host", "127.0.0.1", "--udp-port", str(udp),
             "--http-host", "127.0.0.1", "--http-port", str(http), "--log-level", "WARNING"],
            env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{http}"
    try:
        _wait_folded(url, station, log)
        return _timed(path, udp, url, count, rate, station.pid)
    finally:
        station.terminate()
        try:
            station.wait(60)
        except subprocess.TimeoutExpired:
            station.kill()
            station.wait()


def _wait_folded(url: str, station: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        if station.poll() is not None:
            raise RestrikeError(f"the station exited with {station.returncode}: see {log}")
        try:
            health = httpx.get(url + "/api/health", timeout=10).json()["components"]
        except httpx.HTTPError:
            health = {}
        if health.get("analytics", {}).get("state") == "running":
            return
        time.sleep(0.2)
    raise TimeoutError("the analytics did not finish folding the stored matches")


class _Sampler(threading.Thread):
    """The largest RSS of the station process and of its children, every 0.1 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(name="bench-rss", daemon=True)
        self.pid = pid
        self.stop = threading.Event()
        self.rss = self.child_rss = 0

    def run(self) -> None:
        me = psutil.Process(self.pid)
        while not self.stop.wait(0.1):
            self.rss = max(self.rss, me.memory_info().rss)
            for child in me.children(recursive=True):
                try:
                    self.child_rss = max(self.child_rss, child.memory_info().rss)
                except psutil.Error:
                    continue


class _Feeder(threading.Thread):
    """Championship matches over UDP at ``rate`` messages a second."""

    def __init__(self, port: int, rate: int) -> None:
        super().__init__(name="bench-feed", daemon=True)
        self.port, self.rate = port, rate
        self.stop = threading.Event()
        self.sent = 0
        self.started = self.ended = 0.0
        self.datagrams = [(data, len(parse(data))) for steps, _s in
                          iter_matches("championship", seed=5, count=4)
                          for step in steps for data in encode_items(step.items)]

    def run(self) -> None:
        self.started = time.perf_counter()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            index = 0
            while not self.stop.is_set():
                data, messages = self.datagrams[index % len(self.datagrams)]
                s.sendto(data, ("127.0.0.1", self.port))
                self.sent += messages
                index += 1
                ahead = self.sent / self.rate - (time.perf_counter() - self.started)
                if ahead > 0:
                    time.sleep(ahead)
        self.ended = time.perf_counter()


def _cases(path: Path, count: int) -> dict[str, list[tuple[str, Callable[[Any], Any]]]]:
    """Per endpoint: (URL path, the same query on a connection) for random ids."""
    rng = random.Random(13)
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        matches = [r[0] for r in conn.execute("SELECT match_id FROM analytics_match "
                                              "WHERE finished = 1")]
        athletes = [r[0] for r in conn.execute("SELECT id FROM athletes")]
        tournaments = [r[0] for r in conn.execute("SELECT id FROM tournaments")]
        days = [r[0] for r in conn.execute("SELECT DISTINCT date FROM days")]
        names = [r[0] for r in conn.execute("SELECT long_name FROM athletes LIMIT 500")]
    words = [w.lower() for n in names for w in n.split() if not w.isdigit()]

    def pick(values: list[Any]) -> Any:
        return rng.choice(values)

    out: dict[str, list[tuple[str, Callable[[Any], Any]]]] = {
        "match": [], "athlete": [], "athletes search": [], "tournament": [], "day": []}
    for _ in range(count + _WARM_UP):
        m, a, t, d, w = (pick(matches), pick(athletes), pick(tournaments), pick(days),
                         pick(words)[:4])
        out["match"].append((f"/matches/{m}", partial(queries.match_body, match_id=m)))
        out["athlete"].append((f"/athletes/{a}", partial(queries.athlete_body, athlete_id=a,
                                                         indexed=True)))
        out["athletes search"].append((f"/athletes?search={w}", partial(
            queries.search_athletes, search=w, limit=50, indexed=True)))
        out["tournament"].append((f"/tournaments/{t}",
                                  partial(queries.tournament_body, tournament_id=t)))
        out["day"].append((f"/days/{d}", partial(queries.day_body,
                                                 day=date.fromisoformat(d))))
    return out


def _percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return (statistics.median(ordered) * 1000,
            ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000)


def _timed(path: Path, udp: int, url: str, count: int, rate: int, pid: int
           ) -> dict[str, Any]:
    cases = _cases(path, count)
    sampler = _Sampler(pid)
    sampler.start()
    feeder = _Feeder(udp, rate) if rate else None
    client = httpx.Client(base_url=url + "/api/v1/analytics", timeout=30)
    folded_before = _health(url)["matches_folded"]
    parsed_before = httpx.get(url + "/api/v1/stats", timeout=10).json()["messages"]
    started = time.perf_counter()
    if feeder is not None:
        feeder.start()
    endpoints = {}
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            for name, calls in cases.items():
                http, direct, cpu = [], [], []
                for index, (route, query) in enumerate(calls):
                    t0 = time.perf_counter()
                    answer = client.get(route)
                    t1 = time.perf_counter()
                    c1 = time.thread_time()
                    query(conn)
                    c2 = time.thread_time()
                    t2 = time.perf_counter()
                    if answer.status_code != 200:
                        raise RestrikeError(f"{route}: {answer.status_code} {answer.text}")
                    if index >= _WARM_UP:
                        http.append(t1 - t0)
                        direct.append(t2 - t1)
                        cpu.append(c2 - c1)
                (h50, h99), (q50, q99) = _percentiles(http), _percentiles(direct)
                endpoints[name] = {"http_p50": h50, "http_p99": h99, "query_p50": q50,
                                   "query_p99": q99, "cpu_p99": _percentiles(cpu)[1]}
    finally:
        elapsed = time.perf_counter() - started
        if feeder is not None:
            feeder.stop.set()
            feeder.join()
        client.close()
        sampler.stop.set()
        sampler.join()
    parsed = httpx.get(url + "/api/v1/stats", timeout=10).json()["messages"] - parsed_before
    sent_for = (feeder.ended - feeder.started) if feeder else elapsed
    return {"endpoints": endpoints, "rss_mb": sampler.rss / 2**20,
            "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
            "child_rss_mb": sampler.child_rss / 2**20,
            "feed_rate": (feeder.sent / sent_for) if feeder else 0.0,
            "parsed_rate": parsed / elapsed,
            "live_updates": _health(url)["matches_folded"] - folded_before}


def _health(url: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(url + "/api/health", timeout=10).json()
    return dict(body["components"]["analytics"])
