"""``restrike bench analytics``: placeholder while being written."""
from __future__ import annotations

import typer

bench = typer.Typer(help="How fast the analytics answer.", add_completion=False)
