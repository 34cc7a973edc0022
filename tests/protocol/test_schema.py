"""The protocol definition file: the shipped one loads, broken ones name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from restrike.errors import ProtocolError
from restrike.protocol import Message, default_schema, load_schema, parse, parse_schema

HEAD = "protocol test 1\n"


def test_shipped_definition_covers_the_reference() -> None:
    schema = default_schema()
    assert (schema.name, schema.version) == ("wt-udp", "2.3")
    for code in ("pt1", "hl2", "wg1", "ij0", "ch2", "brk", "wrd", "wmh", "win", "at1", "mch",
                 "s23", "sc1", "avt", "clk", "rnd", "pre", "rdy", "ref", "to1", "hwt", "hel",
                 "bye", "inlb", "insl", "inth"):
        assert code in schema.messages, code
    assert set(schema.requests) == {"clock", "break", "period", "scores", "gam-jeom",
                                    "informations", "athletes", "winmatch", "referees",
                                    "winperiods;"}
    assert all(spec.meaning for spec in schema.messages.values())


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("message pt1 point\n", None, "missing the 'protocol"),
    (HEAD, None, "defines no message"),
    (HEAD + "    x int\n", 2, "must follow a message line"),
    (HEAD + "message PT1 point\n", 2, "bad code 'PT1'"),
    (HEAD + "message pt1 point\nmessage pt1 point\n", 3, "defined twice (first on line 2)"),
    (HEAD + "message pt1 point\n    t number\n", 3, "unknown type 'number'"),
    (HEAD + "message pt1 point\n    t int 5..1\n", 3, "empty range"),
    (HEAD + "message pt1 point\n    t int 1=a b\n", 3, "expected a range"),
    (HEAD + "message pt1 point\n    t word\n", 3, "a|b|c"),
    (HEAD + "message pt1 point\n    t text 3\n", 3, "text takes only max=N"),
    (HEAD + "message pt1 point\n    t clock 9:59\n", 3, "clock takes no values"),
    (HEAD + "message pt1 point\n    t\n", 3, "needs a name and a type"),
    (HEAD + "message pt1 point athlete=7\n", 2, "athlete must be 0, 1 or 2"),
    (HEAD + "message pt1 point round\n", 2, "expected name=value"),
    (HEAD + "message pt1 point\n    a int optional\n    b int\n", 4, "after an optional one"),
    (HEAD + "message pt1 point\n    a int\n    a int\n", 4, "used twice"),
    (HEAD + "message s11 score round=1\n    round int\n", 3, "used twice"),
    (HEAD + "message pt1 point\ngroup pt1 zz9\n", 3, "unknown code 'zz9'"),
    (HEAD + 'message pt1 point\npattern x "(unclosed"\n', 3, "bad regex"),
    (HEAD + "message pt1 point\nrequest clock\n", 3, "request <text> <code>"),
    (HEAD + "message pt1 point\nfrobnicate\n", 3, "unknown line 'frobnicate'"),
])
def test_broken_files_name_the_line(text: str, line: int | None, problem: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_schema(text, "edited.wtp")
    assert info.value.line == line
    assert problem in str(info.value)
    assert str(info.value).startswith("edited.wtp" + (f":{line}" if line else ""))


BIG = "9" * 5000  # a number Python would refuse to print


@pytest.mark.parametrize(("text", "line", "problem"), [
    (HEAD + "message pt1 point\n    t int 0..10000000000\n", 3,
     "'0..10000000000' goes beyond the limit -1000000000..1000000000"),
    (HEAD + "message pt1 point\n    t int -1000000001..0\n", 3, "goes beyond the limit"),
    (HEAD + f"message pt1 point\n    t int 0..{BIG}\n", 3, "goes beyond the limit"),
    (HEAD + f"message pt1 point\n    t int 1=a {BIG}=b\n", 3, "goes beyond the limit"),
    (HEAD + "message pt1 point\n    t text max=100000\n", 3,
     "'max=100000' is outside the allowed 1..4096 characters"),
    (HEAD + "message pt1 point\n    t text max=0\n", 3, "outside the allowed 1..4096"),
    (HEAD + f"message pt1 point\n    t text max={BIG}\n", 3, "outside the allowed"),
    (HEAD + "message pt1 point\n    t text max=ten\n", 3, "text takes only max=N"),
    (HEAD + "\nmessage s11 score round=10000000000\n", 3,
     "constant 'round': '10000000000' goes beyond the limit"),
    (HEAD + f"message ju1 judge seat={BIG}\n", 2, "constant 'seat'"),
])
def test_absurd_ranges_and_lengths_are_refused(text: str, line: int, problem: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_schema(text, "edited.wtp")
    assert info.value.line == line
    assert problem in str(info.value)
    assert str(info.value).startswith(f"edited.wtp:{line}: ")
    assert len(str(info.value)) < 300  # a huge token is quoted cut short


def test_every_value_of_the_shipped_definition_is_bounded() -> None:
    from restrike.protocol.schema import CLOCK_MAX, INT_LIMIT, TEXT_LIMIT

    for spec in default_schema().messages.values():
        for arg in spec.args:
            if arg.type == "int" and not arg.labels:
                assert arg.low is not None and arg.high is not None, (spec.code, arg.name)
                assert -INT_LIMIT <= arg.low <= arg.high <= INT_LIMIT
            elif arg.type == "text":
                assert arg.max_length is not None and arg.max_length <= TEXT_LIMIT
    assert CLOCK_MAX == 99 * 60 + 59


def test_a_bare_int_or_text_gets_the_default_bounds() -> None:
    schema = parse_schema(HEAD + "message xyz thing\n    n int\n    t text optional\n")
    n, t = schema.messages["xyz"].args
    assert (n.low, n.high) == (-10**9, 10**9)
    assert t.max_length == 256
    assert n.describe() == "int -1000000000..1000000000"
    assert t.describe() == "text, at most 256 characters"


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="cannot read"):
        load_schema(tmp_path / "missing.wtp")
    bad = tmp_path / "latin.wtp"
    bad.write_bytes(b"protocol x 1\n# \xff\n")
    with pytest.raises(ProtocolError, match="cannot read"):
        load_schema(bad)


def test_a_new_code_needs_no_code_change() -> None:
    schema = parse_schema(HEAD + "message gpt golden_point athlete=2 round=4 -- x\n"
                          "    score int 0..9 -- points\n"
                          "    how word kick|punch optional suffix=! -- how\n")
    (msg,) = parse(b"gpt;3;kick!\r\n", schema)
    assert isinstance(msg, Message)
    assert (msg.kind, msg.athlete, msg.fields) == ("golden_point", 2,
                                                   {"round": 4, "score": 3, "how": "kick"})
