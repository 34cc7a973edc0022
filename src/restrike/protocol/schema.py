"""The protocol definition file: its model and its loader.

The file is the single source of truth for codes, argument types and meanings; the
parser, the encoder, the simulator and the docs all read it. A broken file is
refused with its line number (ProtocolError), never half-loaded; so is one that asks
for absurd ranges or lengths (the limits are in `_argtypes`), since every value the
station keeps is bounded by this file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from restrike.errors import ProtocolError
from restrike.protocol._argtypes import (
    CLOCK_MAX,
    INT_LIMIT,
    TEXT_DEFAULT,
    TEXT_LIMIT,
    TYPES,
    bounded_int,
    format_clock,
    is_int,
    parse_clock,
    show,
)
from restrike.protocol.messages import Value

__all__ = [
    "CLOCK_MAX",
    "INT_LIMIT",
    "TEXT_DEFAULT",
    "TEXT_LIMIT",
    "ArgSpec",
    "MessageSpec",
    "PatternSpec",
    "Schema",
    "default_schema",
    "format_clock",
    "load_schema",
    "parse_clock",
    "parse_schema",
]

DEFAULT_FILE = "wt-udp-2.3.wtp"
_CODE = re.compile(r"^[a-z][a-z0-9]{1,7}$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class ArgSpec:
    """One argument of a message: how to read it, write it and explain it."""

    name: str
    type: str
    optional: bool
    meaning: str
    convert: Callable[[str], Value] = field(repr=False, compare=False)
    format: Callable[[Value], str] = field(repr=False, compare=False)
    suffix: str = ""
    low: int | None = None
    high: int | None = None
    labels: Mapping[int, str] | None = None
    words: tuple[str, ...] | None = None
    literal: str | None = None
    max_length: int | None = None  # text: the longest value accepted

    @property
    def stored(self) -> bool:
        """Literal labels (`rd1`) are structure, not data."""
        return self.literal is None

    def describe(self) -> str:
        if self.labels:
            return "one of " + ", ".join(f"{k} ({v})" for k, v in self.labels.items())
        if self.words:
            return "one of " + "|".join(self.words)
        if self.literal:
            return f"the token {self.literal}"
        if self.low is not None:
            return f"{self.type} {self.low}..{self.high}"
        if self.max_length is not None:
            return f"{self.type}, at most {self.max_length} characters"
        if self.type == "clock":
            return f"clock, at most {format_clock(CLOCK_MAX)}"
        return self.type


@dataclass(frozen=True, slots=True)
class MessageSpec:
    code: str
    kind: str
    athlete: int | None
    constants: Mapping[str, Value]
    args: tuple[ArgSpec, ...]
    meaning: str
    line: int
    required: int  # how many leading arguments are required


@dataclass(frozen=True, slots=True)
class PatternSpec:
    kind: str
    regex: re.Pattern[str]
    meaning: str


@dataclass(frozen=True, slots=True)
class Schema:
    """A loaded protocol definition."""

    name: str
    version: str
    source: str
    messages: Mapping[str, MessageSpec]
    groups: Mapping[str, int]  # code → group number (codes sent together)
    patterns: tuple[PatternSpec, ...]
    requests: Mapping[str, tuple[str, ...]]  # pull request text → codes it re-sends
    code_lengths: frozenset[int]
    #: The definition's text: what the receiver process parses with (it cannot be sent
    #: the loaded form, whose converters are functions).
    text: str = ""

    def spec(self, code: str) -> MessageSpec | None:
        return self.messages.get(code)


def _with_suffix(convert: Callable[[str], Value], suffix: str) -> Callable[[str], Value]:
    def strip(token: str) -> Value:
        if token.endswith(suffix):
            token = token[: -len(suffix)]
        return convert(token)

    return strip


# --- the loader ------------------------------------------------------------------------


def _split_meaning(text: str) -> tuple[str, str]:
    head, _sep, meaning = text.partition(" -- ")
    if not _sep and text.rstrip().endswith(" --"):
        head = text.rstrip()[:-3]
    return head.strip(), meaning.strip()


def _parse_arg(text: str, line: int, path: str) -> ArgSpec:
    head, meaning = _split_meaning(text)
    words = head.split()
    if len(words) < 2:
        raise ProtocolError("an argument needs a name and a type", path=path, line=line)
    name, type_name, *rest = words
    if not _NAME.match(name):
        raise ProtocolError(f"bad argument name {show(name)}", path=path, line=line)
    if type_name not in TYPES:
        raise ProtocolError(
            f"argument {name!r}: unknown type {show(type_name)} (known: {', '.join(TYPES)})",
            path=path, line=line)
    optional = "optional" in rest
    suffix = ""
    params = []
    for word in rest:
        if word == "optional":
            continue
        if word.startswith("suffix="):
            suffix = word[len("suffix="):]
            if not suffix:
                raise ProtocolError(f"argument {name!r}: empty suffix", path=path, line=line)
        else:
            params.append(word)
    built = TYPES[type_name](name, params, line, path)
    convert = built.pop("convert")
    if suffix:
        convert = _with_suffix(convert, suffix)  # type: ignore[arg-type]
    return ArgSpec(name=name, type=type_name, optional=optional, meaning=meaning,
                   convert=convert, suffix=suffix, **built)  # type: ignore[arg-type]


def _parse_constant(word: str, line: int, path: str) -> tuple[str, Value]:
    key, sep, value = word.partition("=")
    if not sep or not _NAME.match(key) or not value:
        raise ProtocolError(f"expected name=value, got {show(word)}", path=path, line=line)
    if not is_int(value):
        return key, value
    number = bounded_int(value)
    if not -INT_LIMIT <= number <= INT_LIMIT:
        raise ProtocolError(f"constant {key!r}: {show(value)} goes beyond the limit "
                            f"-{INT_LIMIT}..{INT_LIMIT}", path=path, line=line)
    return key, number


@dataclass
class _Draft:
    code: str
    kind: str
    athlete: int | None
    constants: dict[str, Value]
    meaning: str
    line: int
    args: list[ArgSpec] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def finish(self, path: str) -> MessageSpec:
        required = 0
        seen: set[str] = set(self.constants)
        for position, (line, arg) in enumerate(zip(self.lines, self.args, strict=True)):
            if arg.stored and arg.name in seen:
                raise ProtocolError(f"message {self.code}: argument name {arg.name!r} is used "
                                    "twice", path=path, line=line)
            seen.add(arg.name)
            if arg.optional:
                continue
            if required != position:
                raise ProtocolError(
                    f"message {self.code}: required argument {arg.name!r} after an optional one",
                    path=path, line=line)
            required += 1
        return MessageSpec(self.code, self.kind, self.athlete, dict(self.constants),
                           tuple(self.args), self.meaning, self.line, required)


def parse_schema(text: str, source: str = "<protocol>") -> Schema:
    """Build a Schema from the file's text; ProtocolError names the line of any fault."""
    name = version = ""
    messages: dict[str, MessageSpec] = {}
    groups: dict[str, int] = {}
    patterns: list[PatternSpec] = []
    requests: dict[str, tuple[str, ...]] = {}
    pending_groups: list[tuple[int, list[str]]] = []
    pending_requests: list[tuple[int, str, list[str]]] = []
    draft: _Draft | None = None

    def close() -> None:
        nonlocal draft
        if draft is not None:
            messages[draft.code] = draft.finish(source)
            draft = None

    for number, raw_line in enumerate(text.splitlines(), start=1):
        stripped = raw_line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if raw_line[:1] in (" ", "\t"):
            if draft is None:
                raise ProtocolError("an indented argument line must follow a message line",
                                    path=source, line=number)
            draft.args.append(_parse_arg(stripped, number, source))
            draft.lines.append(number)
            continue
        close()
        directive, _sep, rest = stripped.partition(" ")
        if directive == "protocol":
            parts = rest.split()
            if len(parts) != 2:
                raise ProtocolError("expected: protocol <name> <version>", path=source,
                                    line=number)
            name, version = parts
        elif directive == "message":
            head, meaning = _split_meaning(rest)
            words = head.split()
            if len(words) < 2:
                raise ProtocolError("expected: message <code> <kind> [name=value ...] -- meaning",
                                    path=source, line=number)
            code, kind, *extra = words
            if not _CODE.match(code):
                raise ProtocolError(f"bad code {code!r} (2-8 lowercase letters and digits)",
                                    path=source, line=number)
            if code in messages:
                raise ProtocolError(f"code {code!r} is defined twice (first on line "
                                    f"{messages[code].line})", path=source, line=number)
            if not _NAME.match(kind):
                raise ProtocolError(f"bad kind {kind!r}", path=source, line=number)
            constants = dict(_parse_constant(w, number, source) for w in extra)
            athlete = constants.pop("athlete", None)
            if athlete is not None and (not isinstance(athlete, int) or athlete not in (0, 1, 2)):
                raise ProtocolError(f"athlete must be 0, 1 or 2, got {athlete!r}",
                                    path=source, line=number)
            draft = _Draft(code, kind, athlete, constants, meaning, number)
        elif directive == "group":
            pending_groups.append((number, _split_meaning(rest)[0].split()))
        elif directive == "pattern":
            head, meaning = _split_meaning(rest)
            kind, _sep, quoted = head.partition(" ")
            quoted = quoted.strip()
            if not _NAME.match(kind) or len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
                raise ProtocolError('expected: pattern <kind> "<regex>"', path=source,
                                    line=number)
            try:
                regex = re.compile(quoted[1:-1])
            except re.error as err:
                raise ProtocolError(f"bad regex: {err}", path=source, line=number) from err
            patterns.append(PatternSpec(kind, regex, meaning))
        elif directive == "request":
            words = _split_meaning(rest)[0].split()
            if len(words) < 2:
                raise ProtocolError("expected: request <text> <code> ...", path=source,
                                    line=number)
            pending_requests.append((number, words[0], words[1:]))
        else:
            raise ProtocolError(
                f"unknown line {directive!r} (expected protocol, message, group, pattern, "
                "request, an indented argument or a # comment)", path=source, line=number)
    close()

    if not name:
        raise ProtocolError("missing the 'protocol <name> <version>' line", path=source)
    if not messages:
        raise ProtocolError("the file defines no message", path=source)
    for number, codes in pending_groups:
        for code in codes:
            if code not in messages:
                raise ProtocolError(f"group names unknown code {code!r}", path=source,
                                    line=number)
            if code in groups:
                raise ProtocolError(f"code {code!r} is in two groups", path=source, line=number)
            groups[code] = number
    for number, request, codes in pending_requests:
        for code in codes:
            if code not in messages:
                raise ProtocolError(f"request {request!r} names unknown code {code!r}",
                                    path=source, line=number)
        requests[request] = tuple(codes)

    return Schema(name, version, source, messages, groups, tuple(patterns), requests,
                  frozenset(len(code) for code in messages), text)


def load_schema(path: str | Path | None = None) -> Schema:
    """Load the shipped definition, or an edited copy from `path`."""
    if path is None:
        return default_schema()
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ProtocolError(f"cannot read the protocol file: {err}", path=str(file)) from err
    return parse_schema(text, str(file))


_default: Schema | None = None


def default_schema() -> Schema:
    """The definition shipped in the package (loaded once)."""
    global _default
    if _default is None:
        text = resources.files("restrike.protocol").joinpath(DEFAULT_FILE).read_text("utf-8")
        _default = parse_schema(text, DEFAULT_FILE)
    return _default
