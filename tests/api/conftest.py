"""Fixtures of the API tests (shared with tests/station, in tests/station/fixtures.py)."""

from tests.station.fixtures import api, assembled, station  # noqa: F401
