"""The settings page under `restrike demo`: running values, only flags that exist, no
advice the demo refuses."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from restrike.cli import app
from restrike.cli import run as run_cli
from restrike.cli.settings_options import flag_rows
from restrike.config import Settings
from restrike.console.settings_api import DEMO_SOURCE, SettingsService

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9]")


def test_demo_settings_page_names_real_flags_and_running_values(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Settings] = []

    def serve(settings: Settings, *args: Any, **kwargs: Any) -> int:
        seen.append(settings)
        return 0

    monkeypatch.setattr(run_cli, "serve", serve)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
    data = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--no-browser", "--data-dir", str(data)], env=env)
    assert result.exit_code == 0, result.output
    [settings] = seen
    page = SettingsService(None, effective=settings.describe(),
                           fallback_file=data / "restrike.toml").describe()
    rows = {row["name"]: row for row in page["settings"]}
    demo_flags = {row.flag for row in flag_rows(run_cli.DEMO_SETTINGS)}
    for name in ("udp.host", "udp.port", "udp.pss_host", "http.host", "http.port",
                 "playback.enabled"):
        assert rows[name]["source"] == DEMO_SOURCE and rows[name]["overridden"], name
    assert rows["station.data_dir"]["source"] == "command-line option --data-dir"
    assert rows["station.data_dir"]["running"] == str(data)
    named = {m for row in rows.values() for m in FLAG.findall(row["source"])}
    assert named and named <= demo_flags  # only flags `restrike demo` accepts
    assert rows["udp.port"]["flag"] == "--udp-port"
    assert rows["http.open_browser"]["flag"] == "--browser/--no-browser"
    assert rows["http.token"]["flag"] is None  # a secret has no flag
    assert "restrike demo reads no settings file" in page["note"]
    assert "restrike run --config" in page["note"]
