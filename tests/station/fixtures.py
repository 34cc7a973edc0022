"""Station fixtures shared by tests/station and tests/api.

* ``station_settings(data_dir, **values)``: the settings of a test station (loopback,
  free ports, no mpv, no hotkey) plus ``values``; ``assemble`` builds from them;
* ``assembled``: the composition root's station (store and ingest; no review, no HTTP
  server) started on free ports with a temp data folder, with its parts; ``station``:
  its `Station`;
* ``api``: an httpx client on that station's FastAPI app through ASGITransport;
* ``StationProcess``: the real ``python -m restrike run`` as a subprocess, for the
  end-to-end tests (real sockets, real SQLite, kill -9).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import Any, Self

import httpx
import pytest

from restrike.api import create_app
from restrike.assembly import Assembly, assemble
from restrike.config import Settings, load_settings
from restrike.kernel import Station
from restrike.protocol import encode, parse
from tests.helpers import wait_until_sync

__all__ = [
    "StationProcess",
    "api",
    "assembled",
    "free_port",
    "match_datagrams",
    "send_udp",
    "station",
    "station_settings",
]

# A short but complete match in the documented text form; encoded to the real style.
MATCH_TEXT = [
    "pre;FightLoaded;",
    "at1;KIM;KIM Minsu;KOR;at2;DOE;John DOE;USA;",
    "mch;101;Round of 16;MEN -80kg;;#0000ff;#ffffff;#ff0000;#ffffff;9001;Senior;3;120;cntDown;",
    "wg1;0;wg2;0;",
    "wrd;rd1;0;rd2;0;rd3;0;",
    "s11;0;s21;0;s12;0;s22;0;s13;0;s23;0;",
    "sc1;0;sc2;0;",
    "clk;2:00;",
    "rnd;1;",
    "rdy;FightReady;",
    "clk;2:00;start;",
    "clk;1:59;",
    "pt1;3;",
    "s11;3;s21;0;s12;0;s22;0;s13;0;s23;0;",
    "sc1;3;sc2;0;",
    "clk;1:58;",
    "pt2;1;",
    "s11;3;s21;1;s12;0;s22;0;s13;0;s23;0;",
    "sc1;3;sc2;1;",
    "wg1;0;wg2;1;",
    "clk;1:57;stop;",
    "win;BLUE;",
    "wmh;KIM Minsu;3-1 PTF;",
]


def match_datagrams(style: str = "real") -> list[bytes]:
    """The match above, one datagram per group the way tkStrike sends it."""
    messages = [m for line in MATCH_TEXT for m in parse(line.encode())]
    return encode(messages, style=style)  # type: ignore[arg-type]


def _ephemeral_low() -> int:
    """The first port of the range the OS gives to port 0 and to outgoing connections
    (Linux: ip_local_port_range; Windows and macOS: 49152)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 49152


_CHOOSE_FROM = (20_000, min(_ephemeral_low(), 32_768))
_random = random.Random()


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port on 127.0.0.1 free now, for a station process to bind a moment later.

    Chosen below the OS's ephemeral range: a port from that range (what binding port 0
    gives) may in the meantime become the source port of any connection or datagram
    on the machine, or the port-0 socket of a station in this process, and the
    station then fails to listen ("component api failed to start"). Below it, only
    an explicit bind takes a port.
    """
    low, high = _CHOOSE_FROM
    for _ in range(100 if high - low >= 1000 else 0):
        port = _random.randrange(low, high)
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    with socket.socket(socket.AF_INET, kind) as s:  # an unusual range: let the OS pick
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settled(stats: Mapping[str, Any], count: int) -> bool:
    """``count`` datagrams stored and the live state caught up with them (the receiver
    process stores the feed ahead of the station: ``queue_depth`` is what it has not
    folded yet)."""
    return bool(stats["stored"] >= count and stats["queue_depth"] == 0)


def send_udp(port: int, datagrams: Iterable[bytes], host: str = "127.0.0.1",
             pause: float = 0.0) -> int:
    count = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for data in datagrams:
            s.sendto(data, (host, port))
            count += 1
            if pause:
                time.sleep(pause)
    return count


def station_settings(data_dir: Path, **values: Any) -> Settings:
    """A test station's settings: loopback on free ports, a 1 MiB receive buffer, no mpv,
    no hotkey; ``values`` (dotted names) on top, checked like command-line values."""
    settings = load_settings(None, env={}, cli={
        "station.data_dir": str(data_dir), "udp.host": "127.0.0.1", "http.host": "127.0.0.1",
        "udp.receive_buffer": 1 << 20, "playback.enabled": False, "review.hotkey": "",
        **values})
    # Port 0 (the OS picks a free one) is no setting a user may give: set it here.
    return dataclasses.replace(settings, udp=dataclasses.replace(settings.udp, port=0),
                               http=dataclasses.replace(settings.http, port=0))


@contextlib.asynccontextmanager
async def station_pulled_by(tmp_path: Path, read_timeout: float
                            ) -> AsyncIterator[tuple[socket.socket, Assembly]]:
    """A started in-process station (no HTTP, no review) whose pull requests go to the
    returned socket, where a test plays tkStrike's pull port (``read_timeout`` on its reads)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as pss:
        pss.bind(("127.0.0.1", 0))
        pss.settimeout(read_timeout)
        settings = station_settings(tmp_path, **{
            "udp.pss_host": f"127.0.0.1:{pss.getsockname()[1]}"})
        parts = assemble(settings, serve_http=False, review=False)
        await parts.station.start()
        try:
            yield pss, parts
        finally:
            await parts.station.stop()


