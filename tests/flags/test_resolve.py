"""Resolving codes: normalisation, placeholder, custom override, path safety."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from restrike.flags import VENDOR_DIR, FlagRegistry, FlagSource, normalize_code, resolve
from restrike.flags._resolve import MAX_CUSTOM_BYTES

CUSTOM_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 3"><rect/></svg>'


@pytest.mark.parametrize("raw", ["GER", "ger", " Ger ", "G E R", "\tger\n"])
def test_case_and_spaces_ignored(raw: str) -> None:
    assert normalize_code(raw) == "GER"
    assert resolve(raw).code == "GER"
    assert resolve(raw).name == "Germany"


@pytest.mark.parametrize("raw", ["", " ", "../x", "..", "G/R", "GE.R", "1GE", "GERMANY", "A", "é"])
def test_malformed_codes(raw: str) -> None:
    assert normalize_code(raw) is None
    asset = resolve(raw)
    assert asset.is_placeholder
    assert asset.code is None
    assert b">?</text>" in asset.svg


def test_unknown_code_gets_a_placeholder_with_its_code() -> None:
    asset = resolve("xyz")
    assert asset.source is FlagSource.PLACEHOLDER
    assert asset.is_placeholder
    assert asset.code == "XYZ"
    assert asset.name is None
    assert asset.path is None
    assert b">XYZ</text>" in asset.svg


def test_custom_flag_wins_over_shipped(tmp_path: Path) -> None:
    (tmp_path / "GER.svg").write_bytes(CUSTOM_SVG)
    asset = resolve("ger", custom_dir=tmp_path)
    assert asset.source is FlagSource.CUSTOM
    assert asset.svg == CUSTOM_SVG
    assert asset.path == tmp_path / "GER.svg"
    assert asset.name == "Germany"
    assert resolve("FRA", custom_dir=tmp_path).source is FlagSource.SHIPPED


def test_custom_flag_wins_over_designs_and_placeholders(tmp_path: Path) -> None:
    (tmp_path / "tpe.svg").write_bytes(CUSTOM_SVG)  # lower-case file names work too
    (tmp_path / "WRT.svg").write_bytes(CUSTOM_SVG)
    registry = FlagRegistry(tmp_path)
    assert registry.resolve("TPE").source is FlagSource.CUSTOM
    unknown = registry.resolve("wrt")
    assert unknown.source is FlagSource.CUSTOM
    assert unknown.name is None
    assert registry.custom_codes() == {"TPE", "WRT"}


def test_custom_folder_changes_are_seen_without_restart(tmp_path: Path) -> None:
    registry = FlagRegistry(tmp_path)
    assert registry.resolve("GER").source is FlagSource.SHIPPED
    (tmp_path / "GER.svg").write_bytes(CUSTOM_SVG)
    assert registry.resolve("GER").source is FlagSource.CUSTOM


def test_missing_custom_folder_is_harmless(tmp_path: Path) -> None:
    registry = FlagRegistry(tmp_path / "nope")
    assert registry.resolve("GER").source is FlagSource.SHIPPED
    assert registry.custom_codes() == set()


def test_bad_custom_files_are_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "GER.svg").write_bytes(b"\x89PNG not an svg")
    (tmp_path / "FRA.svg").write_bytes(b"<svg" + b" " * MAX_CUSTOM_BYTES + b"/>")
    (tmp_path / "ITA.svg").mkdir()
    with caplog.at_level(logging.WARNING, logger="restrike.flags"):
        registry = FlagRegistry(tmp_path)
        assert registry.resolve("GER").source is FlagSource.SHIPPED
        assert registry.resolve("FRA").source is FlagSource.SHIPPED
        assert registry.resolve("ITA").source is FlagSource.SHIPPED
    assert "does not look like SVG" in caplog.text
    assert "over" in caplog.text


def test_traversal_never_reads_outside_the_folders(tmp_path: Path) -> None:
    custom = tmp_path / "custom"
    custom.mkdir()
    (tmp_path / "x.svg").write_bytes(CUSTOM_SVG)
    for raw in ("../x", "..\\x", "/x", "..%2Fx", "x/../x"):
        asset = FlagRegistry(custom).resolve(raw)
        assert asset.is_placeholder
        assert asset.path is None


def test_damaged_install_falls_back_to_placeholder(tmp_path: Path) -> None:
    registry = FlagRegistry(vendor_dir=tmp_path)
    asset = registry.resolve("GER")
    assert asset.is_placeholder
    assert asset.name == "Germany"


@given(st.text(max_size=12))
def test_resolve_never_raises_and_stays_in_its_folders(raw: str) -> None:
    asset = resolve(raw)
    assert asset.svg.startswith(b"<svg")
    if asset.path is not None:
        assert asset.path.parent == VENDOR_DIR
    if asset.code is not None:
        assert asset.code.isascii() and asset.code.isalnum()
