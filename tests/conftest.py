"""Suite-wide leak guard: a test must not leave threads, asyncio tasks or sockets behind.

* threads (every test): a thread the test started that still runs 2 s after its fixtures
  are torn down;
* tasks (async tests): a task created on the test's loop that is still pending once the
  test's fixtures are torn down (it is cancelled, then reported);
* sockets (async tests): a socket the test opened that is still open then.

The guard is set up before the test's own fixtures (autouse) and checks after they are
torn down, so what session and module fixtures hold is not counted; so is whatever is
closed by a fixture.

The suite also gets a user data folder of its own (``XDG_DATA_HOME``, inherited by every
station process it starts): the machine's real one — its licence trial, its default
database — is never read nor started by a test, so a run does not depend on the runs
before it.

Hypothesis runs without its per-example deadline: on a loaded 2-core CI machine an
example can take 300 ms for reasons outside the code, and a timed assertion is not a
test of behaviour (speed is the benchmarks' job).
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psutil
import pytest
from hypothesis import settings
from pytest_asyncio import is_async_test

from tests.helpers import wait_until

settings.register_profile("restrike", deadline=None)
settings.load_profile("restrike")

_USER_DATA = tempfile.mkdtemp(prefix="restrike-tests-xdg-")
os.environ["XDG_DATA_HOME"] = _USER_DATA
atexit.register(shutil.rmtree, _USER_DATA, ignore_errors=True)

# Threads owned by libraries for the whole process, not by a test.
_LONG_LIVED_PREFIXES = ("asyncio_", "ThreadPoolExecutor", "Dummy-", "pydevd", "hypothesis")
GRACE = 2.0  # s for a closing thread, task or socket to finish closing


def _foreign_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    return [t for t in threading.enumerate()
            if t not in before and t.is_alive() and not t.name.startswith(_LONG_LIVED_PREFIXES)]


@pytest.fixture(autouse=True)
def no_leaked_threads(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves a thread of its own running (give it 2 s to finish)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + GRACE
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


@pytest.fixture(autouse=True)
def no_leaked_tasks_or_sockets(request: pytest.FixtureRequest) -> None:
    """Async tests only: a sync test has no loop of its own (and sync Playwright runs
    one on this thread, where the guard's async fixture could not run)."""
    if is_async_test(request.node):
        request.getfixturevalue("_loop_leak_guard")


@pytest.fixture
async def _loop_leak_guard() -> AsyncIterator[None]:
    tasks_before = asyncio.all_tasks()
    sockets_before = open_sockets()
    yield
    me = asyncio.current_task()

    def pending() -> list[asyncio.Task[object]]:
        return [t for t in asyncio.all_tasks() - tasks_before if t is not me and not t.done()]

    leaks: list[str] = []
    try:
        await wait_until(lambda: not pending(), GRACE, "the test's tasks to end")
    except AssertionError:
        tasks = pending()
        leaks.append(f"tasks {sorted(t.get_name() for t in tasks)}")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    try:
        await wait_until(lambda: not open_sockets() - sockets_before, GRACE,
                         "the test's sockets to close")
    except AssertionError:
        leaks.append(f"sockets {describe_sockets(open_sockets() - sockets_before)}")
    if leaks:
        pytest.fail("test leaked " + " and ".join(leaks), pytrace=False)


_FD_DIR = Path("/proc/self/fd")


def open_sockets() -> set[object]:
    """The process's open sockets, each by an identity a new socket cannot share with a
    closed one (the kernel's inode on Linux; elsewhere psutil's fd and addresses)."""
    if _FD_DIR.is_dir():
        found: set[object] = set()
        for fd in os.listdir(_FD_DIR):
            try:
                target = os.readlink(_FD_DIR / fd)
            except OSError:  # closed meanwhile, or the directory's own fd
                continue
            if target.startswith("socket:"):
                found.add((int(fd), target))
        return found
    return {(c.fd, c.family, c.type, c.laddr, c.raddr)
            for c in psutil.Process().net_connections(kind="all")}


def describe_sockets(sockets: set[object]) -> list[str]:
    """Addresses of the given sockets (from ``open_sockets``), for the failure message."""
    fds = {s[0] for s in sockets if isinstance(s, tuple)}
    known = {c.fd: f"{_address(c.laddr)} -> {_address(c.raddr)} ({c.status or c.type.name})"
             for c in psutil.Process().net_connections(kind="all") if c.fd in fds}
    return [known.get(fd, f"fd {fd}, not bound") for fd in sorted(fds)]


def _address(addr: object) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        return f"{addr[0]}:{addr[1]}"
    return str(addr or "-")  # a Unix socket's path, or none
