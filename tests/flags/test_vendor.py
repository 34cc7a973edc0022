"""The vendored flag set: exactly what the table uses, licensed and recorded."""

from __future__ import annotations

from pathlib import Path

from restrike.flags import VENDOR_DIR, load_table

VENDOR_ROOT = VENDOR_DIR.parent
REPO = Path(__file__).resolve().parents[2]


def _version() -> str:
    return (VENDOR_DIR / "VERSION").read_text(encoding="utf-8").split()[-1]


def test_vendored_files_are_exactly_the_ones_used() -> None:
    used = {f"{team.iso2}.svg" for team in load_table().values() if team.iso2}
    shipped = {path.name for path in VENDOR_DIR.glob("*.svg")}
    assert shipped == used


def test_vendored_size_is_reasonable() -> None:
    total = sum(path.stat().st_size for path in VENDOR_DIR.iterdir())
    assert total < 3 * 1024 * 1024


def test_vendored_svgs_are_plain_svg() -> None:
    for path in VENDOR_DIR.glob("*.svg"):
        text = path.read_text(encoding="utf-8")
        assert text.lstrip().startswith("<svg"), path.name
        assert "<script" not in text, path.name
        assert "http://" not in text.replace("http://www.w3.org/", ""), path.name


def test_licence_and_version_recorded() -> None:
    licence = (VENDOR_DIR / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence
    version = _version()
    assert f"flag-icons {version}" in (VENDOR_DIR / "README.md").read_text(encoding="utf-8")
    table = (VENDOR_ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in table.splitlines() if line.startswith("| flag-icons"))
    assert f"| {version} |" in row
    assert "| MIT |" in row


def test_docs_describe_source_licence_and_override() -> None:
    doc = (REPO / "docs" / "flags.md").read_text(encoding="utf-8")
    assert f"flag-icons {_version()}" in doc
    assert "MIT" in doc
    assert "/flags/{IOC}.svg" in doc
    assert "/api/v1/flags" in doc
    assert "custom" in doc.lower()
