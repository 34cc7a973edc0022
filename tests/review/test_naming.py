"""Recording names must be valid Windows file names whatever the athletes are called."""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath

from hypothesis import given
from hypothesis import strategies as st

from restrike.protocol import MatchState, parse, reduce_all
from restrike.review.naming import (
    IVR_FOLDER,
    MAX_COMPONENT,
    MatchIdentity,
    match_folder,
    match_identity,
    obs_filename_pattern,
    recording_stem,
    replay_folder,
    safe_component,
)

RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
            *(f"LPT{i}" for i in range(10))}


def windows_ok(name: str) -> bool:
    if not name or len(name) > MAX_COMPONENT:
        return False
    if re.search(r'[<>:"/\\|?*\x00-\x1f]', name):
        return False
    if name.endswith((".", " ")):
        return False
    return name.split(".", 1)[0].rstrip(" ").upper() not in RESERVED


def test_plain_match_name() -> None:
    ident = MatchIdentity("101", "m-1", "N. DESMOND", "FRA", "Lee Dae-hoon", "KOR")
    assert recording_stem(ident) == "101_N. DESMOND_FRA_vs_Lee Dae-hoon_KOR"


def test_forbidden_and_reserved() -> None:
    assert safe_component('a<b>c:d"e/f\\g|h?i*j') == "a_b_c_d_e_f_g_h_i_j"
    assert safe_component("CON") == "_CON"
    assert safe_component("nul.txt") == "_nul.txt"
    assert safe_component("com1") == "_com1"
    assert safe_component("Lpt9 ") == "_Lpt9"
    assert safe_component("name. . ") == "name"
    assert safe_component("...") == "_"
    assert safe_component("100%") == "100_"
    assert safe_component("x" * 500) == "x" * MAX_COMPONENT


def test_folders() -> None:
    root = PureWindowsPath("D:/IVR")
    folder = match_folder(root, "Open: 2026?", "2026-11-28")
    assert folder == PureWindowsPath("D:/IVR/Open_ 2026_/2026-11-28")
    assert replay_folder(folder) == folder / IVR_FOLDER
    assert match_folder(PurePosixPath("/r"), "", "") == PurePosixPath("/r/tournament/day")


def test_pattern_has_only_our_specifiers() -> None:
    stem = recording_stem(MatchIdentity("7%", None, "A%hh", "X", "B", "Y"))
    pattern = obs_filename_pattern(stem)
    assert pattern.count("%") == 3 and pattern.endswith("_%hh-%mm-%ss")


def test_identity_from_state() -> None:
    lines = [b"pre;FightLoaded", b"at1;DESMOND;N. DESMOND;FRA;at2;LEE;LEE D.;KOR",
             b"mch;101;Final;M -80kg;;#00f;#fff;#f00;#fff;9001;Senior;3;120;cntDown;1;1"]
    state = reduce_all((1.0, m) for line in lines for m in parse(line))
    ident = match_identity(state)
    assert ident is not None
    assert (ident.number, ident.blue_name, ident.red_country) == ("101", "N. DESMOND", "KOR")
    assert match_identity(MatchState()) is None


@given(st.text(max_size=300))
def test_any_text_gives_a_windows_name(text: str) -> None:
    assert windows_ok(safe_component(text))


@given(st.text(max_size=60), st.text(max_size=60), st.text(max_size=5), st.text(max_size=60),
       st.text(max_size=5))
def test_any_match_gives_a_windows_name(num: str, blue: str, bc: str, red: str, rc: str) -> None:
    stem = recording_stem(MatchIdentity(num, None, blue, bc, red, rc))
    assert windows_ok(stem)
    assert "_vs_" in stem or len(stem) == MAX_COMPONENT
