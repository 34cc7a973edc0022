"""`restrike <command>`: a plugin's ``commands`` mounted at the top; taken names are not."""

from __future__ import annotations

import logging
import os

import pytest
from typer.testing import CliRunner

from restrike.cli import app
from tests.plugins.distributions import SitePackages

CLIPS = '''
import typer

commands = typer.Typer()


@commands.command()
def trim(seconds: float = 1.0) -> None:
    """Trim the clips."""
    typer.echo(f"trimmed {seconds:g} s")


@commands.command()
def config() -> None:
    """Taken: a built-in command's name."""
    typer.echo("never")


@commands.command()
def shared() -> None:
    typer.echo("never either")


class Clips:
    commands = commands
'''

#: One command alone (a Typer with one command is that command), and the name
#: ``shared`` that the first plugin also offers.
REELS = '''
import typer

commands = typer.Typer()


@commands.command()
def shared() -> None:
    typer.echo("never")


class Reels:
    commands = commands
'''

SINGLE = '''
import typer

commands = typer.Typer()


@commands.command()
def reel(to: str = "out.mp4") -> None:
    """Write a reel."""
    typer.echo(f"reel to {to}")


class Single:
    commands = commands
'''


@pytest.fixture
def runner(site: SitePackages, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in list(os.environ):
        if name.startswith("RESTRIKE_"):
            monkeypatch.delenv(name)
    site.add("acme-clips", {"clips": "acme_clips:Clips", "reels": "acme_reels:Reels",
                            "single": "acme_single:Single"},
             {"acme_clips.py": CLIPS, "acme_reels.py": REELS, "acme_single.py": SINGLE})
    return CliRunner()


def test_top_level_commands_run_and_taken_names_are_left_out(
        runner: CliRunner, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="restrike.cli"):
        trimmed = runner.invoke(app, ["trim", "--seconds", "2.5"])
        single = runner.invoke(app, ["reel", "--to", "a.mp4"])
        shared = runner.invoke(app, ["shared"])
        config = runner.invoke(app, ["config", "--help"])
    assert trimmed.exit_code == 0 and trimmed.stdout == "trimmed 2.5 s\n", trimmed.output
    assert single.exit_code == 0 and single.stdout == "reel to a.mp4\n", single.output
    assert shared.exit_code == 2 and "No such command 'shared'" in shared.output
    assert config.exit_code == 0 and "never" not in config.stdout  # the built-in one
    assert ("`restrike shared` of plugin clips and plugin reels is not mounted: the name "
            "is taken twice") in caplog.text


def test_help_lists_them_and_a_disabled_plugin_has_none(runner: CliRunner,
                                                         caplog: pytest.LogCaptureFixture
                                                         ) -> None:
    with caplog.at_level(logging.WARNING, logger="restrike.cli"):
        listed = runner.invoke(app, ["--help"])
    assert listed.exit_code == 0, listed.output
    commands = listed.stdout.split("Commands")[1]
    assert "trim" in commands and "Trim the clips." in commands and "reel" in commands
    assert " shared " not in commands
    assert ("`restrike config` of plugin clips is not mounted: the name is taken"
            in caplog.text)
    off = runner.invoke(app, ["trim"], env={"RESTRIKE_PLUGINS_DISABLED": "clips"})
    assert off.exit_code == 2 and "No such command 'trim'" in off.output


def test_a_bench_group_mounts_no_top_level_command(runner: CliRunner) -> None:
    done = runner.invoke(app, ["bench", "trim"])
    assert done.exit_code == 2 and "No such command 'trim'" in done.output
