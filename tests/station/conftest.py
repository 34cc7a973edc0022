"""Fixtures of the station tests (defined in tests/station/fixtures.py)."""

from tests.station.fixtures import api, assembled, station  # noqa: F401
