"""config check lists every error; Windows path hints; OBS passwords from env or keyring."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest

from restrike.config import check_settings, load_settings
from restrike.config.passwords import KEYRING_SERVICE, obs_password_env
from restrike.errors import ConfigError
from tests.ops.conftest import run_cli

OBS = '[[obs]]\nname = "court 1"\nurl = "ws://127.0.0.1:4455"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "station.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_lists_every_error_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, '[udp]\nport = 70000\nbogus = 1\n[http]\nport = "x"\n'
                           '[nope]\na = 1\n[log]\nlevel = "LOUD"\n')
    errors = check_settings(path, env={"RESTRIKE_STORE_BATCH_ROWS": "0"})
    assert len(errors) == 6, errors
    for part in ("unknown setting udp.bogus", "unknown section [nope]", "udp.port",
                 "http.port", "log.level", "store.batch_rows (environment variable"):
        assert any(part in e for e in errors), (part, errors)
    with pytest.raises(ConfigError, match=r"udp\.bogus"):  # loading still stops at the first
        load_settings(path, env={})
    result = run_cli("config", "check", path)
    assert result.exit_code == 2
    assert result.stderr.count("error: ") == 5 and f"{path}: 5 errors" in result.stderr
    assert check_settings(write(tmp_path, "[udp]\nport = 6001\n"), env={}) == []


@pytest.mark.parametrize("line", ['data_dir = "C:\\reStrike"', 'data_dir = "D:\\tkd\\data"',
                                  'data_dir = "C:\\Users\\court"'])
def test_a_windows_path_in_double_quotes_gets_the_hint(tmp_path: Path, line: str) -> None:
    errors = check_settings(write(tmp_path, f"[station]\n{line}\n"), env={})
    assert len(errors) == 1
    assert "single quotes" in errors[0] and "C:/reStrike" in errors[0]


def test_single_quotes_and_slashes_are_fine(tmp_path: Path) -> None:
    path = write(tmp_path, "[station]\ndata_dir = 'C:\\reStrike'\n"
                           "[playback]\nmpv_path = 'C:\\Program Files\\mpv\\mpv.exe'\n")
    settings = load_settings(path, env={})
    assert str(settings.station.data_dir) == "C:\\reStrike"
    assert settings.playback.mpv_path == "C:\\Program Files\\mpv\\mpv.exe"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend in memory: the real keyring API, no desktop service."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("none")


class BrokenKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_the_environment_variable_gives_the_password(tmp_path: Path) -> None:
    assert obs_password_env("court 1") == "RESTRIKE_OBS_COURT_1_PASSWORD"
    path = write(tmp_path, OBS + 'password = "from-file"\n')
    settings = load_settings(path, env={"RESTRIKE_OBS_COURT_1_PASSWORD": "from-env"})
    assert settings.obs[0].password == "from-env"
    assert settings.sources["obs.court 1.password"] == (
        "environment variable RESTRIKE_OBS_COURT_1_PASSWORD")
    assert "from-env" not in repr(settings.obs[0]) and "from-env" not in settings.to_toml()
    assert load_settings(path, env={}).obs[0].password == "from-file"


def test_the_keyring_gives_the_password_and_the_cli_keeps_it(
        tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, OBS)
    assert load_settings(path, env={}).obs[0].password == ""
    monkeypatch.setattr("typer.prompt", lambda *a, **k: "s3cret")
    result = run_cli("config", "obs-password", "court 1")
    assert result.exit_code == 0, result.output
    assert memory_keyring.items == {(KEYRING_SERVICE, "obs/court 1"): "s3cret"}
    settings = load_settings(path, env={})
    assert settings.obs[0].password == "s3cret"
    assert settings.sources["obs.court 1.password"] == "OS keyring"
    # the file's password wins over the keyring, the environment over both
    assert load_settings(write(tmp_path, OBS + 'password = "f"\n'), env={}).obs[0].password == "f"
    assert run_cli("config", "obs-password", "court 1", "--delete").exit_code == 0
    assert memory_keyring.items == {}
    again = run_cli("config", "obs-password", "court 1", "--delete")
    assert again.exit_code == 2 and "no password" in again.stderr


def test_no_keyring_or_a_failing_one_is_no_error(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, OBS)
    previous = keyring.get_keyring()
    keyring.set_keyring(BrokenKeyring())
    try:
        assert load_settings(path, env={}).obs[0].password == ""
    finally:
        keyring.set_keyring(previous)
    monkeypatch.setitem(sys.modules, "keyring", None)  # not installed
    assert load_settings(path, env={}).obs[0].password == ""
    monkeypatch.setattr("typer.prompt", lambda *a, **k: "x")
    result = run_cli("config", "obs-password", "court 1")
    assert result.exit_code == 2 and "pip install 'restrike[keyring]'" in result.stderr


def test_config_show_names_where_the_password_came_from(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESTRIKE_OBS_COURT_1_PASSWORD", "never-shown")
    result = run_cli("config", "show", "--config", write(tmp_path, OBS), "--sources")
    assert result.exit_code == 0, result.output
    assert ('password = "********"  # environment variable RESTRIKE_OBS_COURT_1_PASSWORD'
            in result.stdout)
    assert "never-shown" not in result.stdout
