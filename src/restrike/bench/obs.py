"""`restrike bench obs`: request round-trip and SaveReplayBuffer → ReplayBufferSaved.

Issue 5 asks for both figures against real OBS as p50/p99; it sets no numeric target.
For reference, the project's notes saw the save take 700-900 ms with software encoding.
Without ``--url`` the bench starts its own headless OBS (Xvfb + prepared profile).
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from restrike.obs import ObsClient
from restrike.obs.headless import HeadlessObs, HeadlessObsConfig, XvfbDisplay, free_port

REFERENCE_SAVE_MS = (700, 900)


@dataclass(frozen=True, slots=True)
class ObsBenchResult:
    obs_version: str
    websocket_version: str
    request_ms: list[float]
    save_ms: list[float]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 200 samples is the 198th smallest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


async def measure(url: str, password: str | None, *, requests: int = 200, saves: int = 10,
                  warm_up_s: float = 2.0) -> ObsBenchResult:
    async with ObsClient(url, password, request_timeout=10) as obs:
        version = await obs.get_version()
        request_ms: list[float] = []
        for _ in range(requests):
            started = time.perf_counter()
            await obs.get_version()
            request_ms.append((time.perf_counter() - started) * 1000)
        was_active = (await obs.replay_buffer_status()).active
        if not was_active:
            await obs.start_replay_buffer()
            await asyncio.sleep(warm_up_s)
        save_ms: list[float] = []
        try:
            for _ in range(saves):
                started = time.perf_counter()
                await obs.save_replay_buffer(timeout_s=20)
                save_ms.append((time.perf_counter() - started) * 1000)
        finally:
            if not was_active:
                await obs.stop_replay_buffer()
    return ObsBenchResult(version.obs_version, version.websocket_version, request_ms, save_ms)


def run(url: str | None = None, password: str | None = None, *, requests: int = 200,
        saves: int = 10) -> ObsBenchResult:
    """Measure against ``url``, or against a headless OBS started (and stopped) here."""
    if url is not None:
        return asyncio.run(measure(url, password, requests=requests, saves=saves))
    with tempfile.TemporaryDirectory(prefix="restrike-bench-obs-") as home, XvfbDisplay() as x:
        cfg = HeadlessObsConfig(home=Path(home), port=free_port(), password="bench",
                                replay_seconds=10)
        with HeadlessObs(cfg, display=x.display) as obs:
            return asyncio.run(measure(obs.url, "bench", requests=requests, saves=saves))


def report(result: ObsBenchResult) -> str:
    def line(label: str, values: list[float], target: str) -> str:
        return (f"{label:<38} n={len(values):<4} p50={percentile(values, 50):8.2f} ms  "
                f"p99={percentile(values, 99):8.2f} ms   target: {target}")

    lo, hi = REFERENCE_SAVE_MS
    return "\n".join([
        f"OBS {result.obs_version}, obs-websocket {result.websocket_version}",
        line("request round-trip (GetVersion)", result.request_ms, "none set (issue 5)"),
        line("SaveReplayBuffer -> ReplayBufferSaved", result.save_ms,
             f"none set (issue 5); notes saw {lo}-{hi} ms"),
    ])
