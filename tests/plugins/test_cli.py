"""`restrike <plugin> ...`: mounted from the plugin's ``cli``; a broken one is a warning."""

from __future__ import annotations

import logging

import pytest
from typer.testing import CliRunner

from restrike.cli import app
from tests.plugins.distributions import SitePackages

HELLO = '''
import typer

cli = typer.Typer(help="Greets.")


@cli.command()
def hello(name: str = "court") -> None:
    """Say hello."""
    typer.echo(f"hello {name}")


@cli.command()
def bye() -> None:
    typer.echo("bye")


class Hello:
    cli = cli
'''

#: A Typer app that cannot become a command (it has none).
UNBUILDABLE = """
import typer


class Odd:
    cli = typer.Typer()
"""


@pytest.fixture
def runner(site: SitePackages, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in list(__import__("os").environ):
        if name.startswith("RESTRIKE_"):
            monkeypatch.delenv(name)
    site.add("acme-hello", {"hello": "acme_hello:Hello", "odd": "acme_odd:Odd",
                            "broken": "acme_broken:Broken"},
             {"acme_hello.py": HELLO, "acme_odd.py": UNBUILDABLE,
              "acme_broken.py": "raise ImportError('no acme sdk')\n"})
    return CliRunner()


def test_a_plugin_command_runs(runner: CliRunner, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="restrike.cli"):
        result = runner.invoke(app, ["hello", "hello", "--name", "mat 1"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello mat 1\n"
    assert "broken" not in caplog.text  # only the plugin named is imported


def test_help_lists_plugin_commands_and_warns_about_broken_ones(
        runner: CliRunner, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="restrike.cli"):
        result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    assert "hello" in result.stdout and "Greets." in result.stdout
    commands = result.stdout.split("Commands")[1]
    assert " odd " not in commands and " broken " not in commands
    assert ("plugin broken (acme_broken:Broken) cannot be imported: ImportError: no acme "
            "sdk; `restrike broken` is unavailable") in caplog.text
    assert ("plugin odd: its command cannot be built: RuntimeError: Could not get a command "
            "for this Typer instance") in caplog.text


def test_a_built_in_command_imports_no_plugin(runner: CliRunner,
                                              caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="restrike.cli"):
        result = runner.invoke(app, ["config", "check", "--help"])
    assert result.exit_code == 0 and not caplog.text


def test_a_disabled_plugin_has_no_command(runner: CliRunner) -> None:
    result = runner.invoke(app, ["hello", "bye"], env={"RESTRIKE_PLUGINS_DISABLED": "hello"})
    assert result.exit_code == 2 and "No such command 'hello'" in result.output
