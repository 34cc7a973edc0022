"""Court operations tests: real SQLite files written by the store, the CLI in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from restrike.cli import app
from restrike.store import Store
from restrike.store.component import DB_FILE
from tests.store.conftest import MATCH_1, MATCH_2, datagrams, feed


def run_cli(*args: str | Path) -> Result:
    """`restrike ARGS` in this process; the result keeps stdout and stderr apart."""
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def fill(data_dir: Path, *, start: float = 1_780_000_000.0) -> Path:
    """A data folder whose database holds two matches (the first one finished)."""
    store = Store(data_dir / DB_FILE)
    store.start()
    try:
        feed(store, datagrams(*MATCH_1) + datagrams(*MATCH_2), start=start, step=30.0)
    finally:
        store.close()
    return data_dir


@pytest.fixture
def station_dir(tmp_path: Path) -> Iterator[Path]:
    yield fill(tmp_path / "station")
