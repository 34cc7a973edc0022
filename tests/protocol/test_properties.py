"""Properties: the round trip for every message type, and no input ever raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from restrike.protocol import MatchState, default_schema, encode, parse, reduce, state_to_json
from restrike.protocol.messages import Message

from .strategies import message_of, messages

SCHEMA = default_schema()


@pytest.mark.parametrize("code", sorted(SCHEMA.messages))
@pytest.mark.parametrize("style", ["real", "documented"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_round_trip_every_code(code: str, style: str, data: st.DataObject) -> None:
    msg = data.draw(message_of(SCHEMA.messages[code]))
    datagrams = encode([msg], style)  # type: ignore[arg-type]
    assert [m for d in datagrams for m in parse(d)] == [msg]


@pytest.mark.parametrize("style", ["real", "documented"])
@settings(max_examples=300, deadline=None)
@given(batch=st.lists(messages(), min_size=1, max_size=12))
def test_round_trip_sequences_with_grouping(style: str, batch: list[Message]) -> None:
    datagrams = encode(batch, style)  # type: ignore[arg-type]
    assert [m for d in datagrams for m in parse(d)] == batch


@settings(max_examples=2000, deadline=None)
@given(data=st.binary(max_size=300))
def test_any_bytes_never_raise(data: bytes) -> None:
    state = MatchState()
    for msg in parse(data):
        assert msg.raw is not None
        state = reduce(state, msg, 0.0)
    state_to_json(state)


TOKENS = st.sampled_from([*SCHEMA.messages, "", "1", "-1", "0", "2:00", "x", "stopEnd", "BLUE",
                          "rd1", "FightLoaded", "99999999999999999999", "é", "\x00", ":"])


@settings(max_examples=2000, deadline=None)
@given(tokens=st.lists(TOKENS, max_size=30),
       seps=st.sampled_from([";", ";\r\n", "\r\n", "\n", "\r"]))
def test_token_soup_never_raises_and_keeps_every_message(tokens: list[str], seps: str) -> None:
    data = seps.join(tokens).encode()
    parsed = parse(data)
    state = MatchState()
    for msg in parsed:
        state = reduce(state, msg, 1.0)
    state_to_json(state)
    # Nothing is dropped: every token that arrived is in the raw text of some message.
    kept = [t for msg in parsed
            for t in msg.raw.replace("\r", ";").replace("\n", ";").split(";") if t.strip()]
    assert sorted(kept) == sorted(t for t in tokens if t.strip())
