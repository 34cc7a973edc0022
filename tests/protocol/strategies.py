"""Hypothesis strategies that build valid messages from the protocol definition itself."""

from __future__ import annotations

from hypothesis import strategies as st

from restrike.protocol import Message, Schema, default_schema
from restrike.protocol.messages import Value
from restrike.protocol.schema import ArgSpec, MessageSpec

NAME_CHARS = st.characters(
    whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters=" .-'", max_codepoint=0x17F)


def _text(schema: Schema) -> st.SearchStrategy[str]:
    return (st.text(NAME_CHARS, min_size=1, max_size=24)
            .map(str.strip)
            .filter(lambda s: bool(s) and s not in schema.messages))


def _value(arg: ArgSpec, schema: Schema) -> st.SearchStrategy[Value]:
    if arg.labels:
        return st.sampled_from(sorted(arg.labels))
    if arg.words:
        return st.sampled_from(arg.words)
    if arg.type == "int":
        low = arg.low if arg.low is not None else -10**6
        high = arg.high if arg.high is not None else 10**6
        return st.integers(low, high)
    if arg.type == "clock":
        return st.integers(0, 99 * 60 + 59)
    return _text(schema)


@st.composite
def message_of(draw: st.DrawFn, spec: MessageSpec, schema: Schema | None = None) -> Message:
    schema = schema or default_schema()
    fields: dict[str, Value] = dict(spec.constants)
    for arg in spec.args:
        if arg.literal is not None:
            continue
        value = draw(_value(arg, schema))
        fields[arg.name] = draw(st.none() | st.just(value)) if arg.optional else value
    return Message(spec.code, spec.kind, spec.athlete, fields)


def messages(schema: Schema | None = None) -> st.SearchStrategy[Message]:
    schema = schema or default_schema()
    return st.sampled_from(sorted(schema.messages)).flatmap(
        lambda code: message_of(schema.messages[code], schema))
