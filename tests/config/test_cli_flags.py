"""`restrike run` / `restrike demo` options come from the settings table, and every flag the
docs or the console name is one the real command accepts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from restrike.cli import app
from restrike.cli import run as run_cli
from restrike.cli.settings_options import flag_rows, options_markdown
from restrike.config import SETTINGS, Setting, Settings
from restrike.console.settings_api import SettingsService

DOCS = Path(__file__).resolve().parents[2] / "docs"
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9]")
#: Flags docs/settings.md names that are not `restrike run`'s, and why.
NOT_RUN_FLAGS = {
    "--sources": "an option of `restrike config show`",
    "--delete": "an option of `restrike config obs-password`",
    "--volume": "mpv's own options, quoted as playback.extra_args examples",
    "--mute": "mpv's own options, quoted as playback.extra_args examples",
    "--tokens": "an option of `restrike hub` (the hub server), quoted for hub.token",
}


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """The settings `restrike run` would start the station with (nothing is started)."""
    seen: list[Settings] = []

    def serve(settings: Settings, *args: Any, **kwargs: Any) -> int:
        seen.append(settings)
        return 0

    monkeypatch.setattr(run_cli, "serve", serve)
    monkeypatch.setattr(run_cli, "serve_with_window", serve)
    return seen


@pytest.fixture(scope="module")
def run_help() -> set[str]:
    """The flags the real `restrike run --help` prints in an 80-column terminal.

    Nothing may be cut there (Rich ends a column that does not fit with "…"): a flag too
    long for its help panel fails here, before a user cannot read it.
    """
    flags: set[str] = set()
    for command in ("run", "demo"):
        env = _clean_env() | {"COLUMNS": "80", "TERM": "dumb"}
        done = subprocess.run([sys.executable, "-m", "restrike", command, "--help"],
                              capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        assert max(map(len, done.stdout.splitlines())) <= 80
        assert "…" not in done.stdout, done.stdout
        if command == "run":
            flags = set(FLAG.findall(done.stdout))
    return flags


def _command(name: str) -> Any:
    return typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]


def _options(name: str) -> dict[str, Any]:
    """The command's options by primary flag."""
    return {p.opts[0]: p for p in _command(name).params if p.param_type_name == "option"}


def test_every_setting_with_a_flag_is_an_option_of_run(run_help: set[str]) -> None:
    options = _options("run")
    with_flag = [row for row in SETTINGS if row.flag is not None]
    assert len(with_flag) > 40
    for row in with_flag:
        assert row.flag in run_help, row.name
        option = options[row.flag]
        assert option.help.startswith(row.cli_help.replace("`", "").replace("[", "\\[")), \
            row.name
        if row.kind == "bool":
            assert option.secondary_opts == [f"--no-{row.flag[2:]}"], row.name
            assert f"--no-{row.flag[2:]}" in run_help
        else:
            assert option.metavar.startswith("<"), row.name
        if row.choices and len("|".join(row.choices)) <= 14:
            assert option.metavar == "<" + "|".join(row.choices) + ">", row.name
    # --hub: the hub plugin's hub.url (issue 17), the one plugin setting with a flag
    assert set(options) == {"--config", "--hub"} | {row.flag for row in with_flag}
    # No flag where the value would be visible to every user of the machine.
    assert [row.name for row in SETTINGS if row.flag is None and
            not row.name.startswith("obs")] == ["http.token"]


def test_demo_takes_its_subset() -> None:
    options = _options("demo")
    assert set(options) == {"--scenario", "--speed", "--seed", "--matches"} | {
        row.flag for row in flag_rows(run_cli.DEMO_SETTINGS)}
    for absent in ("--udp-port", "--udp-host", "--pss-host", "--http-host", "--mpv",
                   "--window"):
        assert absent not in options
    assert "<user data folder>/demo" in options["--data-dir"].help
    assert "a free port" in options["--http-port"].help


def test_docs_name_only_flags_run_accepts(run_help: set[str]) -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    table_flags = set()
    for line in text.splitlines():
        cells = line.split(" | ")
        if line.startswith("| `") and len(cells) == 6 and cells[4] != "—":
            table_flags |= set(FLAG.findall(cells[4]))
    assert table_flags == {f for row in SETTINGS if row.flag_spec
                           for f in row.flag_spec.split("/")}
    named = set(FLAG.findall(text))
    assert named - run_help - set(NOT_RUN_FLAGS) == set()
    station = (DOCS / "station.md").read_text(encoding="utf-8")
    assert options_markdown(_command("run")) in station, \
        "regenerate the lists in docs/station.md (restrike.cli.settings_options)"
    assert options_markdown(_command("demo")) in station