@pytest.fixture
async def assembled(tmp_path: Path) -> AsyncIterator[Assembly]:
    parts = assemble(station_settings(tmp_path / "data"), serve_http=False, review=False)
    await parts.station.start()
    try:
        yield parts
    finally:
        await parts.station.stop()


@pytest.fixture
def station(assembled: Assembly) -> Station:
    return assembled.station


@pytest.fixture
async def api(assembled: Assembly) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(assembled.view)
    await app.state.hub.start()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://station") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
    finally:
        await app.state.hub.stop()
        app.state.readers.close()


class StationProcess:
    """``python -m restrike run`` on free ports with its own data folder."""

    def __init__(self, data_dir: Path, *, udp_port: int | None = None,
                 http_port: int | None = None, extra: list[str] | None = None,
                 playback: bool = False) -> None:
        self.data_dir = data_dir
        self.playback = playback
        self.udp_port = udp_port or free_port(socket.SOCK_DGRAM)
        self.http_port = http_port or free_port()
        self.extra = extra or []
        self.proc: subprocess.Popen[str] | None = None
        self.output = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def args(self) -> list[str]:
        return [sys.executable, "-m", "restrike", "run", "--no-browser",
                "--data-dir", str(self.data_dir), "--udp-host", "127.0.0.1",
                "--udp-port", str(self.udp_port), "--http-host", "127.0.0.1",
                "--http-port", str(self.http_port), *self.extra]

    def launch(self) -> subprocess.Popen[str]:
        """Start ``restrike run`` without waiting: no ``RESTRIKE_*`` variable of the test's
        environment, no mpv unless ``playback`` (it would open a window), its own process
        group as a terminal would have it (Ctrl-C reaches all of it)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
        env.update(PYTHONUNBUFFERED="1",
                   RESTRIKE_PLAYBACK_ENABLED="true" if self.playback else "false")
        self.proc = subprocess.Popen(self.args(), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=env,
                                     start_new_session=True)
        return self.proc

    def start(self, timeout: float = 60.0, *, ready: tuple[int, ...] = (200,),
              path: str = "/api/health") -> Self:
        """Launch and wait until ``path`` answers with a status in ``ready`` (a station
        with a failed optional component answers 503 to ``/api/health``). The deadline
        is generous: a start takes ~3 s, but over 20 s was seen on a CI machine busy
        with OBS, Chromium and the tests' own stations."""
        self.launch()
        try:
            wait_until_sync(lambda: self.answer(path) in ready, timeout,
                            f"{path} answering {ready}", interval=0.05,
                            ignore=(httpx.HTTPError,))
        except AssertionError as err:
            self.stop()
            raise AssertionError(f"{err}\n{self.output}") from None
        return self

    def answer(self, path: str) -> int:
        """The status ``path`` answers with now (AssertionError once the station exited)."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            self._collect()
            raise AssertionError(f"station exited with {self.proc.returncode}")
        return httpx.get(self.url + path, timeout=0.5, headers=self.headers()).status_code

    def headers(self) -> dict[str, str]:
        """Sent with the fixture's own requests (a station beyond loopback wants its token)."""
        return {}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=5.0)

    def kill(self) -> None:
        """``kill -9``: no shutdown stage runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self._collect()

    def interrupt(self, timeout: float = 20.0) -> int | None:
        """Ctrl-C as a terminal sends it: SIGINT to the whole process group."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout)
        finally:
            self._collect()
        return self.proc.returncode

    def stop(self, timeout: float = 20.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._collect()
        return self.proc.returncode

    def _collect(self) -> None:
        if self.proc is not None and self.proc.stdout is not None and \
                not self.proc.stdout.closed:
            self.output += self.proc.stdout.read()
            self.proc.stdout.close()
