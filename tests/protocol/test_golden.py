"""Golden tests: a whole hand-written match, as the real sender and as the docs put it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from restrike.cli import app

DATA = Path(__file__).parent / "data"
TIMES = ("requested_at", "decided_at", "at")


def _decode(*args: str) -> str:
    result = CliRunner().invoke(app, ["decode", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k not in TIMES}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def test_real_style_match_gives_the_golden_state() -> None:
    state = json.loads(_decode("--state", str(DATA / "match_real.jsonl")))
    assert state == json.loads((DATA / "match_state.json").read_text())


def test_real_style_match_decodes_to_the_golden_messages() -> None:
    lines = _decode(str(DATA / "match_real.jsonl")).splitlines()
    golden = (DATA / "match_real.decoded.jsonl").read_text().splitlines()
    assert [json.loads(x) for x in lines] == [json.loads(x) for x in golden]
    assert not [x for x in lines if json.loads(x)["error"]]


def test_documented_style_match_gives_the_same_state() -> None:
    state = json.loads(_decode("--state", str(DATA / "match_documented.txt")))
    golden = json.loads((DATA / "match_state.json").read_text())
    assert _without_times(state) == _without_times(golden)


def test_decode_reads_stdin_and_reports_bad_capture_lines() -> None:
    capture = (DATA / "match_real.jsonl").read_bytes() + b'{"t": 1, "data": "%%%"}\n'
    proc = subprocess.run([sys.executable, "-m", "restrike", "decode", "--state", "-"],
                          input=capture, capture_output=True, check=False, timeout=60)
    assert proc.returncode == 1
    assert b"line 91" in proc.stderr and b"base64" in proc.stderr
    assert json.loads(proc.stdout)["scores"] == [9, 2]


def test_decode_with_an_edited_protocol_file(tmp_path: Path) -> None:
    edited = (Path(__file__).parents[2] / "src/restrike/protocol/wt-udp-2.3.wtp").read_text()
    edited += "\nmessage gpr golden_point_request -- added by a user\n    athlete int 1..2 -- who\n"
    path = tmp_path / "edited.wtp"
    path.write_text(edited)
    capture = tmp_path / "c.txt"
    capture.write_text("gpr;2\n")
    (row,) = [json.loads(x) for x in _decode("--protocol", str(path), str(capture)).splitlines()]
    assert (row["kind"], row["args"], row["error"]) == ("golden_point_request", {"athlete": 2},
                                                        None)


def test_decode_refuses_a_broken_protocol_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.wtp"
    path.write_text("protocol x 1\nmessage pt1 point\n    technique number\n")
    result = CliRunner().invoke(app, ["decode", "--protocol", str(path), "-"], input="")
    assert result.exit_code == 2
    assert "broken.wtp:3" in result.output and "unknown type 'number'" in result.output
