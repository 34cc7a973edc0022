"""Parser: every code, both styles, and the real sender's quirks."""

from __future__ import annotations

import pytest

from restrike.protocol import Invalid, Message, Unknown, default_schema, parse
from restrike.protocol.schema import parse_clock


def one(data: bytes) -> Message:
    (msg,) = parse(data)
    assert isinstance(msg, Message), msg
    return msg


# (datagram in real style, code, athlete, fields)
CASES: list[tuple[bytes, str, int | None, dict[str, object]]] = [
    (b"pt1;3", "pt1", 1, {"technique": 3}),
    (b"pt2;5", "pt2", 2, {"technique": 5}),
    (b"hl1;50", "hl1", 1, {"level": 50}),
    (b"hl2;100", "hl2", 2, {"level": 100}),
    (b"wg1;2", "wg1", 1, {"count": 2}),
    (b"wg2;0", "wg2", 2, {"count": 0}),
    (b"ij0;1:00", "ij0", 0, {"time": 60, "action": None}),
    (b"ij1;1:00;show", "ij1", 1, {"time": 60, "action": "show"}),
    (b"ij2;0:42;hide", "ij2", 2, {"time": 42, "action": "hide"}),
    (b"ch0", "ch0", 0, {"decision": None, "outcome": None}),
    (b"ch1;1", "ch1", 1, {"decision": 1, "outcome": None}),
    (b"ch2;-1", "ch2", 2, {"decision": -1, "outcome": None}),
    (b"ch1;1;0", "ch1", 1, {"decision": 1, "outcome": 0}),
    (b"brk;0:59", "brk", None, {"time": 59, "action": None}),
    (b"brk;30", "brk", None, {"time": 30, "action": None}),
    (b"brk;0;stopEnd", "brk", None, {"time": 0, "action": "stopEnd"}),
    (b"brk;0:30;corr", "brk", None, {"time": 30, "action": "corr"}),
    (b"wrd;rd1;1;rd2;2;rd3;0", "wrd", None, {"round1": 1, "round2": 2, "round3": 0}),
    (b"wmh;Nicolas DESMOND", "wmh", None, {"name": "Nicolas DESMOND", "result": None}),
    (b"wmh;N. DESMOND;12-5 PTF", "wmh", None, {"name": "N. DESMOND", "result": "12-5 PTF"}),
    (b"win;RED", "win", None, {"color": "RED"}),
    (b"s12;7", "s12", 1, {"round": 2, "score": 7}),
    (b"s23;4", "s23", 2, {"round": 3, "score": 4}),
    (b"sc2;11", "sc2", 2, {"score": 11}),
    (b"avt;0", "avt", None, {"value": 0}),
    (b"clk;1:59", "clk", None, {"time": 119, "action": None}),
    (b"clk;2:00;start", "clk", None, {"time": 120, "action": "start"}),
    (b"clk;0:00;stopEnd", "clk", None, {"time": 0, "action": "stopEnd"}),
    (b"rnd;2", "rnd", None, {"round": 2}),
    (b"pre;FightLoaded", "pre", None, {"status": "FightLoaded"}),
    (b"rdy;FightReady", "rdy", None, {"status": "FightReady"}),
    (b"to1;1:00;start", "to1", 1, {"time": 60, "action": "start"}),
    (b"to2;0:12", "to2", 2, {"time": 12, "action": None}),
    (b"hwt;3", "hwt", None, {"state": 3}),
    (b"hel", "hel", None, {}),
    (b"bye", "bye", None, {}),
    (b"inlb;3:", "inlb", None, {"name": "inlb", "value": 3}),
    (b"insl;true:", "insl", None, {"name": "insl", "value": "true"}),
    (b"inth;25:", "inth", None, {"name": "inth", "value": 25}),
    (b"ref;Ana GOMEZ;ESP", "ref", None, {"name": "Ana GOMEZ", "country": "ESP"}),
    (b"ju2;Li WEI;CHN", "ju2", None, {"seat": 2, "name": "Li WEI", "country": "CHN"}),
    (b"at2;PARK;PARK Tae-joon;KOR", "at2", 2,
     {"short_name": "PARK", "long_name": "PARK Tae-joon", "country": "KOR"}),
]


@pytest.mark.parametrize(("data", "code", "athlete", "fields"), CASES)
@pytest.mark.parametrize("style", ["real", "documented"])
def test_each_code_in_both_styles(data: bytes, code: str, athlete: int | None,
                                  fields: dict[str, object], style: str) -> None:
    wire = data + (b"\r\n" if style == "real" else b";")
    msg = one(wire)
    assert (msg.code, msg.athlete, msg.fields) == (code, athlete, fields)
    assert msg.kind == default_schema().messages[code].kind


def test_every_code_in_the_definition_has_a_case() -> None:
    assert {c for _d, c, _a, _f in CASES} | {"s11", "s21", "s13", "s22", "sc1", "at1", "mch",
                                              "ju1", "ju3"} == set(default_schema().messages)


def test_real_mch_field_order() -> None:
    msg = one(b"mch;101;Round of 16;MEN -80kg;;#0000ff;#ffffff;#ff0000;#ffffff;7781;Senior;3;"
              b"120;cntDown;20;25\r\n")
    assert msg.fields["category"] == "MEN -80kg"
    assert msg.fields["rounds_field"] is None
    assert msg.fields["match_id"] == "7781"
    assert (msg.fields["rounds"], msg.fields["round_seconds"]) == (3, 120)
    assert (msg.fields["body_level"], msg.fields["head_level"]) == ("20", "25")


