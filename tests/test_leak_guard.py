"""The suite's leak guard (tests/conftest.py) itself: a pytest run of tests that leak a
socket or a task fails exactly those, and not what fixtures hold and close."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

INNER = '''
import asyncio
import socket

import pytest

HELD = []  # keeps the leaked objects alive: a leak is not a garbage-collection warning


@pytest.fixture(scope="session")
def session_socket():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        yield sock


@pytest.fixture
async def server():
    srv = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    yield srv
    srv.close()
    await srv.wait_closed()


async def test_leaks_a_socket():
    HELD.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))


async def test_leaks_a_task():
    HELD.append(asyncio.get_running_loop().create_task(asyncio.sleep(3600), name="forgotten"))


async def test_leaks_a_listening_server():
    HELD.append(await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0))


async def test_what_fixtures_hold_and_close_is_no_leak(session_socket, server):
    reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
    writer.close()
    await writer.wait_closed()
    asyncio.get_running_loop().create_task(asyncio.sleep(0), name="ends-at-once")


def test_a_sync_test_has_no_loop_to_check(session_socket):
    pass
'''


def test_the_guard_fails_leaking_tests_only(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider",
         "-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function",
         "-q", "-rE", "test_inner.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    out = run.stdout
    failed = {line.split("::")[1].split(" ")[0] for line in out.splitlines()
              if line.startswith("ERROR ")}  # the guard fails the test at its teardown
    assert failed == {"test_leaks_a_socket", "test_leaks_a_task",
                      "test_leaks_a_listening_server"}, out
    assert "test leaked sockets ['fd " in out and ", not bound']" in out, out
    assert "test leaked tasks ['forgotten']" in out, out
    assert "test leaked sockets ['127.0.0.1:" in out and "(LISTEN)" in out, out
    assert "5 passed, 3 errors" in out, out  # each test itself passed
