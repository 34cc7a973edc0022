"""Every core route and every option of `restrike run` / `demo` is documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from restrike.api.routes import make_router
from restrike.assembly import Assembly
from restrike.cli import app

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_core_routes_are_in_docs_api(assembled: Assembly) -> None:
    text = (DOCS / "api.md").read_text()
    paths = {route.path for route in make_router(assembled.view).routes}  # type: ignore[attr-defined]
    paths |= {"/ws/live", "/openapi.json"}
    documented = {re.sub(r"\{[^}]+\}", "{}", p) for p in re.findall(r"(/[\w/{}.-]+)", text)}
    missing = sorted(p for p in paths if re.sub(r"\{[^}]+\}", "{}", p) not in documented)
    assert not missing, f"routes missing from docs/api.md: {missing}"


def test_cli_options_are_in_docs_station() -> None:
    text = (DOCS / "station.md").read_text()
    group: Any = typer.main.get_command(app)
    missing = []
    for name in ("run", "demo"):
        command = group.commands[name]
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help" and opt not in text:
                    missing.append(f"{name} {opt}")
    bench = group.commands["bench"]
    for param in bench.commands["ingest"].params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt not in text:
                missing.append(f"bench ingest {opt}")
    assert not missing, f"options missing from docs/station.md: {missing}"
