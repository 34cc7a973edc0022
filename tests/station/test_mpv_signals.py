"""mpv and the station's signals: the real `restrike run` with a real mpv (``--vo=null``).

mpv runs in its own session, so Ctrl-C in the terminal (SIGINT to the whole process
group) reaches the station only; the station closes mpv in its CLOSE stage on Ctrl-C,
SIGTERM and SIGHUP. After ``kill -9`` mpv is left running, and the next start stops
it (its pid is recorded in the data folder).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.helpers import wait_until_sync
from tests.peers.mpv import require_mpv
from tests.station.fixtures import StationProcess

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.name != "posix", reason="POSIX signals and sessions")]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    require_mpv()
    path = tmp_path / "restrike.toml"
    path.write_text('[playback]\nextra_args = ["--vo=null", "--ao=null", "--no-config"]\n',
                    encoding="utf-8")
    return path


def _start(tmp_path: Path, config: Path) -> tuple[StationProcess, int]:
    station = StationProcess(tmp_path / "data", playback=True,
                             extra=["--config", str(config)]).start()
    pid = wait_until_sync(lambda: station.get("/api/health").json()["components"]["playback"]
                          ["pid"], what="mpv's pid in /api/health")
    return station, int(pid)


def _gone(pid: int) -> bool:
    try:
        status: str = psutil.Process(pid).status()
        return status == str(psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


@pytest.fixture
def cleanup() -> Iterator[list[int]]:
    pids: list[int] = []
    yield pids
    for pid in pids:
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)


def _stopped_by_the_station(station: StationProcess, mpv: int) -> None:
    assert wait_until_sync(lambda: _gone(mpv), 5)
    assert "station stopped" in station.output
    # mpv was not killed under the station (that would be "mpv ... exited").
    assert "exited (code" not in station.output, station.output
    assert not (station.data_dir / "mpv.pid").exists()


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "sighup"])
def test_the_station_stops_mpv_on_every_signal(tmp_path: Path, config: Path, how: str,
                                               cleanup: list[int]) -> None:
    if how == "sighup" and getattr(signal, "SIGHUP", None) is None:
        pytest.skip("no SIGHUP here")
    station, mpv = _start(tmp_path, config)
    cleanup.append(mpv)
    assert os.getsid(mpv) != os.getsid(station.proc.pid)  # type: ignore[union-attr]
    assert (station.data_dir / "mpv.pid").exists()
    assert station.proc is not None
    if how == "ctrl-c":
        code = station.interrupt()  # SIGINT to the process group, as the terminal does
    else:
        sig = signal.SIGTERM if how == "sigterm" else signal.SIGHUP
        os.killpg(station.proc.pid, sig)  # the whole group, like a closing terminal
        station.proc.wait(20)
        station.stop()
        code = station.proc.returncode
    assert code == 0, station.output
    _stopped_by_the_station(station, mpv)


def test_kill_9_leaves_mpv_until_the_next_start(tmp_path: Path, config: Path,
                                                cleanup: list[int]) -> None:
    station, mpv = _start(tmp_path, config)
    cleanup.append(mpv)
    station.kill()
    time.sleep(0.3)
    assert not _gone(mpv)  # nobody left to close it...
    again, mpv2 = _start(tmp_path, config)
    cleanup.append(mpv2)
    try:
        assert mpv2 != mpv
        assert wait_until_sync(lambda: _gone(mpv), 5)  # ...until the station starts again
    finally:
        assert again.stop() == 0, again.output
    assert "left running by a station that was killed" in again.output
    assert wait_until_sync(lambda: _gone(mpv2), 5)
