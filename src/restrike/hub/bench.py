"""``restrike bench hub``."""

from __future__ import annotations

import typer

__all__ = ["bench"]

bench = typer.Typer(help="The tournament hub's figures against the issue's targets.",
                    add_completion=False)
