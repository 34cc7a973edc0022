"""Every OBS API action and every [[obs]] key is documented in docs/obs.md."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from restrike.obs import ObsConnectionSettings
from restrike.obs.api import ACTIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "obs.md"


def test_actions_and_settings_are_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [a for a in ACTIONS if f"`{a}`" not in text]
    assert not missing, f"actions missing from {DOC}: {missing}"
    keys = ["name", "url", "password", "role", "protocol"]
    assert all(f"`{k}`" in text for k in keys)
    fields = {f.name for f in dataclasses.fields(ObsConnectionSettings)}
    assert set(keys) <= fields
