"""Datagrams cut the way tkStrike cuts them never leave a fragment in the state.

tkStrike sizes a datagram in characters and sends that many bytes of UTF-8, so each
extra byte of a non-ASCII letter costs one byte at the end: CR LF first, then the end
of the last field. A country is three letters or unknown; a name that may be cut is
flagged (`truncated`), and a whole name known before is kept.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from restrike.protocol import MatchState, parse, reduce_all, state_to_json
from restrike.protocol._cut import is_country_code


def tk(text: str) -> bytes:
    """``text`` + CR LF as tkStrike sends it: as many bytes as it has characters."""
    line = text + "\r\n"
    return line.encode("utf-8")[: len(line)]


def state_after(*datagrams: bytes, state: MatchState | None = None) -> MatchState:
    return reduce_all(((0.0, m) for d in datagrams for m in parse(d)), state)


def test_a_cut_country_code_is_unknown_not_a_fragment() -> None:
    state = state_after(tk("at1;LEE;LEE Dae-hoon;KOR;at2;MÜLLER;Jörg MÜLLER;GER"))
    blue, red = state.athletes
    assert (blue.country, blue.truncated) == ("KOR", False)
    # 3 extra bytes (Ü, ö, Ü): CR LF and the "R" of GER are lost.
    assert red.country == "" and red.long_name == "Jörg MÜLLER" and not red.truncated
    json = state_to_json(state)["athletes"][1]
    assert json["country"] == "" and json["truncated"] is False


def test_a_cut_name_is_flagged() -> None:
    state = state_after(tk("at2;ÖZDEMİR;Şükrü ÖZDEMİR;TUR"))
    athlete = state.athletes[1]
    # 7 extra bytes (Ö, İ, Ş, ü, ü, Ö, İ): CR LF, ";TUR" and the final "R" are lost.
    assert (athlete.long_name, athlete.truncated) == ("Şükrü ÖZDEMİ", True)
    assert athlete.short_name == "ÖZDEMİR" and athlete.country == ""


def test_the_whole_name_known_before_is_kept() -> None:
    whole = "at2;ÖZDEMİR;Şükrü ÖZDEMİR;TUR\r\n".encode()
    state = state_after(whole, tk("at2;ÖZDEMİR;Şükrü ÖZDEMİR;TUR"))
    athlete = state.athletes[1]
    assert (athlete.long_name, athlete.country, athlete.truncated) == \
        ("Şükrü ÖZDEMİR", "TUR", False)


def test_a_whole_datagram_clears_the_flag() -> None:
    state = state_after(tk("at2;ÖZDEMİR;Şükrü ÖZDEMİR;TUR"),
                        "at2;ÖZDEMİR;Şükrü ÖZDEMİR;TUR\r\n".encode())
    athlete = state.athletes[1]
    assert (athlete.long_name, athlete.country, athlete.truncated) == \
        ("Şükrü ÖZDEMİR", "TUR", False)


def test_referees_cut_country_and_name() -> None:
    state = state_after(tk("ref;José PÉREZ;ESP;ju1;Ana GÓMEZ;MEX"))
    assert state.referee is not None and state.referee.country == "ESP"
    judge = state.judges[0]
    assert judge is not None and judge.name == "Ana GÓMEZ" and judge.country is None
    state = state_after(tk("ju2;Þórður ÞÓRÐARSSÖN;ISL"))  # 7 extra bytes
    judge = state.judges[1]
    assert judge == ("Þórður ÞÓRÐARSSÖ", None, True)


def test_a_country_without_a_cut_is_kept_as_sent() -> None:
    state = state_after(b"at1;LEE;LEE Dae-hoon;KOR\r\n", b"ref;Ana GOMEZ\r\n")
    assert state.athletes[0].country == "KOR"
    assert state.referee is not None and state.referee.country is None


names = st.text(st.sampled_from("abcXYZ -.éüÖŞİ한국"), min_size=1, max_size=24).map(str.strip) \
    .filter(lambda s: s and ";" not in s)
codes = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=3, max_size=3)


@given(short=names, long=names, country=codes, slot=st.sampled_from((1, 2)))
def test_no_cut_leaves_a_fragment(short: str, long: str, country: str, slot: int) -> None:
    state = state_after(tk(f"at{slot};{short};{long};{country}"))
    athlete = state.athletes[slot - 1]
    assert athlete.country in (country, "")
    assert country.startswith(athlete.country) or not athlete.country
    assert athlete.country == "" or is_country_code(athlete.country)
    for sent, kept in ((short, athlete.short_name), (long, athlete.long_name)):
        assert sent.startswith(kept)
        if kept != sent:
            assert athlete.truncated, (sent, kept)
