"""Fuzz: parse + reduce + store encoding never raise, and stay bounded (issue 11).

A few thousand cases here (each a sequence of datagrams); a long run is
``RESTRIKE_FUZZ_EXAMPLES=1000000 pytest tests/fuzz`` or, in chunks with a progress
line, ``python -m tests.fuzz 1000000`` (see tests/fuzz/__main__.py).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz.harness import cases, check_case

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("RESTRIKE_FUZZ_EXAMPLES", "1000"))


@pytest.mark.timeout(max(600, EXAMPLES // 5))  # ~35 ms a case on a busy machine
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datagrams=cases())
def test_parse_reduce_store_never_fail(datagrams: list[bytes]) -> None:
    check_case(datagrams)
