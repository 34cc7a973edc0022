"""Datagram bytes → typed messages, driven by the protocol definition.

Pure and total: any bytes give a list of messages and never raise. Handles what the
real sender does (see docs/protocol.md): CR LF or `;` or nothing as terminator,
several messages per datagram, glued hit levels (`hl1;50hl2;30`), datagrams cut
short after non-ASCII names, UTF-8 with a Windows-1252 fallback.
"""

from __future__ import annotations

from typing import NamedTuple

from restrike.protocol.messages import Invalid, Message, Parsed, Unknown, Value
from restrike.protocol.schema import MessageSpec, Schema, default_schema

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
    messages = schema.messages
    tokens = line.split(";")
    if len(tokens) > 1 and tokens[-1] == "":
        tokens.pop()
    n = len(tokens)
    i = 0
    while i < n:
        code = tokens[i]
        spec = messages.get(code)
        if spec is None:
            j = i + 1
            while j < n and tokens[j] not in messages:
                j += 1
            raw = line if (i == 0 and j == n) else ";".join(tokens[i:j])
            out.append(_match_pattern(raw, schema) or Unknown(code, raw, _unknown_reason(code)))
            i = j
            continue
        i = _parse_message(spec, tokens, i, line, schema, out, cut)
        n = len(tokens)  # un-gluing may have added a token


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


def _parse_message(spec: MessageSpec, tokens: list[str], i: int, line: str, schema: Schema,
                   out: list[Parsed], cut: _Cut) -> int:
    """Consume the message starting at tokens[i], append it to `out`, return the next index.

    May split a glued token in `tokens` in place.
    """
    messages = schema.messages
    args = spec.args
    nargs = len(args)
    required = spec.required
    values: dict[str, Value] = dict(spec.constants) if spec.constants else {}
    n = len(tokens)
    j = i + 1
    k = 0
    error = ""
    while k < nargs and j < n:
        token = tokens[j]
        arg = args[k]
        if k >= required and (token in messages or not token):
            if token:
                break  # optional argument absent: the next message starts here
            value: Value = None
        else:
            try:
                value = arg.convert(token)
            except ValueError as err:
                split = _unglue(token, schema)
                if split is not None:
                    try:
                        value = arg.convert(split[0])
                    except ValueError:
                        split = None
                if split is None:
                    if token in messages:
                        break  # required argument missing; this token is the next message
                    error = f"argument {arg.name!r}: {err}"
                    j += 1
                    break
                tokens[j : j + 1] = split
                n += 1
        if arg.literal is None:
            values[arg.name] = value
        k += 1
        j += 1

    if error:
        while j < n and tokens[j] not in messages:
            j += 1
        out.append(Invalid(spec.code, _raw(tokens, i, j, line), error, spec.athlete))
        return j
    if k < required:
        missing = args[k].name
        if not (cut.maybe and j >= n):
            out.append(Invalid(spec.code, _raw(tokens, i, j, line),
                               f"missing argument {missing!r}", spec.athlete))
            return j
        truncated = True
    else:
        truncated = cut.surely and j >= n
        if j < n and tokens[j] not in messages:
            start = j
            while j < n and tokens[j] not in messages:
                j += 1
            extra = ";".join(tokens[start:j])
            out.append(Invalid(spec.code, _raw(tokens, i, j, line),
                               f"too many arguments (at most {nargs}): unexpected {extra[:60]!r}",
                               spec.athlete))
            return j
    while k < nargs:
        if args[k].literal is None:
            values[args[k].name] = None
        k += 1
    out.append(Message(spec.code, spec.kind, spec.athlete, values, _raw(tokens, i, j, line),
                       truncated))
    return j


def _raw(tokens: list[str], start: int, end: int, line: str) -> str:
    if start == 0 and end == len(tokens):
        return line[:-1] if line.endswith(";") and not tokens[-1].endswith(";") else line
    return ";".join(tokens[start:end])
