"""Settings: precedence, sources, validation messages, paths, hosts, [[obs]], output."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path, PureWindowsPath

import psutil
import pytest
from hypothesis import given
from hypothesis import strategies as st

from restrike.config import (
    MASK,
    SETTINGS,
    ConfigError,
    ObsConnectionSettings,
    Settings,
    default_data_dir,
    env_name,
    load_settings,
)


def _file(tmp_path: Path, text: str, name: str = "station.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults() -> None:
    s = load_settings(env={})
    assert s.udp.port == 6000 and s.udp.host == "0.0.0.0"
    assert s.udp.receive_buffer == 8 * 1024 * 1024
    assert s.http.host == "127.0.0.1" and s.http.port == 8080 and s.http.open_browser
    assert s.station.data_dir == default_data_dir()
    assert s.review.recordings_root == default_data_dir() / "recordings"
    assert s.store.batch_rows == 500 and s.store.batch_ms == 2.0
    assert s.log.levels == {} and s.playback.extra_args == () and s.obs == ()
    assert s.playback.screen is None and s.flags.custom_dir is None
    assert s.udp.pss_address is None
    assert all(source == "default" for source in s.sources.values())
    assert set(s.sources) == {row.name for row in SETTINGS if not row.name.startswith("obs[]")}


def test_settings_are_frozen() -> None:
    s = load_settings(env={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.udp.port = 1  # type: ignore[misc]


def test_precedence_cli_over_env_over_file_over_default(tmp_path: Path) -> None:
    path = _file(tmp_path, "[udp]\nport = 6001\n[http]\nport = 9001\n")
    env = {"RESTRIKE_UDP_PORT": "6002"}
    s = load_settings(path, {"udp.port": 6003, "http.port": None}, env=env)
    assert s.udp.port == 6003 and s.http.port == 9001
    assert s.sources["udp.port"] == "command-line option --udp-port"
    assert s.sources["http.port"] == f"config file {path}"
    assert load_settings(path, env=env).udp.port == 6002
    assert load_settings(path, env=env).sources["udp.port"] == \
        "environment variable RESTRIKE_UDP_PORT"
    assert load_settings(path, env={}).udp.port == 6001


def test_config_file_from_the_environment(tmp_path: Path) -> None:
    path = _file(tmp_path, "[http]\nopen_browser = false\n")
    s = load_settings(env={"RESTRIKE_CONFIG": str(path)})
    assert s.http.open_browser is False and s.config_file == path


def test_environment_values_of_every_kind() -> None:
    env = {
        "RESTRIKE_HTTP_OPEN_BROWSER": "no",
        "RESTRIKE_PLAYBACK_FULLSCREEN": "on",
        "RESTRIKE_PLAYBACK_START_OFFSET": "7.5",
        "RESTRIKE_PLAYBACK_SCREEN": "1",
        "RESTRIKE_PLAYBACK_EXTRA_ARGS": "--volume=50 --mute=yes",
        "RESTRIKE_LOG_LEVEL": "debug",
        "RESTRIKE_LOG_LEVELS": "restrike.obs=DEBUG, restrike.store=warning",
        "RESTRIKE_OBS": '[{name = "main", url = "ws://10.0.0.2:4455", password = "s3cret"}]',
        "RESTRIKE_STATION_TOURNAMENT": "Paris Open",
        "RESTRIKE_UNRELATED": "ignored",
    }
    s = load_settings(env=env)
    assert s.http.open_browser is False and s.playback.fullscreen is True
    assert s.playback.start_offset == 7.5 and s.playback.screen == 1
    assert s.playback.extra_args == ("--volume=50", "--mute=yes")
    assert s.log.level == "DEBUG"
    assert s.log.levels == {"restrike.obs": "DEBUG", "restrike.store": "WARNING"}
    assert s.obs == (ObsConnectionSettings("main", "ws://10.0.0.2:4455", "s3cret"),)
    assert s.station.tournament == "Paris Open"
    toml_list = load_settings(env={"RESTRIKE_PLAYBACK_EXTRA_ARGS": '["--a b", "--c"]'})
    assert toml_list.playback.extra_args == ("--a b", "--c")
    assert load_settings(env={"RESTRIKE_PLAYBACK_SCREEN": ""}).playback.screen is None


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "[udp]\nprot = 6001\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    assert "udp.prot" in str(err.value) and str(path) in str(err.value)
    assert "udp.port" in str(err.value)  # the suggestion


def test_unknown_section_names_it_and_the_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "[upd]\nport = 6001\n")
    with pytest.raises(ConfigError, match=r"\[upd\]") as err:
        load_settings(path, env={})
    assert str(path) in str(err.value)


def test_unknown_cli_key() -> None:
    with pytest.raises(ConfigError, match=r"udp\.bogus"):
        load_settings(None, {"udp.bogus": 1}, env={})


@pytest.mark.parametrize("text, setting", [
    ('[udp]\nport = "6000"\n', "udp.port"),
    ("[udp]\nport = 70000\n", "udp.port"),
    ("[udp]\nport = true\n", "udp.port"),
    ('[http]\nopen_browser = "yes"\n', "http.open_browser"),
    ('[log]\nlevel = "LOUD"\n', "log.level"),
    ('[log]\nlevels = {"restrike.obs" = "LOUD"}\n', "log.levels.restrike.obs"),
    ("[store]\nbatch_ms = 0\n", "store.batch_ms"),
    ("[playback]\nextra_args = [1, 2]\n", "playback.extra_args"),
    ("[station]\ndata_dir = 5\n", "station.data_dir"),
    ('[udp]\npss_host = "10.0.0.1:99999"\n', "udp.pss_host"),
    ('[[obs]]\nname = "a"\nrole = "director"\n', "obs[0].role"),
    ('[[obs]]\nname = "a"\nurl = "http://x"\n', "obs[0].url"),
    ('[[obs]]\nname = "a"\nport = 4455\n', "obs[0].port"),
    ('[[obs]]\nurl = "ws://x"\n', "obs[0].name"),
    ('[[obs]]\nname = "a"\n[[obs]]\nname = "a"\n', "obs[1].name"),
])
def test_bad_file_values_name_the_setting_and_the_file(tmp_path: Path, text: str,
                                                       setting: str) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    assert setting in str(err.value) and str(path) in str(err.value)


def test_bad_env_value_names_setting_and_variable() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env={"RESTRIKE_UDP_PORT": "sixty"})
    message = str(err.value)
    assert "udp.port" in message and "RESTRIKE_UDP_PORT" in message and "sixty" in message


def test_bad_cli_value_names_setting_and_flag() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(None, {"http.port": 0}, env={})
    assert "http.port" in str(err.value) and "--http-port" in str(err.value)


def test_a_secret_is_never_shown_in_errors() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env={"RESTRIKE_OBS": '[{name = "a", password = 12345}]'})
    assert "12345" not in str(err.value) and "obs[0].password" in str(err.value)


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "[udp\nport = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML") as err:
        load_settings(path, env={})
    assert str(path) in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", env={})


def test_relative_paths_follow_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    path = _file(folder, '[station]\ndata_dir = "data"\n[flags]\ncustom_dir = "../flags"\n')
    s = load_settings(path, env={})
    assert s.station.data_dir == folder / "data"
    assert s.review.recordings_root == folder / "data" / "recordings"
    assert s.flags.custom_dir == tmp_path / "flags"
    monkeypatch.chdir(tmp_path)
    from_env = load_settings(path, env={"RESTRIKE_STATION_DATA_DIR": "elsewhere"})
    assert from_env.station.data_dir == tmp_path / "elsewhere"


@pytest.mark.parametrize("windows_path", [
    r"C:\restrike\data",
    r"D:\Tournaments\Paris 2026\clips",
    r"\\court-pc\share\restrike",
    "C:/restrike/data",
])
def test_windows_paths_are_kept_as_absolute(tmp_path: Path, windows_path: str) -> None:
    path = _file(tmp_path, f"[station]\ndata_dir = '{windows_path}'\n"
                           f"[review]\nrecordings_root = '{windows_path}'\n")
    s = load_settings(path, env={})
    assert str(s.station.data_dir) == str(Path(windows_path))
    assert str(tmp_path) not in str(s.review.recordings_root)
    assert PureWindowsPath(str(s.review.recordings_root)) == PureWindowsPath(windows_path)
    again = load_settings(env={"RESTRIKE_STATION_DATA_DIR": windows_path})
    assert str(again.station.data_dir) == str(Path(windows_path))


def test_udp_host_accepts_an_interface_name() -> None:
    name, address = next(
        (n, a.address) for n, addrs in psutil.net_if_addrs().items() for a in addrs
        if a.family == socket.AF_INET)
    s = load_settings(env={"RESTRIKE_UDP_HOST": name})
    assert s.udp.host == address
    assert load_settings(env={"RESTRIKE_UDP_HOST": "192.168.1.20"}).udp.host == "192.168.1.20"
    with pytest.raises(ConfigError, match=r"udp\.host.*RESTRIKE_UDP_HOST.*interfaces"):
        load_settings(env={"RESTRIKE_UDP_HOST": "no-such-interface0"})


def test_pss_address() -> None:
    assert load_settings(env={"RESTRIKE_UDP_PSS_HOST": "10.0.0.5:6100"}).udp.pss_address == \
        ("10.0.0.5", 6100)
    s = load_settings(env={"RESTRIKE_UDP_PSS_HOST": "10.0.0.5", "RESTRIKE_UDP_PSS_PORT": "7000"})
    assert s.udp.pss_address == ("10.0.0.5", 7000)


def test_obs_array_of_tables(tmp_path: Path) -> None:
    path = _file(tmp_path, '[[obs]]\nname = "rec"\nurl = "ws://127.0.0.1:4455"\n'
                           'password = "pw"\nrole = "recording"\n'
                           '[[obs]]\nname = "stream"\nurl = "wss://obs.example:443"\n'
                           'role = "streaming"\nprotocol = "v4"\n')
    s = load_settings(path, env={})
    assert [o.name for o in s.obs] == ["rec", "stream"]
    assert s.obs[0].password == "pw" and s.obs[1].password == ""
    assert s.obs[1].protocol == "v4" and s.obs[1].role == "streaming"
    assert [f.name for f in dataclasses.fields(ObsConnectionSettings)] == \
        ["name", "url", "password", "role", "protocol", "angle_name"]
    assert "pw" not in repr(s.obs[0])


def test_a_camera_angle_name_is_unique_among_the_cameras(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[obs]]\nname = "rec"\nrole = "recording"\n'
                    '[[obs]]\nname = "cam2"\nrole = "angle"\nangle_name = "Corner"\n'
                    '[[obs]]\nname = "Corner"\nrole = "streaming"\n', encoding="utf-8")
    assert [o.angle_name for o in load_settings(path, env={}).obs] == ["", "Corner", ""]
    path.write_text('[[obs]]\nname = "rec"\nrole = "recording"\n'
                    '[[obs]]\nname = "cam2"\nrole = "angle"\nangle_name = "rec"\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"obs\[1\]\.angle_name .*'rec' is used twice"):
        load_settings(path, env={})


def test_secrets_are_masked_in_show_and_describe(tmp_path: Path) -> None:
    s = load_settings(None, {"obs": [{"name": "a", "password": "hunter2"}]}, env={})
    assert "hunter2" not in s.to_toml() and MASK in s.to_toml()
    described = s.describe()
    assert "hunter2" not in repr(described)
    assert described["settings"]["udp"]["port"] == 6000
    assert described["sources"]["obs"] == "command line"  # set by code: `obs` has no flag
    assert s.as_dict()["obs"][0]["password"] == MASK


def test_show_output_reads_back_to_the_same_settings(tmp_path: Path) -> None:
    original = load_settings(None, {
        "udp.port": 6100, "log.levels": {"restrike.obs": "DEBUG"},
        "playback.extra_args": ["--volume=10", 'quote"d'], "playback.screen": 2,
        "station.data_dir": str(tmp_path / "d"), "review.ivr_scene": "Ré-vision ✓",
        "obs": [{"name": "a", "url": "ws://h:1", "role": "recording"}],
    }, env={})
    path = _file(tmp_path, original.to_toml(sources=True), "shown.toml")
    again = load_settings(path, env={})
    for row in SETTINGS:
        if not row.name.startswith("obs"):
            assert again.get(row.name) == original.get(row.name), row.name
    assert again.obs == original.obs


@given(st.integers(min_value=-10, max_value=70_000))
def test_port_range_from_text(port: int) -> None:
    env = {"RESTRIKE_HTTP_PORT": str(port)}
    if 1 <= port <= 65535:
        assert load_settings(env=env).http.port == port
    else:
        with pytest.raises(ConfigError, match="between 1 and 65535"):
            load_settings(env=env)


def test_env_names() -> None:
    assert env_name("udp.port") == "RESTRIKE_UDP_PORT"
    assert env_name("playback.start_offset") == "RESTRIKE_PLAYBACK_START_OFFSET"
    names = [row.env for row in SETTINGS if not row.name.startswith("obs[]")]
    assert len(names) == len(set(names))


def test_settings_object_default_constructible() -> None:
    assert Settings().udp.port == 6000
