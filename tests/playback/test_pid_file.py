"""The mpv pid file: only the recorded mpv (same pid, same start time) is ever stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from restrike.playback.process import detached, forget_pid, kill_recorded, record_pid


def test_detached_keeps_mpv_out_of_the_terminals_signals() -> None:
    assert detached("linux") == {"start_new_session": True}
    assert detached("darwin") == {"start_new_session": True}
    assert detached("win32") == {"creationflags": 0x200}  # CREATE_NEW_PROCESS_GROUP


def test_a_process_that_is_not_mpv_is_never_killed(tmp_path: Path) -> None:
    path = tmp_path / "mpv.pid"
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        record_pid(path, proc.pid)
        assert json.loads(path.read_text())["pid"] == proc.pid
        assert kill_recorded(path) is None  # python, not mpv
        assert proc.poll() is None and not path.exists()
        record_pid(path, proc.pid)
        data = json.loads(path.read_text())
        path.write_text(json.dumps({**data, "created": data["created"] - 100}))
        assert kill_recorded(path) is None  # a reused pid: another start time
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()


def test_missing_gone_or_broken_files(tmp_path: Path) -> None:
    path = tmp_path / "mpv.pid"
    assert kill_recorded(path) is None
    path.write_text("not json")
    assert kill_recorded(path) is None and not path.exists()
    path.write_text(json.dumps({"pid": 2**22 + 12345, "created": 1.0}))
    assert kill_recorded(path) is None and not path.exists()
    record_pid(path, os.getpid())
    forget_pid(path)
    assert not path.exists()
