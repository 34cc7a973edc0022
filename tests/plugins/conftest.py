"""Fixtures of the plugin tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugins.distributions import SitePackages, installed, plugin_station  # noqa: F401


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SitePackages]:
    """An empty folder of distributions on ``sys.path`` for this test."""
    packages = SitePackages(tmp_path / "site")
    monkeypatch.syspath_prepend(str(packages.root))
    try:
        yield packages
    finally:
        packages.forget_modules()
