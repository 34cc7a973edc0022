"""docs/settings.md lists every setting; `restrike config show/check` behave."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from restrike.cli import app
from restrike.config import SETTINGS, settings_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_docs_list_every_setting() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [row.name for row in SETTINGS if f"`{row.name}`" not in text]
    assert not missing, f"docs/settings.md lacks {missing}"
    envs = [row.env for row in SETTINGS if not row.name.startswith("obs[]")]
    assert not [e for e in envs if e not in text]


def test_docs_reference_table_is_current() -> None:
    assert settings_markdown() in DOC.read_text(encoding="utf-8"), \
        "regenerate the table: python -c 'from restrike.config import settings_markdown; " \
        "print(settings_markdown())'"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in list(__import__("os").environ):
        if name.startswith("RESTRIKE_"):
            monkeypatch.delenv(name)
    return CliRunner()


def test_config_show(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[udp]\nport = 6100\n[[obs]]\nname = "a"\npassword = "pw"\n')
    result = runner.invoke(app, ["config", "show", "--config", str(path), "--sources"],
                           env={"RESTRIKE_HTTP_PORT": "9000"})
    assert result.exit_code == 0, result.output
    assert "port = 6100  # config file" in result.stdout
    assert "port = 9000  # environment variable RESTRIKE_HTTP_PORT" in result.stdout
    # The secret is masked; match the quoted value (a temp folder name may contain "pw").
    assert 'password = "********"' in result.stdout
    assert '"pw"' not in result.stdout


def test_config_check(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text("[udp]\nport = 6100\n")
    result = runner.invoke(app, ["config", "check", str(good)])
    assert result.exit_code == 0 and "ok" in result.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("[udp]\nport = 0\n")
    result = runner.invoke(app, ["config", "check", str(bad)])
    assert result.exit_code == 2
    assert "udp.port" in result.output and str(bad) in result.output
