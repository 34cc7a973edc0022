"""`restrike bench store` is registered (the benchmark itself is never a timed test)."""

from __future__ import annotations

from typer.testing import CliRunner

from restrike.cli import app


def test_bench_store_is_registered() -> None:
    result = CliRunner().invoke(app, ["bench", "store", "--help"])
    assert result.exit_code == 0
    assert "--latency-seconds" in result.stdout
