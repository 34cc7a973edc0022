"""Schemathesis with every check against the real station's ``/openapi.json``.

The station is ``restrike run`` as a subprocess with a temporary data folder, mpv
disabled and one ``[[obs]]`` entry pointing at a port where nothing listens, so every
state-changing route is safe to fuzz (settings and protocol edits land in the temporary
folder). The run is bounded by ``RESTRIKE_SCHEMATHESIS_SECONDS`` (60 in CI; 600 for the
long local run of docs/api.md). Expected answers that only a running peer would change
are in ``schemathesis.toml`` next to this file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.station.fixtures import StationProcess, free_port

pytestmark = pytest.mark.slow

SECONDS = int(os.environ.get("RESTRIKE_SCHEMATHESIS_SECONDS", "60"))
CONFIG = Path(__file__).with_name("schemathesis.toml")


def station_settings(folder: Path) -> Path:
    path = folder / "restrike.toml"
    path.write_text(f'[playback]\nenabled = false\n\n[[obs]]\nname = "main"\n'
                    f'url = "ws://127.0.0.1:{free_port()}"\n', encoding="utf-8")
    return path


@pytest.mark.timeout(SECONDS + 240)
def test_no_server_error_and_every_answer_documented(tmp_path: Path) -> None:
    settings = station_settings(tmp_path)
    station = StationProcess(tmp_path / "data", extra=["--config", str(settings)]).start()
    try:
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run",
             f"{station.url}/openapi.json", "--checks", "all", "--max-time", str(SECONDS),
             "--workers", "1", "--request-timeout", "10", "--generation-database", "none",
             "--no-color", "--report", "junit", "--report-dir", str(tmp_path / "report")],
            cwd=tmp_path, capture_output=True, text=True, timeout=SECONDS + 180, check=False)
    finally:
        code = station.stop()
    # Failing requests can carry megabytes (a 6 MB body for a maxLength test): cut lines.
    lines = (run.stdout + run.stderr).splitlines()
    summary = "\n".join(line[:400] for line in lines[-400:])
    assert run.returncode == 0, f"schemathesis found problems:\n{summary}"
    tested = re.search(r"Tested:\s+(\d+)", summary)
    assert tested and int(tested.group(1)) >= 30, f"operations not tested:\n{summary}"
    assert code == 0, f"the station did not stop cleanly ({code}):\n{station.output[-5_000:]}"
    assert "Traceback" not in station.output, station.output[-10_000:]