def _valid_text(row: Setting, tmp_path: Path) -> str | bool:
    """A value for the row's flag, as a user would type it."""
    special = {"udp.host": "127.0.0.1", "http.host": "127.0.0.1", "udp.pss_host": "10.0.0.9",
               "playback.geometry": "960x540+0+0", "http.allowed_hosts": "court1.local",
               "http.allowed_origins": "http://court1.local:8080",
               "log.levels": "restrike.obs=DEBUG", "playback.extra_args": "--hwdec=no"}
    if row.name in special:
        return special[row.name]
    if row.kind == "bool":
        return not row.default
    if row.choices:
        return row.choices[-1]
    if row.kind == "path":
        return str(tmp_path / row.key)
    if row.kind in ("int", "float"):
        return str(int(row.min or 0) + 1)
    return f"x-{row.key}"


def test_every_flag_reaches_the_settings_and_the_console_names_it(
        tmp_path: Path, started: list[Settings], run_help: set[str]) -> None:
    args: list[str] = []
    for row in flag_rows():
        flag, value = str(row.flag), _valid_text(row, tmp_path)
        if isinstance(value, bool):
            args.append(flag if value else f"--no-{flag[2:]}")
        else:
            args += [flag, value]
    result = CliRunner().invoke(app, ["run", *args], env=_clean_env())
    assert result.exit_code == 0, result.output
    [settings] = started
    assert settings.udp.port == 2 and settings.console.window is True
    assert settings.playback.geometry == "960x540+0+0"
    assert settings.log.levels == {"restrike.obs": "DEBUG"}
    rows = SettingsService(None, effective=settings.describe()).describe()["settings"]
    sources = {row["name"]: row["source"] for row in rows}
    for row in flag_rows():
        assert sources[row.name] == f"command-line option {row.flag}", row.name
    named = {m for source in sources.values() for m in FLAG.findall(source)}
    assert named and named <= run_help
    assert sources["http.token"] == "default"


@pytest.mark.parametrize("args, message", [
    (["--udp-receiver", "asyncio"], "udp.receiver (command-line option --udp-receiver): "
                                    "must be one of process, thread, not 'asyncio'"),
    (["--mpv-screen", "two"], "playback.screen (command-line option --mpv-screen): "
                              "must be an integer between 0 and 32"),
    (["--window-side", "top"], "console.window_side (command-line option --window-side)"),
    (["--pss-host", "10.0.0.1:99999"], "udp.pss_host (command-line option --pss-host)"),
    (["--mpv-geometry", "big"], "playback.geometry (command-line option --mpv-geometry)"),
    (["--log-levels", "restrike.obs=LOUD"], "log.levels.restrike.obs (command-line option "
                                            "--log-levels)"),
])
def test_a_bad_value_exits_2_naming_the_setting_and_its_flag(args: list[str],
                                                             message: str) -> None:
    done = subprocess.run([sys.executable, "-m", "restrike", "run", "--no-browser", *args],
                          capture_output=True, text=True, env=_clean_env(), timeout=60)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr


def test_demo_bad_value_exits_2() -> None:
    result = CliRunner().invoke(app, ["demo", "--no-browser", "--http-port", "0"],
                                env=_clean_env())
    assert result.exit_code == 2
    assert "http.port (command-line option --http-port)" in result.output


def test_precedence_command_line_over_environment_over_file(
        tmp_path: Path, started: list[Settings]) -> None:
    config = tmp_path / "station.toml"
    config.write_text("[udp]\nport = 6001\nreceiver = \"thread\"\n"
                      "[http]\nport = 9001\nopen_browser = false\n[review]\nquota = 3\n")
    env = _clean_env() | {"RESTRIKE_UDP_PORT": "6002", "RESTRIKE_HTTP_PORT": "9002"}
    result = CliRunner().invoke(app, ["run", "--config", str(config), "--udp-port", "6003",
                                      "--browser", "--data-dir", str(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    s = started.pop()
    assert (s.udp.port, s.http.port, s.review.quota, s.udp.receiver) == (6003, 9002, 3, "thread")
    assert s.http.open_browser is True  # --browser beats the file's false
    assert s.sources["udp.port"] == "command-line option --udp-port"
    assert s.sources["http.port"] == "environment variable RESTRIKE_HTTP_PORT"
    assert s.sources["review.quota"] == f"config file {config}"
    assert s.sources["store.batch_rows"] == "default"
    result = CliRunner().invoke(app, ["run", "--no-browser", "--data-dir", str(tmp_path)],
                                env=_clean_env() | {"RESTRIKE_HTTP_OPEN_BROWSER": "true"})
    assert result.exit_code == 0 and started.pop().http.open_browser is False
