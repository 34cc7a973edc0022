"""Suite-wide guards: a test must not leave threads running behind it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

# Threads owned by libraries for the whole process, not by a test.
_LONG_LIVED_PREFIXES = ("asyncio_", "ThreadPoolExecutor", "Dummy-", "pydevd", "hypothesis")


def _foreign_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    return [t for t in threading.enumerate()
            if t not in before and t.is_alive() and not t.name.startswith(_LONG_LIVED_PREFIXES)]


@pytest.fixture(autouse=True)
def no_leaked_threads(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves a thread of its own running (give it 2 s to finish)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    leaked = _foreign_threads(before)
    while leaked and time.monotonic() < deadline:
        time.sleep(0.02)
        leaked = _foreign_threads(before)
    if leaked and "session" not in {f.scope for f in _active_fixture_defs(request)}:
        pytest.fail(f"test leaked threads: {[t.name for t in leaked]}", pytrace=False)


def _active_fixture_defs(request: pytest.FixtureRequest) -> list[pytest.FixtureDef[object]]:
    names = request.fixturenames
    defs: list[pytest.FixtureDef[object]] = []
    for name in names:
        try:
            fixture_defs = request._fixturemanager.getfixturedefs(name, request.node)
        except Exception:  # pragma: no cover - pytest internals vary between versions
            continue
        defs.extend(fixture_defs or ())
    return defs
