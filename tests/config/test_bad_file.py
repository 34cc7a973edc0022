"""A settings file that cannot be read: exit 2 with one line naming the file, never a
traceback, for ``restrike run`` (the real process) and ``restrike config show|check``."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from restrike.cli import app as cli_app
from restrike.config import ConfigError, load_settings

BAD_FILES = {
    "windows-1252": ('[station]\ntournament = "Caf\xe9 Open"\n'.encode("cp1252"),
                     "is not UTF-8 text (byte 0xe9 at offset 27)"),
    "utf-16": ('[udp]\nport = 6000\n'.encode("utf-16"),
               "is not UTF-8 text (byte 0xff at offset 0)"),
    "binary": (bytes(range(256)) * 4, "is not UTF-8 text (byte 0x80 at offset 128)"),
    "nul bytes": (b"\x00\x01\x02\x03 binary\x00", "is not valid TOML: "),
    "deeply nested": (b"a = " + b"[" * 100_000, "is not valid TOML: nested too deeply"),
}


@pytest.fixture(params=sorted(BAD_FILES))
def bad_file(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    content, message = BAD_FILES[request.param]
    path = tmp_path / "station.toml"
    path.write_bytes(content)
    return path, message


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
    env["RESTRIKE_PLAYBACK_ENABLED"] = "false"
    return env


def _one_line(stderr: str, path: Path, message: str,
              start: str = "error: config file {path} ") -> None:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(start.format(path=path))
    assert message in lines[0]


@pytest.mark.parametrize("command", [["config", "show"], ["config", "check"]])
def test_config_commands_exit_2_with_one_line(command: list[str],
                                              bad_file: tuple[Path, str]) -> None:
    path, message = bad_file
    args = [*command, "--config", str(path)] if command[1] == "show" else [*command, str(path)]
    result = CliRunner().invoke(cli_app, args, env={"RESTRIKE_CONFIG": ""})
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    _one_line(result.stderr, path, message)


def test_run_exits_2_with_one_line(bad_file: tuple[Path, str], tmp_path: Path) -> None:
    path, message = bad_file
    done = subprocess.run(
        [sys.executable, "-m", "restrike", "run", "--no-browser", "--config", str(path),
         "--data-dir", str(tmp_path / "data"), "--http-port", "0", "--udp-port", "0"],
        capture_output=True, text=True, env=_env(), timeout=60, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    _one_line(done.stderr, path, message)
    assert not (tmp_path / "data").exists()  # stopped before anything was started


def test_run_names_the_file_given_by_restrike_config(tmp_path: Path) -> None:
    path = tmp_path / "from-env.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    env = {**_env(), "RESTRIKE_CONFIG": str(path)}
    done = subprocess.run([sys.executable, "-m", "restrike", "run", "--no-browser"],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 2
    _one_line(done.stderr, path, "is not UTF-8 text (byte 0xff at offset 0)")


def test_a_folder_given_as_the_config_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["config", "check", str(tmp_path)],
                                env={"RESTRIKE_CONFIG": ""})
    assert result.exit_code == 2
    _one_line(result.stderr, tmp_path, ": Is a directory",
              start="error: cannot read config file {path}")


@pytest.mark.parametrize(("text", "shown"), [
    ('["a\\nb"]\nx = 1\n', "unknown section [a\\nb]"),
    ('[udp]\n"po\\nrt" = 1\n', "unknown setting udp.po\\nrt"),
    ('[[obs]]\nname = "a"\n"ur\\nl" = 1\n', "obs[0].ur\\nl"),
    ('[log]\nlevels = {"a\\nb" = "X"}\n', "log.levels.a\\nb"),
    ("[station]\ntournament = [" + ", ".join(map(str, range(300))) + "]\n",
     "must be text, not [0, 1, 2, "),  # cut after 200 characters
])
def test_names_and_values_from_the_file_stay_on_one_line(text: str, shown: str,
                                                          tmp_path: Path) -> None:
    path = tmp_path / "odd.toml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["config", "check", str(path)],
                                env={"RESTRIKE_CONFIG": ""})
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert shown in line and str(path) in line and len(line) < 400


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=400),
                         st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_any_bytes_load_or_fail_with_a_config_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.toml"
        path.write_bytes(content)
        try:
            load_settings(path, env={})
        except ConfigError as err:
            text = str(err)
            assert "\n" not in text and str(path) in text
