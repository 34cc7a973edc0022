"""The station's side of the hub: its settings as the issue names them (``restrike run
--hub URL``, the hub plugin's ``hub.url``; ``RESTRIKE_COURT``, ``station.court``, under
its own name too; a real station started with ``--hub`` is in
tests/hub/test_refusals.py), and the open review's clock in what the link uploads."""

from __future__ import annotations

from typer.testing import CliRunner

from restrike.cli import app
from restrike.config import load_settings
from restrike.hub.link import review_now


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


def test_an_open_reviews_clock_runs_on_between_its_broadcasts() -> None:
    """The review publishes on changes only; each upload carries its clock as of then."""
    body = {"active": True, "review_clock_remaining": 30.0, "requested_by": "blue"}
    assert review_now(body, 4.25) == {**body, "review_clock_remaining": 25.8}
    assert review_now(body, 45.0)["review_clock_remaining"] == 0.0  # type: ignore[index]
    closed = {"active": False, "review_clock_remaining": 0.0}
    assert review_now(closed, 10.0) is closed and review_now(None, 1.0) is None
