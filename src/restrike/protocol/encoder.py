"""Typed messages → datagram bytes, in the real tkStrike style or the documented one.

Real style: one datagram per message (or per group the sender batches, such as all
`sAR` scores), ended by CR LF without a final `;`. Documented style: the same groups
ended by `;`. `parse(encode(m)) == m` holds for every message the schema defines.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from restrike.protocol.messages import Message, Parsed
from restrike.protocol.schema import Schema, default_schema

__all__ = ["Style", "encode", "encode_message"]

Style = Literal["real", "documented"]


def encode_message(msg: Parsed, schema: Schema | None = None) -> str:
    """One message as `code;arg;arg` (no terminator). Non-messages keep their raw text."""
    schema = schema or default_schema()
    spec = schema.messages.get(msg.code or "") if isinstance(msg, Message) else None
    if spec is None:
        return msg.raw
    assert isinstance(msg, Message)
    parts = [spec.code]
    last_present = 0
    for arg in spec.args:
        if arg.literal is not None:
            parts.append(arg.literal)
            continue
        value = msg.fields.get(arg.name)
        if value is None:
            parts.append("")
        else:
            parts.append(arg.format(value) + arg.suffix)
            last_present = len(parts)
    return ";".join(parts[: max(last_present, 1)])


def encode(messages: Iterable[Parsed], style: Style = "real", schema: Schema | None = None,
           *, cut_to_chars: bool = False) -> list[bytes]:
    """Encode messages into datagrams, batching the codes the schema groups together.

    `cut_to_chars` reproduces tkStrike's habit of sizing a datagram by characters, so
    non-ASCII text loses as many bytes off the end as it has extra bytes.
    """
    schema = schema or default_schema()
    datagrams: list[bytes] = []
    batch: list[str] = []
    batch_group: int | None = None

    def flush() -> None:
        if not batch:
            return
        text = ";".join(batch)
        if style == "real":
            text = (text if ";" in text else text + ";") + "\r\n"
        else:
            text += ";"
        data = text.encode("utf-8")
        if cut_to_chars:
            data = data[: len(text)]
        datagrams.append(data)
        batch.clear()

    for msg in messages:
        group = schema.groups.get(msg.code or "")
        if group is None or group != batch_group:
            flush()
        batch.append(encode_message(msg, schema))
        batch_group = group
        if group is None:
            flush()
    flush()
    return datagrams
