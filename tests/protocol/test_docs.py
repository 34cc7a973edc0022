"""docs/protocol.md names every code of the shipped definition."""

from pathlib import Path

from restrike.protocol import default_schema

DOC = Path(__file__).parents[2] / "docs" / "protocol.md"


def test_every_code_is_documented() -> None:
    text = DOC.read_text()
    missing = [code for code in default_schema().messages if f"| `{code}` |" not in text]
    assert not missing
