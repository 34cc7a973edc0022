"""The argument types of the definition file: how each reads, writes and bounds a token.

Every value the parser can produce is bounded here: whole numbers by a range no wider
than ±INT_LIMIT, text by a length, clocks by CLOCK_MAX. A token outside is refused with
the reason (the parser turns it into `Invalid`), so nothing downstream ever holds a
number too big to print or a string too long to show. A definition that asks for more
is refused by the loader, with its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from restrike.errors import ProtocolError
from restrike.protocol.messages import Value

__all__ = [
    "CLOCK_MAX",
    "INT_LIMIT",
    "TEXT_DEFAULT",
    "TEXT_LIMIT",
    "TYPES",
    "bounded_int",
    "format_clock",
    "is_int",
    "parse_clock",
    "show",
]

#: No range, label or constant of a definition may go beyond ±INT_LIMIT; a bare `int` has it.
INT_LIMIT = 10**9
#: The length of a `text` argument declared without `max=`.
TEXT_DEFAULT = 256
#: The longest `max=` a definition may declare for a `text` argument.
TEXT_LIMIT = 4096
#: The longest clock (99:59): minutes have at most two digits on every scoreboard.
CLOCK_MAX = 99 * 60 + 59

# More significant digits than this are beyond every allowed value (INT_LIMIT has 10).
_DIGITS = 10
_BEYOND = 10**_DIGITS
_RANGE = re.compile(r"^(-?[0-9]+)\.\.(-?[0-9]+)$")
_LABEL = re.compile(r"^(-?[0-9]+)=([A-Za-z_][A-Za-z0-9_]*)$")
_MAX = re.compile(r"^max=([0-9]+)$")

Builder = Callable[[str, list[str], int, str], dict[str, object]]


def show(token: str) -> str:
    """A token as a reason quotes it, cut to 40 characters so that reasons stay short."""
    if len(token) <= 40:
        return repr(token)
    return f"{token[:40]!r}... ({len(token)} characters)"


def is_int(token: str) -> bool:
    return token.isascii() and (token.isdigit() or (token[:1] == "-" and token[1:].isdigit()))


def bounded_int(token: str) -> int:
    """An ASCII whole number (`is_int`) → int, without ever building a huge one.

    Past 10 significant digits a number is beyond every allowed value, so it comes back
    as ±10**10: converting it would cost time quadratic in its length, and Python refuses
    to print an int of more than 4,300 digits.
    """
    if len(token) <= _DIGITS:
        return int(token)
    negative = token[:1] == "-"
    significant = (token[1:] if negative else token).lstrip("0")
    value = int(significant) if 0 < len(significant) <= _DIGITS else (
        _BEYOND if significant else 0)
    return -value if negative else value


def parse_clock(token: str) -> int:
    """`m:ss`, `mm:ss` or `ss` → seconds, at most CLOCK_MAX. Raises ValueError with a reason."""
    minutes, sep, seconds = token.rpartition(":")
    if not (seconds.isascii() and seconds.isdigit()) or (sep and (
            not (minutes.isascii() and minutes.isdigit()) or len(seconds) != 2
            or seconds > "59")):
        raise ValueError(f"{show(token)} is not a clock (m:ss or ss)")
    total = bounded_int(minutes or "0") * 60 + bounded_int(seconds)
    if total > CLOCK_MAX:
        raise ValueError(f"{show(token)} is longer than the longest clock "
                         f"{format_clock(CLOCK_MAX)}")
    return total


def format_clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _format_plain(value: Value) -> str:
    return "" if value is None else str(value)


def _format_clock_value(value: Value) -> str:
    return "" if value is None else format_clock(int(value))


def _limit(name: str, word: str, value: int, line: int, path: str) -> int:
    if not -INT_LIMIT <= value <= INT_LIMIT:
        raise ProtocolError(f"argument {name!r}: {show(word)} goes beyond the limit "
                            f"-{INT_LIMIT}..{INT_LIMIT}", path=path, line=line)
    return value


def _int_arg(name: str, words: list[str], line: int, path: str) -> dict[str, object]:
    if not words:
        return {"convert": _convert_int(-INT_LIMIT, INT_LIMIT), "format": _format_plain,
                "low": -INT_LIMIT, "high": INT_LIMIT}
    if len(words) == 1 and (m := _RANGE.match(words[0])):
        low = _limit(name, words[0], bounded_int(m.group(1)), line, path)
        high = _limit(name, words[0], bounded_int(m.group(2)), line, path)
        if low > high:
            raise ProtocolError(f"argument {name!r}: empty range {words[0]}", path=path, line=line)
        return {"convert": _convert_int(low, high), "format": _format_plain, "low": low,
                "high": high}
    labels: dict[int, str] = {}
    for word in words:
        m = _LABEL.match(word)
        if not m:
            raise ProtocolError(
                f"argument {name!r}: expected a range like 0..100 or labels like 1=punch, "
                f"got {show(word)}", path=path, line=line)
        labels[_limit(name, word, bounded_int(m.group(1)), line, path)] = m.group(2)
    allowed = frozenset(labels)

    def convert(token: str) -> Value:
        value = bounded_int(token) if is_int(token) else None
        if value not in allowed:
            raise ValueError(f"{show(token)} is not one of {sorted(allowed)}")
        return value

    return {"convert": convert, "format": _format_plain, "labels": labels}


def _convert_int(low: int, high: int) -> Callable[[str], Value]:
    def convert(token: str) -> Value:
        if not is_int(token):
            raise ValueError(f"{show(token)} is not a whole number")
        value = bounded_int(token)
        if not low <= value <= high:
            raise ValueError(f"{show(token)} is outside {low}..{high}")
        return value

    return convert


def _text_arg(name: str, words: list[str], line: int, path: str) -> dict[str, object]:
    longest = TEXT_DEFAULT
    if words:
        m = _MAX.match(words[0]) if len(words) == 1 else None
        if m is None:
            raise ProtocolError(f"argument {name!r}: text takes only max=N (its longest "
                                f"length), got {words}", path=path, line=line)
        longest = bounded_int(m.group(1))
        if not 1 <= longest <= TEXT_LIMIT:
            raise ProtocolError(f"argument {name!r}: {show(words[0])} is outside the allowed "
                                f"1..{TEXT_LIMIT} characters", path=path, line=line)

    def convert(token: str) -> Value:
        if len(token) > longest:
            raise ValueError(f"{len(token)} characters, longer than {longest}")
        return token

    return {"convert": convert, "format": _format_plain, "max_length": longest}


def _clock_arg(name: str, words: list[str], line: int, path: str) -> dict[str, object]:
    if words:
        raise ProtocolError(f"argument {name!r}: type clock takes no values, got {words}",
                            path=path, line=line)
    return {"convert": parse_clock, "format": _format_clock_value}


def _word_arg(name: str, words: list[str], line: int, path: str) -> dict[str, object]:
    if len(words) != 1:
        raise ProtocolError(f"argument {name!r}: word needs its values as a|b|c",
                            path=path, line=line)
    choices = tuple(words[0].split("|"))
    allowed = frozenset(choices)

    def convert(token: str) -> Value:
        if token not in allowed:
            raise ValueError(f"{show(token)} is not one of {'|'.join(choices)}")
        return token

    return {"convert": convert, "format": _format_plain, "words": choices}


def _literal_arg(name: str, words: list[str], line: int, path: str) -> dict[str, object]:
    if len(words) != 1:
        raise ProtocolError(f"argument {name!r}: literal needs exactly one token",
                            path=path, line=line)
    token = words[0]

    def convert(got: str) -> Value:
        if got != token:
            raise ValueError(f"expected {token!r}, got {show(got)}")
        return None

    return {"convert": convert, "format": lambda _v: token, "literal": token}


TYPES: dict[str, Builder] = {
    "int": _int_arg,
    "text": _text_arg,
    "clock": _clock_arg,
    "word": _word_arg,
    "literal": _literal_arg,
}
