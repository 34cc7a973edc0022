"""`restrike bench replay`: challenge datagram → mpv at the clip's 10th second.

Everything is real: a headless OBS 29 (recording + 20 s replay buffer, mkv), an idle
mpv (``--vo=null``), the station (UDP ingest, bus, store) with the Review component. A
UDP sender plays a match and then, run after run, a referee review (``ch0``) that is
closed again (``ch0;-1``). For each run it measures:

* total: the challenge datagram leaving the sender → mpv reporting playback at >= 10 s
  in the saved clip;
* save: OBS's own SaveReplayBuffer → ReplayBufferSaved in the same run;
* overhead: total - save. Target (issue 6): total <= 1.2 × save, overhead <= 150 ms.

``--tail`` also measures the tail mode: mpv opens the growing live recording at
(recording length - (clip - start offset)) without waiting for the save, and reports
how many runs reached that position and how fast.

``--angles N`` (issue 18) starts N OBS, the first recording, the others cameras with
``role = "angle"``; total is then the datagram → mpv playing every angle together at the
common 10th second, save the slowest of the N saves of the same run (each OBS's own
SaveReplayBuffer → ReplayBufferSaved). Target: total <= 1.2 × the slowest save.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restrike.assembly import assemble
from restrike.config import load_settings
from restrike.errors import ObsError
from restrike.kernel import Station
from restrike.obs.headless import HeadlessObs, HeadlessObsConfig, XvfbDisplay, free_port
from restrike.obs.pool import ObsPool
from restrike.obs.settings import ObsConnectionSettings
from restrike.playback import MpvPlayer, PlaybackSettings
from restrike.review.component import Review

__all__ = ["ReplayBenchResult", "measure", "percentile", "report", "run"]

log = logging.getLogger(__name__)

MATCH = [b"pre;FightLoaded", b"at1;DESMOND;N. DESMOND;FRA;at2;LEE;LEE Dae-hoon;KOR",
         b"mch;101;Final;MEN -80kg;;#1F4FD8;#FFFFFF;#D81F26;#FFFFFF;9001;Senior;3;120;"
         b"cntDown;25;20", b"rdy;FightReady", b"clk;2:00;start"]


@dataclass
class ReplayBenchResult:
    obs_version: str = ""
    container: str = ""
    total_ms: list[float] = field(default_factory=list)
    save_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    tail_ms: list[float] = field(default_factory=list)
    tail_failures: list[str] = field(default_factory=list)
    tail_runs: int = 0
    #: per run: (datagram → SaveReplayBuffer sent, saved → mpv told to open, open → position)
    stages_ms: list[tuple[float, float, float]] = field(default_factory=list)
    keyframes: str = "as configured in OBS"
    angles: int = 1
    size: str = "640x360"
    #: per run with angles: every angle saved (first sent → last saved), and the fastest
    all_saved_ms: list[float] = field(default_factory=list)
    fastest_save_ms: list[float] = field(default_factory=list)

    @property
    def overhead_ms(self) -> list[float]:
        return [t - s for t, s in zip(self.total_ms, self.save_ms, strict=True)]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


async def _until(check: Any, within: float, what: str) -> Any:
    deadline = time.perf_counter() + within
    while True:
        value = check()
        if value:
            return value
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.002)


async def _one(review: Review, player: MpvPlayer, send: Any, *, tail: bool,
               stages: list[tuple[float, float, float]] | None = None,
               angles: int = 1, result: ReplayBenchResult | None = None,
               ) -> tuple[float, float | None]:
    """One review; returns (total ms, OBS save ms or None: the slowest of the angles)."""
    await _until(lambda: review.flow.active is None and player.status().file is None, 10,
                 "idle before the run")
    before = review.flow.next_id
    started = time.perf_counter()
    sent_wall = time.time()
    send(b"ch0")
    target: float | None = None
    try:
        def ready() -> bool:
            nonlocal target
            active = review.flow.active
            status = player.status()
            if active is None or active.id < before or status.file is None or (
                    status.position is None):
                return False
            if tail:
                opened = review.timings.get(active.id, {}).get("tail_start")
                if opened is None or status.file.endswith(active.clip or "\0"):
                    return False
                target = opened
            else:
                if status.file != active.clip or status.angles != angles:
                    return False
                target = review.options.start_offset
            return status.position >= target - 1e-3

        await _until(ready, 20, "playback at the start offset")
        total = (time.perf_counter() - started) * 1000
        end_wall = time.time()
        rid = review.flow.active.id if review.flow.active else before
        if tail:
            # Reliable means it keeps playing: 2 s later the position moved on, no EOF.
            at = player.status().position or 0.0
            await asyncio.sleep(2.0)
            later = player.status()
            if later.eof or later.position is None or later.position < at + 1.5:
                raise TimeoutError(f"playback did not continue (position {at:.2f} -> "
                                   f"{later.position}, eof {later.eof})")
        await _until(lambda: "saved" in review.timings.get(rid, {}) or (
            review.flow.active is not None and review.flow.active.error), 20, "save")
        times = review.timings.get(rid, {})
        save = ((times["saved"] - times["save_sent"]) * 1000) if "saved" in times else None
        each = [v * 1000 for k, v in times.items() if k.startswith("save:")]
        if angles > 1 and len(each) == angles and save is not None:
            if result is not None:
                result.all_saved_ms.append(save)
                result.fastest_save_ms.append(min(each))
            save = max(each)
        if stages is not None and {"save_sent", "saved", "opened"} <= set(times):
            stages.append(((times["save_sent"] - sent_wall) * 1000,
                           (times["opened"] - times["saved"]) * 1000,
                           (end_wall - times["opened"]) * 1000))
        return total, save
    finally:
        send(b"ch0;-1")


async def measure(obs_url: str, password: str | None, *, runs: int = 10, tail: bool = True,
                  data_dir: Path, warm_up_s: float = 21.0, angle_urls: tuple[str, ...] = ()
                  ) -> ReplayBenchResult:
    result = ReplayBenchResult(angles=1 + len(angle_urls))
    pool = ObsPool([ObsConnectionSettings("bench", obs_url, password or "", role="both",
                                          protocol="v5"),
                    *(ObsConnectionSettings(f"angle{i + 2}", url, password or "",
                                            role="angle", protocol="v5")
                      for i, url in enumerate(angle_urls))])
    await pool.start()
    player = MpvPlayer(PlaybackSettings(vo="null", ao="null", use_config=False))
    station: Station | None = None
    try:
        conn = pool.get("bench")
        for each in pool.connections:
            await each.wait_connected(20)
        version = await conn.control.get_version()
        result.obs_version = f"{version.obs_version} (obs-websocket {version.websocket_version})"
        await player.start()
        # The station `restrike run` builds (its own GIL switch interval too), with this
        # OBS pool and player, on loopback; feed and API on free ports (0).
        settings = load_settings(None, env={}, cli={
            "station.data_dir": str(data_dir), "station.tournament": "Bench",
            "udp.host": "127.0.0.1", "http.host": "127.0.0.1", "review.hotkey": ""})
        settings = dataclasses.replace(settings, udp=dataclasses.replace(settings.udp, port=0),
                                       http=dataclasses.replace(settings.http, port=0))
        assembly = assemble(settings, obs=pool, player=player)
        station = assembly.station
        review = assembly.review
        assert review is not None
        await station.start()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        address = ("127.0.0.1", station.bound["udp"]["port"])

        def send(data: bytes) -> None:
            sock.sendto(data + b"\r\n", address)

        try:
            for line in MATCH:
                send(line)
            try:
                await _until(lambda: conn.status.recording and all(
                    c.status.replay_buffer for c in pool.connections), 30,
                    "recording and every replay buffer")
            except TimeoutError as err:
                raise ObsError(f"{err}: {review.last_error or conn.status.error}") from err
            result.container = Path(conn.status.record_path or "?.?").suffix.lstrip(".")
            print(f"recording to {conn.status.record_path}; filling the replay buffer "
                  f"for {warm_up_s:.0f} s...")
            await asyncio.sleep(warm_up_s)
            for i in range(runs):
                try:
                    total, save = await _one(review, player, send, tail=False,
                                             stages=result.stages_ms, angles=result.angles,
                                             result=result)
                except (TimeoutError, Exception) as err:
                    result.failures.append(f"run {i + 1}: {err}")
                    continue
                if save is None:
                    result.failures.append(f"run {i + 1}: no save time")
                    continue
                result.total_ms.append(total)
                result.save_ms.append(save)
                print(f"  save mode run {i + 1}: total {total:7.1f} ms, OBS save "
                      f"{save:7.1f} ms")
                await asyncio.sleep(1.0)
            if tail:
                review.apply_options(dataclasses.replace(review.options, mode="tail"))
                for i in range(runs):
                    result.tail_runs += 1
                    try:
                        total, _ = await _one(review, player, send, tail=True)
                    except (TimeoutError, Exception) as err:
                        result.tail_failures.append(f"run {i + 1}: {err}")
                        continue
                    result.tail_ms.append(total)
                    print(f"  tail mode run {i + 1}: total {total:7.1f} ms")
                    await asyncio.sleep(1.0)
        finally:
            sock.close()
    finally:
        if station is not None:
            await station.stop()
        await player.aclose()
        for each in pool.connections:
            with contextlib.suppress(Exception):
                await each.control.stop_replay_buffer()
        with contextlib.suppress(Exception):
            await conn.control.stop_recording()
        await pool.stop()
    return result


def run(url: str | None = None, password: str | None = None, *, runs: int = 10,
        tail: bool = True, keyframe_seconds: int = 1, angles: int = 1,
        size: str = "640x360") -> ReplayBenchResult:
    """Against ``url``, or headless OBS started (and stopped) here: ``angles`` of them.

    ``keyframe_seconds`` sets the started OBS's x264 keyframe interval (0: OBS's
    default, 250 frames). mpv must decode from the keyframe before the 10th second to
    show it exactly, so short intervals make the clip start faster and steadier.
    ``size`` is their canvas (WxH). Tail mode is measured with one angle only.
    """
    width, height = (int(v) for v in size.lower().split("x", 1))
    tail = tail and angles == 1
    with tempfile.TemporaryDirectory(prefix="restrike-bench-replay-") as tmp:
        data = Path(tmp) / "data"
        if url is not None:
            return asyncio.run(measure(url, password, runs=runs, tail=tail, data_dir=data))
        with XvfbDisplay() as x, contextlib.ExitStack() as started:
            extra: dict[str, dict[str, str]] = {}
            if keyframe_seconds > 0:
                extra["SimpleOutput"] = {"UseAdvanced": "true",
                                         "x264Settings": f"keyint={30 * keyframe_seconds}"}
            urls = []
            for index in range(angles):
                cfg = HeadlessObsConfig(home=Path(tmp) / f"obs{index}", port=free_port(),
                                        password="bench", replay_seconds=20, width=width,
                                        height=height, extra_profile=extra)
                urls.append(started.enter_context(HeadlessObs(cfg, display=x.display)).url)
            result = asyncio.run(measure(urls[0], "bench", runs=runs, tail=tail,
                                         data_dir=data, angle_urls=tuple(urls[1:])))
            result.keyframes = (f"{keyframe_seconds} s" if keyframe_seconds > 0
                                else "OBS default (x264: 250 frames)")
            result.size = f"{width}x{height}"
            return result


def report(result: ReplayBenchResult) -> str:
    def line(label: str, values: list[float], target: str) -> str:
        if not values:
            return f"{label:<44} no successful runs   target: {target}"
        return (f"{label:<44} n={len(values):<3} p50={percentile(values, 50):8.1f} ms  "
                f"p99={percentile(values, 99):8.1f} ms   target: {target}")

    out = [f"OBS {result.obs_version}; recording container: {result.container}; keyframe "
           f"interval: {result.keyframes}; {result.angles} angle(s) of {result.size}"]
    if result.angles > 1:
        out.append(line(f"datagram -> mpv playing all {result.angles} angles at 10 s",
                        result.total_ms, "<= 1.2 x slowest save"))
        out.append(line("slowest single OBS save (of the run)", result.save_ms,
                        "(reference)"))
        out.append(line("fastest single OBS save (of the run)", result.fastest_save_ms,
                        "(spread)"))
        out.append(line("every angle saved (first sent -> last saved)",
                        result.all_saved_ms, "(parallel: ~ slowest save)"))
    else:
        out.append(line("challenge datagram -> mpv at 10 s (total)", result.total_ms,
                        "<= 1.2 x OBS save"))
        out.append(line("OBS SaveReplayBuffer -> ReplayBufferSaved", result.save_ms,
                        "(reference)"))
    out.append(line("overhead (total - save)", result.overhead_ms, "<= 150 ms"))
    if result.total_ms:
        ratios = [t / s for t, s in zip(result.total_ms, result.save_ms, strict=True)]
        out.append(f"{'total / save':<44} p50={percentile(ratios, 50):.3f}  "
                   f"p99={percentile(ratios, 99):.3f}   target: <= 1.2")
    if result.stages_ms:
        for index, label in enumerate(("  datagram -> SaveReplayBuffer sent",
                                       "  saved -> mpv loadfile answered",
                                       "  loadfile -> mpv at 10 s")):
            out.append(line(label, [s[index] for s in result.stages_ms], "(breakdown)"))
    out.extend(f"  failed: {f}" for f in result.failures)
    if result.tail_runs:
        ok = len(result.tail_ms)
        out.append(line("tail mode: datagram -> mpv at end-10 s", result.tail_ms,
                        "faster than save mode, every run"))
        out.append(f"{'tail mode reliability':<44} {ok}/{result.tail_runs} runs reached the "
                   "position in the growing recording and kept playing 2 s")
        out.extend(f"  tail failed: {f}" for f in result.tail_failures)
    return "\n".join(out)
