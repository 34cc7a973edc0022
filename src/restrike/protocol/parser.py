"""Datagram bytes → typed messages, driven by the protocol definition.

Pure and total: any bytes give a list of messages and never raise. Handles what the
real sender does (see docs/protocol.md): CR LF or `;` or nothing as terminator,
several messages per datagram, glued hit levels (`hl1;50hl2;30`), datagrams cut
short after non-ASCII names, UTF-8 with a Windows-1252 fallback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from restrike.protocol.messages import Invalid, Message, Parsed, Unknown, Value
from restrike.protocol.schema import ArgSpec, MessageSpec, Schema, default_schema

__all__ = ["decode_text", "parse"]


def decode_text(data: bytes) -> tuple[str, bool]:
    """Bytes → text; the flag says a multi-byte character was cut off the end."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError as err:
        if err.reason == "unexpected end of data":
            try:
                return data[: err.start].decode("utf-8"), True
            except UnicodeDecodeError:
                pass
        return data.decode("cp1252", errors="replace"), False


def parse(data: bytes, schema: Schema | None = None) -> list[Parsed]:
    """Parse one datagram into its messages (never raises)."""
    schema = schema or default_schema()
    text, broken_char = decode_text(data)
    if "\r" in text or "\n" in text:
        lines = [line for line in text.replace("\r", "\n").split("\n") if line.strip()]
        crlf = text[-1] in "\r\n"
    else:
        lines = [text] if text.strip() else []
        crlf = False
    if not lines:
        return [Invalid(None, text, "empty datagram")]
    # The real sender sizes datagrams in characters, so non-ASCII text loses bytes at the
    # end, CR LF first. Without CR LF such a datagram may be cut (a final ';' can be a
    # documented-style terminator or where the cut fell); with nothing at all it surely is.
    may_be_cut = broken_char or (len(data) != len(text) and not crlf)
    surely_cut = broken_char or (may_be_cut and not text.endswith(";"))
    out: list[Parsed] = []
    last = len(lines) - 1
    for index, line in enumerate(lines):
        tail = index == last
        _parse_line(line.strip(), schema, out, _Cut(may_be_cut and tail, surely_cut and tail))
    return out


class _Cut(NamedTuple):
    """How the end of the current line may have been cut off by the sender."""

    maybe: bool  # missing final arguments are kept as null instead of refused
    surely: bool  # the last message is marked truncated


def _parse_line(line: str, schema: Schema, out: list[Parsed], cut: _Cut) -> None:
    """The tokens wait reversed in `rest`: taking the next one, and splitting a glued one
    (`50hl2` → `50`, `hl2`), are O(1), so the work is linear in the line's length."""
    messages = schema.messages
    tokens = line.split(";")
    if len(tokens) > 1 and tokens[-1] == "":
        tokens.pop()
    rest = tokens[::-1]
    first = True  # nothing taken from the line yet: a message of all of it keeps `line`
    while rest:
        code = rest[-1]
        spec = messages.get(code)
        if spec is None:
            taken = [rest.pop()]
            _take_until_code(rest, messages, taken)
            raw = line if (first and not rest) else ";".join(taken)
            out.append(_match_pattern(raw, schema) or Unknown(code, raw, _unknown_reason(code)))
        else:
            _parse_message(spec, rest, line if first else None, schema, out, cut)
        first = False


def _take_until_code(rest: list[str], messages: Mapping[str, MessageSpec],
                     taken: list[str]) -> None:
    """Move tokens from `rest` to `taken` up to the next known code."""
    while rest and rest[-1] not in messages:
        taken.append(rest.pop())


def _unknown_reason(code: str) -> str:
    if not code:
        return "empty message (stray ';')"
    return f"unknown code {code[:40]!r}"


def _match_pattern(raw: str, schema: Schema) -> Message | None:
    for pattern in schema.patterns:
        found = pattern.regex.match(raw)
        if found:
            fields: dict[str, Value] = dict(found.groupdict())
            return Message(pattern.kind, pattern.kind, None, fields, raw)
    return None


def _unglue(token: str, schema: Schema) -> tuple[str, str] | None:
    """`50hl2` → (`50`, `hl2`): a value with the next message's code stuck to it."""
    for size in schema.code_lengths:
        if len(token) > size and token[-size:] in schema.messages:
            return token[:-size], token[-size:]
    return None


def _parse_message(spec: MessageSpec, rest: list[str], line: str | None, schema: Schema,
                   out: list[Parsed], cut: _Cut) -> None:
    """Take the message whose code is next in `rest` (reversed tokens) and append it to
    `out`. ``line``: the whole line, when nothing was taken from it before this message.

    A glued token (`50hl2`) is split where it waits: its value is taken, the code stays.
    """
    messages = schema.messages
    args = spec.args
    nargs = len(args)
    required = spec.required
    values: dict[str, Value] = dict(spec.constants) if spec.constants else {}
    taken = [rest.pop()]
    k = 0
    error = ""
    while k < nargs and rest:
        token = rest[-1]
        arg = args[k]
        glued: tuple[str, str] | None = None
        if k >= required and (token in messages or not token):
            if token:
                break  # optional argument absent: the next message starts here
            value: Value = None
        else:
            try:
                value = arg.convert(token)
            except ValueError as err:
                glued = _unglue(token, schema)
                if glued is not None:
                    try:
                        value = arg.convert(glued[0])
                    except ValueError:
                        glued = None
                if glued is None:
                    if token in messages:
                        break  # required argument missing; this token is the next message
                    error = f"argument {arg.name!r}: {err}"
                    taken.append(rest.pop())
                    break
        if arg.literal is None:
            values[arg.name] = value
        k += 1
        if glued is None:
            taken.append(rest.pop())
        else:
            taken.append(glued[0])
            rest[-1] = glued[1]

    if error:
        _take_until_code(rest, messages, taken)
        out.append(Invalid(spec.code, _raw(taken, rest, line), error, spec.athlete))
        return
    if k < required:
        missing = args[k].name
        if not (cut.maybe and not rest):
            out.append(Invalid(spec.code, _raw(taken, rest, line),
                               f"missing argument {missing!r}", spec.athlete))
            return
        truncated = True
    else:
        truncated = cut.surely and not rest
        if rest and rest[-1] not in messages:
            start = len(taken)
            _take_until_code(rest, messages, taken)
            extra = ";".join(taken[start:])
            out.append(Invalid(spec.code, _raw(taken, rest, line),
                               f"too many arguments (at most {nargs}): unexpected {extra[:60]!r}",
                               spec.athlete))
            return
    # Without a final ';' (or with half a character) the last value that arrived may be
    # only the start of what was sent.
    partial = (_last_value(args[:k], values) if truncated and cut.surely and not rest
               else None)
    while k < nargs:
        if args[k].literal is None:
            values[args[k].name] = None
        k += 1
    out.append(Message(spec.code, spec.kind, spec.athlete, values, _raw(taken, rest, line),
                       truncated, partial))


def _last_value(args: Sequence[ArgSpec], values: Mapping[str, Value]) -> str | None:
    """The name of the last argument that got a value."""
    for arg in reversed(args):
        if arg.literal is None and values.get(arg.name) not in (None, ""):
            return arg.name
    return None


def _raw(taken: list[str], rest: list[str], line: str | None) -> str:
    """The message's text: all of `line` (without its final ';') when it took the whole
    line, else its tokens joined."""
    if line is not None and not rest:
        return line[:-1] if line.endswith(";") else line
    return ";".join(taken)
