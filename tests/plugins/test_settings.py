"""A plugin's settings section: accepted for installed plugins, typed by `with_section`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from restrike.config import (
    ConfigError,
    installed_plugins,
    load_settings,
    section_rows,
    setting_field,
    settings_markdown,
)
from tests.plugins.distributions import SitePackages


@dataclass(frozen=True, slots=True)
class WindowSettings:
    window: float = setting_field(60.0, "Seconds measured over.", kind="float", min=1,
                                  max=600)
    label: str = setting_field("", "Shown above the figures.", kind="str")
    folder: Path | None = setting_field(  # noqa: RUF009 - fields with metadata
        None, "Where files go.", kind="path", optional=True)


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "station.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unknown_section_is_still_an_error(tmp_path: Path) -> None:
    path = _file(tmp_path, "[pacee]\nwindow = 5\n")
    with pytest.raises(ConfigError, match=r"unknown section \[pacee\] \(did you mean pace\?\)"):
        load_settings(path, env={}, plugin_sections=["pace"])


def test_installed_plugins_sections_are_accepted(site: SitePackages, tmp_path: Path) -> None:
    site.add("acme-pace", {"pace": "acme_pace:Pace"})
    assert "pace" in installed_plugins()
    path = _file(tmp_path, "[pace]\nwindow = 5\nanything = \"kept as given\"\n")
    settings = load_settings(path, env={})  # the installed plugins' names, looked up
    assert settings.plugin_values["pace"]["window"][0] == 5
    assert settings.plugin_values["pace"]["anything"][1].kind == "file"
    with pytest.raises(KeyError, match=r"no settings section \[pace\]"):
        settings.section("pace")  # not typed until the plugin loads


def test_file_env_and_code_values_are_typed_with_their_sources(tmp_path: Path) -> None:
    path = _file(tmp_path, "[pace]\nwindow = 5\nfolder = \"clips\"\n")
    settings = load_settings(path, cli={"pace.label": "Court 1"},
                             env={"RESTRIKE_PACE_WINDOW": "7.5"}, plugin_sections=["pace"])
    typed = settings.with_section("pace", WindowSettings)
    section = typed.section("pace")
    assert section == WindowSettings(window=7.5, label="Court 1", folder=tmp_path / "clips")
    assert typed.get("pace.window") == 7.5
    assert typed.sources["pace.window"] == "environment variable RESTRIKE_PACE_WINDOW"
    assert typed.sources["pace.folder"] == f"config file {path}"
    assert typed.sources["pace.label"] == "command line"
    assert typed.describe()["settings"]["pace"] == {"window": 7.5, "label": "Court 1",
                                                    "folder": str(tmp_path / "clips")}
    assert "[pace]\nwindow = 7.5\nlabel = \"Court 1\"" in typed.to_toml()


@pytest.mark.parametrize(("text", "env", "message"), [
    ("[pace]\nwindow = 0.5\n", {}, r"pace\.window \(config file .*station\.toml\): must be a "
                                   r"number between 1 and 600, not 0\.5"),
    ("", {"RESTRIKE_PACE_WINDOW": "soon"}, r"pace\.window \(environment variable "
                                           r"RESTRIKE_PACE_WINDOW\): must be a number"),
    ("[pace]\nwindw = 5\n", {}, r"station\.toml: unknown setting pace\.windw "
                                r"\(did you mean pace\.window\?\)"),
])
def test_a_wrong_value_names_the_setting_and_its_source(
        tmp_path: Path, text: str, env: dict[str, str], message: str) -> None:
    settings = load_settings(_file(tmp_path, text), env=env, plugin_sections=["pace"])
    with pytest.raises(ConfigError, match=message):
        settings.with_section("pace", WindowSettings)


def test_an_unknown_environment_variable_is_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(None, env={"RESTRIKE_PACE_WINDOWS": "5"},
                             plugin_sections=["pace"])
    with caplog.at_level(logging.WARNING, logger="restrike.config"):
        typed = settings.with_section("pace", WindowSettings)
    assert typed.section("pace") == WindowSettings()
    assert "ignoring environment variable RESTRIKE_PACE_WINDOWS" in caplog.text


def test_environment_prefixes_go_to_the_longest_plugin_name() -> None:
    settings = load_settings(None, env={"RESTRIKE_PACE_X_LABEL": "a",
                                        "RESTRIKE_PACE_LABEL": "b"},
                             plugin_sections=["pace", "pace_x"])
    assert settings.plugin_values["pace_x"]["label"][0] == "a"
    assert settings.plugin_values["pace"]["label"][0] == "b"


def test_plugins_disabled_is_a_setting(tmp_path: Path) -> None:
    path = _file(tmp_path, "[plugins]\ndisabled = [\"pace\"]\n[pace]\nwhatever = 1\n")
    assert load_settings(path, env={}, plugin_sections=["pace"]).plugins.disabled == ("pace",)
    env = {"RESTRIKE_PLUGINS_DISABLED": "pace analytics"}
    assert load_settings(None, env=env).plugins.disabled == ("pace", "analytics")


def test_section_rows_need_a_frozen_dataclass_declared_with_setting_field() -> None:
    rows = section_rows("pace", WindowSettings)
    assert (rows[0].name, rows[0].env, rows[0].flag) == ("pace.window",
                                                          "RESTRIKE_PACE_WINDOW", None)

    @dataclass
    class Loose:
        window: float = setting_field(1.0, "x", kind="float")

    @dataclass(frozen=True)
    class Undeclared:
        window: float = 1.0

    with pytest.raises(ConfigError, match="frozen dataclass"):
        section_rows("pace", Loose)
    with pytest.raises(ConfigError, match="declare window with"):
        section_rows("pace", Undeclared)


def test_the_docs_table_of_a_plugin_section() -> None:
    text = settings_markdown(section_rows("pace", WindowSettings))
    assert text.startswith("### `[pace]`")
    assert ("| `pace.window` | float 1..600 | `60.0` | `RESTRIKE_PACE_WINDOW` | — | "
            "Seconds measured over. |") in text



def test_the_console_keeps_plugin_sections_when_it_saves(site: SitePackages,
                                                         tmp_path: Path) -> None:
    from restrike.console.settings_api import SettingsService

    site.add("acme-pace", {"pace": "acme_pace:Pace", "off": "acme_off:Off"})
    path = _file(tmp_path, '[review]\nquota = 1\n[pace]\nwindow = 30\n"odd key" = [1, 2]\n'
                           '[off]\nurl = "http://x"\n')
    answer = SettingsService(path).update({"review.quota": 2})
    assert answer["saved"] == ["review.quota"]
    settings = load_settings(path, env={})
    assert settings.review.quota == 2
    assert {k: v[0] for k, v in settings.plugin_values["pace"].items()} == {
        "window": 30, "odd key": [1, 2]}
    assert settings.plugin_values["off"]["url"][0] == "http://x"
