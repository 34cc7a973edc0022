"""One real station process for the manual scoring tests (session: started once)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.station.fixtures import StationProcess


@pytest.fixture(scope="session")
def court(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StationProcess]:
    station = StationProcess(tmp_path_factory.mktemp("manual") / "data").start()
    try:
        yield station
    finally:
        station.stop()
