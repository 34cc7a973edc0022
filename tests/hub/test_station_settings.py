"""The station's hub settings as the issue names them: ``restrike run --hub URL`` (the
hub plugin's ``hub.url``) and ``RESTRIKE_COURT`` (``station.court``, under its own name
too). A real station started with ``--hub`` is in tests/hub/test_refusals.py."""

from __future__ import annotations

from typer.testing import CliRunner

from restrike.cli import app
from restrike.config import load_settings


def test_restrike_court_names_the_court() -> None:
    settings = load_settings(None, env={"RESTRIKE_COURT": "Court 7"})
    assert settings.station.court == "Court 7"
    assert "RESTRIKE_COURT" in settings.sources["station.court"]
    both = load_settings(None, env={"RESTRIKE_COURT": "Court 7",
                                    "RESTRIKE_STATION_COURT": "Court 8"})
    assert both.station.court == "Court 8"  # the setting's own name wins
    given = load_settings(None, env={"RESTRIKE_COURT": "Court 7"},
                          cli={"station.court": "Court 9"})
    assert given.station.court == "Court 9"


def test_run_takes_the_hub_url() -> None:
    shown = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "--hub" in shown.output and "--court" in shown.output
