"""The PyInstaller build (scripts/package) smoke-tested: only where it was built.

Building takes minutes, so the default test run does not build: `scripts/package` builds
dist/restrike/ and smoke-tests it itself; this test repeats the smoke test of a build
that exists (docs/operations.md, "Windows build").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "dist" / "restrike" / ("restrike.exe" if os.name == "nt" else "restrike")


@pytest.mark.slow
@pytest.mark.skipif(not PROGRAM.exists(), reason="no build: run scripts/package first")
@pytest.mark.timeout(300)
def test_the_built_program_serves_health_and_stops_cleanly() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "package"), "--smoke-only"],
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the frozen receiver child got" in result.stdout
    assert "smoke test passed: exit status 0" in result.stdout
