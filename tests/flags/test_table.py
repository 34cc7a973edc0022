"""The shipped code table: complete, well formed, and mapped to the right flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from restrike.errors import ConfigError
from restrike.flags import (
    VENDOR_DIR,
    Design,
    FlagSource,
    TeamKind,
    country_name,
    load_table,
    resolve,
    teams,
)

TABLE = load_table()


def test_all_206_nocs_are_listed() -> None:
    assert sum(team.kind is TeamKind.NOC for team in TABLE.values()) == 206


@pytest.mark.parametrize("code", sorted(TABLE))
def test_every_code_resolves_to_an_svg(code: str) -> None:
    asset = resolve(code)
    assert asset.source in (FlagSource.SHIPPED, FlagSource.DESIGN)
    assert asset.svg.lstrip().startswith(b"<svg")
    assert asset.name == TABLE[code].name
    if asset.source is FlagSource.SHIPPED:
        assert asset.path is not None and asset.path.is_file()
        assert asset.path.parent == VENDOR_DIR


# IOC codes whose flag is not the ISO code you might guess from the letters.
IOC_TO_ISO = """
GER:de NED:nl SUI:ch KOR:kr PRK:kp CHN:cn GBR:gb IRI:ir KSA:sa UAE:ae RSA:za CRO:hr
DEN:dk POR:pt GRE:gr SLO:si SVK:sk BUL:bg LAT:lv MAS:my INA:id PHI:ph VIE:vn NEP:np
BRN:bh KUW:kw ALG:dz NGR:ng NIG:ne CHI:cl PUR:pr ISV:vi IVB:vg HAI:ht KOS:xk PLE:ps
MGL:mn SRI:lk ESA:sv URU:uy PAR:py CRC:cr TGA:to SAM:ws HKG:hk MAC:mo
"""


@pytest.mark.parametrize(("ioc", "iso2"), [pair.split(":") for pair in IOC_TO_ISO.split()])
def test_ioc_codes_that_differ_from_iso(ioc: str, iso2: str) -> None:
    asset = resolve(ioc)
    assert asset.path is not None
    assert asset.path.name == f"{iso2}.svg"


def test_chinese_taipei_never_gets_the_national_flag() -> None:
    # The Nagoya resolution: TPE competes under the Chinese Taipei Olympic flag.
    asset = resolve("TPE")
    assert asset.source is FlagSource.DESIGN
    assert asset.name == "Chinese Taipei"
    assert not (VENDOR_DIR / "tw.svg").exists()


@pytest.mark.parametrize(
    ("code", "design"),
    [
        ("AIN", Design.NEUTRAL),
        ("EOR", Design.REFUGEE),
        ("ROT", Design.REFUGEE),
        ("IOA", Design.INDEPENDENT),
        ("TPE", Design.TAIPEI),
    ],
)
def test_special_teams_get_our_designs(code: str, design: Design) -> None:
    assert TABLE[code].design is design
    svg = resolve(code).svg
    assert f">{code}</text>".encode() in svg
    assert b"<script" not in svg


def test_country_name() -> None:
    assert country_name(" kor ") == "Republic of Korea"
    assert country_name("GER") == "Germany"
    assert country_name("EOR") == "Refugee Olympic Team"
    assert country_name("XYZ") is None
    assert country_name("../etc") is None


def test_teams_is_sorted_and_complete() -> None:
    codes = [team.ioc for team in teams()]
    assert codes == sorted(TABLE)


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "codes.csv"
    path.write_text("# comment\nioc,name,kind,iso2,design\n" + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("GE,Germany,noc,de,\n", "three capital letters"),
        ("GER,,noc,de,\n", "no name"),
        ("GER,Germany,nation,de,\n", "nation"),
        ("GER,Germany,noc,,\n", "exactly one"),
        ("GER,Germany,noc,de,neutral\n", "exactly one"),
        ("GER,Germany,noc,DEU,\n", "two lower-case"),
        ("GER,Germany,noc,de\n", "columns"),
        ("GER,Germany,noc,de,\nGER,Germany,noc,de,\n", "duplicate"),
    ],
)
def test_loader_names_the_bad_line(tmp_path: Path, body: str, message: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(ConfigError, match=message) as info:
        load_table(path)
    assert str(path) in str(info.value)


def test_loader_reports_line_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, "GER,Germany,noc,de,\n\nFRA,France,noc,FR,\n")
    with pytest.raises(ConfigError, match=r"codes\.csv:5:"):
        load_table(path)


def test_loader_rejects_a_wrong_header(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("code,name\nGER,Germany\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="header"):
        load_table(path)