def test_documented_multi_message_datagrams() -> None:
    msgs = parse(b"s11;3;s21;0;s12;0;s22;0;s13;0;s23;0;")
    assert [m.code for m in msgs] == ["s11", "s21", "s12", "s22", "s13", "s23"]
    assert [m.code for m in parse(b"wg1;1;wg2;2;")] == ["wg1", "wg2"]
    at = parse(b"at1;KIM;KIM Jun;KOR;at2;KIM;KIM Jun;KOR;")
    assert [m.fields["long_name"] for m in at if isinstance(m, Message)] == ["KIM Jun"] * 2


def test_several_crlf_messages_in_one_datagram() -> None:
    assert [m.code for m in parse(b"clk;1:59\r\npt1;3\r\nsc1;3;sc2;0\r\n")] == \
        ["clk", "pt1", "sc1", "sc2"]


def test_glued_hit_levels() -> None:
    msgs = parse(b"hl1;50hl2;30")
    assert [(m.code, m.fields) for m in msgs if isinstance(m, Message)] == \
        [("hl1", {"level": 50}), ("hl2", {"level": 30})]


def test_cut_short_after_non_ascii_keeps_what_arrived() -> None:
    full = "at1;MÜLLER;Jörg MÜLLER;GER;at2;ŞAHİN;Ayşe ŞAHİN;TUR\r\n"
    data = full.encode("utf-8")[: len(full)]  # sized in characters, as tkStrike does
    msgs = parse(data)
    assert [m.code for m in msgs] == ["at1", "at2"]
    last = msgs[-1]
    assert isinstance(last, Message) and last.truncated
    # 8 extra bytes are lost: CR LF, ";TUR", "N" and half of "İ".
    assert last.fields["long_name"] == "Ayşe ŞAH"
    assert last.fields["country"] is None
    assert msgs[0].fields["country"] == "GER"  # type: ignore[union-attr]


def test_cut_in_the_middle_of_a_character() -> None:
    data = "wmh;Jörg MÜ".encode()[:-1]  # the last byte of Ü is gone
    msg = one(data)
    assert msg.truncated and msg.fields["name"] == "Jörg M"


def test_windows_1252_fallback() -> None:
    msg = one("at1;MÜLLER;Jörg MÜLLER;GER\r\n".encode("cp1252"))
    assert msg.fields["long_name"] == "Jörg MÜLLER"


def test_status_lines() -> None:
    msg = one(b"Udp Port 6000 connected;")
    assert msg.kind == "port_status" and msg.fields == {"port": "6000", "status": "connected"}


def test_unknown_code_is_kept_and_parsing_goes_on() -> None:
    msgs = parse(b"zzz;1;2;pt1;3;")
    assert isinstance(msgs[0], Unknown) and msgs[0].raw == "zzz;1;2"
    assert isinstance(msgs[1], Message) and msgs[1].code == "pt1"


@pytest.mark.parametrize(("data", "reason"), [
    (b"pt1;9", "technique"),
    (b"pt1;x", "not one of"),
    (b"clk;1:99", "not a clock"),
    (b"hl1;101", "outside 0..100"),
    (b"win;GREEN", "BLUE|RED"),
    (b"wrd;rd1;0;rdX;0;rd3;0", "expected 'rd2'"),
    (b"pt1;3;7", "too many arguments"),
    (b"sc1", "missing argument 'score'"),
])
def test_bad_arguments_are_invalid_with_a_reason(data: bytes, reason: str) -> None:
    (msg,) = [m for m in parse(data) if not isinstance(m, Message)]
    assert isinstance(msg, Invalid)
    assert reason in msg.reason
    assert msg.raw


def test_empty_and_blank_datagrams() -> None:
    for data in (b"", b"\r\n", b"   "):
        (msg,) = parse(data)
        assert isinstance(msg, Invalid) and msg.reason == "empty datagram"


def test_clock_formats() -> None:
    assert parse_clock("2:00") == 120
    assert parse_clock("59") == 59
    assert parse_clock("10:05") == 605
    for bad in ("1:5", "1:60", "a:00", "", "1:-1", "٣"):
        with pytest.raises(ValueError):
            parse_clock(bad)


def test_cut_that_lands_right_after_a_semicolon_keeps_the_names() -> None:
    full = "at1;ERIC;Éric DUPRÉ;FRA;at2;KÖHN;Jürg KÖHN;GER\r\n"
    data = full.encode()[: len(full)]  # 5 extra bytes: CR LF and "GER" are lost
    assert data.endswith(b";"), "the cut falls right after the ';'"
    msgs = parse(data)
    assert [m.code for m in msgs] == ["at1", "at2"]
    last = msgs[-1]
    assert isinstance(last, Message)
    assert (last.fields["long_name"], last.fields["country"]) == ("Jürg KÖHN", None)
    assert last.truncated


def test_documented_style_with_non_ascii_is_not_marked_cut() -> None:
    msg = one("at1;ÉRIC;Éric DUPRÉ;FRA;".encode())
    assert not msg.truncated and msg.fields["country"] == "FRA"
