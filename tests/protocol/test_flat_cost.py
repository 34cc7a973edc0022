"""The work per datagram stays flat as a match's challenge history grows (issue 11).

Measured without a clock, so the test cannot flake on a busy machine: the Python and C
calls made (counted by a profiler hook) and the memory allocated at the peak
(tracemalloc) while one more message goes through what the station does per message:
reduce it, read the quota before and after (the review workflow), and encode the state
(`GET /api/v1/state`, `/ws/live`). A history rescan or copy shows up in both.
"""

from __future__ import annotations

import gc
import json
import sys
import tracemalloc
from types import FrameType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from restrike.protocol import MatchState, Message, parse, reduce, state_to_json
from restrike.protocol.state import CHALLENGE_HISTORY
from restrike.review.rules import quota_exhausted, remaining_quota

pytestmark = pytest.mark.slow

CHALLENGES = [b"ch0", b"ch1", b"ch2", b"ch1;1", b"ch1;0", b"ch1;-1", b"ch2;1;1", b"ch2;1;0",
              b"ch2;-1", b"ch1;1;1", b"ch0;1", b"ch0;0"]
NEXT = [*CHALLENGES, b"clk;1:59", b"sc1;3", b"pre;FightLoaded"]


def message(data: bytes) -> Message:
    (msg,) = parse(data)
    assert isinstance(msg, Message)
    return msg


def history(pattern: list[bytes], length: int) -> MatchState:
    """A match with ``length`` challenge messages: ``pattern`` over and over."""
    msgs = [message(d) for d in pattern]
    state = MatchState()
    for i in range(length):
        state = reduce(state, msgs[i % len(msgs)], 1.0)
    return state


def cost(state: MatchState, msg: Message) -> tuple[int, int]:
    """(calls, peak bytes allocated) to handle one more message on ``state``."""
    calls = 0

    def count(_frame: FrameType, event: str, _arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    gc.collect()  # no collection (and no finaliser of earlier garbage) inside the measure
    gc.disable()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        sys.setprofile(count)
        try:
            quota_exhausted(state, msg.athlete, 1)
            new = reduce(state, msg, 2.0)
            remaining_quota(new, 1)
            json.dumps(state_to_json(new))
        finally:
            sys.setprofile(None)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
        gc.enable()
    return calls, peak


@settings(max_examples=12, deadline=None)
@given(pattern=st.lists(st.sampled_from(CHALLENGES), min_size=1, max_size=6),
       many=st.integers(9_000, 11_000), last=st.sampled_from(NEXT))
def test_cost_per_message_does_not_grow_with_the_history(pattern: list[bytes], many: int,
                                                          last: bytes) -> None:
    msg = message(last)
    few_calls, few_peak = cost(history(pattern, 10), msg)
    # Past the cap, the history the state keeps is the same, however long the match was
    # (the reference ends at the same point of the pattern).
    ref_length = 2 * CHALLENGE_HISTORY * len(pattern) + many % len(pattern)
    ref_calls, ref_peak = cost(history(pattern, ref_length), msg)
    many_calls, many_peak = cost(history(pattern, many), msg)
    assert many_calls <= ref_calls + 8, (many_calls, ref_calls)
    assert many_peak <= ref_peak + 1024, (many_peak, ref_peak)
    # And against 10 challenges: more entries kept (at most the cap), never thousands.
    assert many_calls <= 10 * few_calls, (many_calls, few_calls)
    assert many_peak <= 10 * few_peak + 64 * 1024, (many_peak, few_peak)


def test_the_measure_sees_a_growing_history() -> None:
    """A state that kept every challenge (as before the cap) costs far more by this measure."""
    state = history([b"ch1"], 10)
    uncapped = state._replace(challenges=state.challenges * 100)
    msg = message(b"clk;1:59")
    calls, peak = cost(state, msg)
    big_calls, big_peak = cost(uncapped, msg)
    assert big_calls > 20 * calls and big_peak > 20 * peak, (calls, big_calls, peak, big_peak)
