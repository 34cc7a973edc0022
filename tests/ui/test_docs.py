"""docs/console.md names every console route; docs/overlays.md every overlay."""

from __future__ import annotations

from pathlib import Path

from restrike.console import OVERLAYS, make_router

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_console_route_is_documented():
    text = (DOCS / "console.md").read_text(encoding="utf-8")
    missing = []
    for route in make_router().routes:
        path = getattr(route, "path", "")
        if not path.startswith("/api/"):
            continue
        for method in sorted(getattr(route, "methods", ()) or ()):
            if f"`{method} {path}`" not in text:
                missing.append(f"{method} {path}")
    assert not missing, f"docs/console.md lacks {missing}"


def test_every_overlay_is_documented():
    text = (DOCS / "overlays.md").read_text(encoding="utf-8")
    assert not [o["path"] for o in OVERLAYS if f"`{o['path']}`" not in text]
