"""What a timeline is made of: typed messages, a few exact raw texts, timed steps.

Messages are built from the protocol definition (so the simulator can never send a
code or argument the station's parser does not know); `Raw` covers the forms the
encoder does not produce on its own (`hl1;50hl2;30`, `brk;0;stopEnd`, status lines).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from restrike.errors import SimulatorError
from restrike.protocol import Message, Schema, Style, Value, default_schema, encode

__all__ = ["Item", "Raw", "Step", "encode_items", "make"]


@dataclass(frozen=True, slots=True)
class Raw:
    """A message written exactly as the real sender writes it (no terminator).

    `documented` is the text for the documented style (defaults to `real`); `codes` are
    the protocol codes it carries, so pull requests can re-send it.
    """

    real: str
    documented: str | None = None
    codes: tuple[str, ...] = ()

    def text(self, style: Style) -> str:
        return self.real if style == "real" or self.documented is None else self.documented


Item = Message | Raw


@dataclass(frozen=True, slots=True)
class Step:
    """Messages the sender emits together, `t` seconds after the simulation started."""

    t: float
    items: tuple[Item, ...]


def make(code: str, *values: Value, schema: Schema | None = None) -> Message:
    """A message of `code` with its stored arguments given in the definition's order."""
    schema = schema or default_schema()
    spec = schema.spec(code)
    if spec is None:
        raise SimulatorError(f"the protocol definition has no code {code!r}")
    args = [a for a in spec.args if a.stored]
    if len(values) > len(args):
        raise SimulatorError(f"{code}: {len(values)} values for {len(args)} arguments")
    fields: dict[str, Value] = dict(spec.constants)
    for index, arg in enumerate(args):
        value = values[index] if index < len(values) else None
        if value is None and not arg.optional:
            raise SimulatorError(f"{code}: argument {arg.name!r} is required")
        fields[arg.name] = value
    return Message(code, spec.kind, spec.athlete, fields)


def encode_items(items: Sequence[Item] | Iterable[Item], style: Style = "real",
                 schema: Schema | None = None) -> list[bytes]:
    """Datagrams for one step: the protocol encoder for messages, `Raw` texts as they are.

    Real style sizes datagrams by characters like tkStrike (`cut_to_chars`), so names
    with non-ASCII letters arrive cut short, as at a real court.
    """
    out: list[bytes] = []
    run: list[Message] = []
    cut = style == "real"

    def flush() -> None:
        if run:
            out.extend(encode(run, style, schema, cut_to_chars=cut))
            run.clear()

    for item in items:
        if isinstance(item, Message):
            run.append(item)
            continue
        flush()
        text = item.text(style)
        if style == "real":
            out.append((text + "\r\n").encode("utf-8"))
        else:
            out.append((text if text.endswith(";") else text + ";").encode("utf-8"))
    flush()
    return out
