"""Country flags for IOC codes, shipped offline, with an operator override folder.

``resolve("GER")`` gives the SVG to show for a team code as the scoring system
sends it; ``country_name("GER")`` the display name. The HTTP routes live in
:mod:`restrike.flags.api` so that this package does not need FastAPI.
"""

from __future__ import annotations

from restrike.flags._resolve import (
    VENDOR_DIR,
    FlagAsset,
    FlagRegistry,
    FlagSource,
    country_name,
    normalize_code,
    resolve,
    teams,
)
from restrike.flags._table import TABLE_PATH, Design, Team, TeamKind, load_table

__all__ = [
    "TABLE_PATH",
    "VENDOR_DIR",
    "Design",
    "FlagAsset",
    "FlagRegistry",
    "FlagSource",
    "Team",
    "TeamKind",
    "country_name",
    "load_table",
    "normalize_code",
    "resolve",
    "teams",
]
