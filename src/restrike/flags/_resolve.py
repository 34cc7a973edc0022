"""Turn whatever code the scoring system sends into the SVG bytes to show.

Order of precedence: the operator's custom folder, then the vendored national
flag, then our own design for special teams, then a grey placeholder. Resolving
never raises: a scoreboard must always have something to draw.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from restrike.flags._design import design_svg, placeholder_svg
from restrike.flags._table import Team, load_table

__all__ = [
    "MAX_CUSTOM_BYTES",
    "VENDOR_DIR",
    "FlagAsset",
    "FlagRegistry",
    "FlagSource",
    "country_name",
    "normalize_code",
    "resolve",
    "teams",
]

log = logging.getLogger(__name__)

VENDOR_DIR = Path(__file__).resolve().parent.parent / "web" / "vendor" / "flags"
MAX_CUSTOM_BYTES = 2 * 1024 * 1024  # a flag larger than this is a mistake, not a flag

# Letters and digits only, so a code can never name a path outside the flag folders.
_CODE_RE = re.compile(r"[A-Z][A-Z0-9]{1,3}")


class FlagSource(StrEnum):
    """Where a resolved flag came from."""

    CUSTOM = "custom"
    SHIPPED = "shipped"
    DESIGN = "design"
    PLACEHOLDER = "placeholder"


@dataclass(frozen=True, slots=True)
class FlagAsset:
    """A flag ready to serve: the SVG bytes and what they stand for."""

    code: str | None  # normalised code; None when the input was not a code at all
    name: str | None  # display name from the table; None for unknown codes
    source: FlagSource
    svg: bytes = field(repr=False)
    path: Path | None = None  # the file read, for custom and shipped flags

    @property
    def is_placeholder(self) -> bool:
        return self.source is FlagSource.PLACEHOLDER


def normalize_code(ioc: str) -> str | None:
    """``" ger "`` → ``"GER"``; ``None`` for anything that is not a 2–4 character code."""
    code = "".join(ioc.split()).upper()
    return code if _CODE_RE.fullmatch(code) else None


@lru_cache(maxsize=512)
def _read_vendored(path: Path) -> bytes:
    return path.read_bytes()


class FlagRegistry:
    """The code table plus an optional folder of ``<IOC>.svg`` files that win over it."""

    def __init__(
        self,
        custom_dir: Path | None = None,
        *,
        table: Mapping[str, Team] | None = None,
        vendor_dir: Path = VENDOR_DIR,
    ) -> None:
        self.custom_dir = custom_dir
        self.vendor_dir = vendor_dir
        self._table = table if table is not None else _default_table()

    def team(self, ioc: str) -> Team | None:
        code = normalize_code(ioc)
        return self._table.get(code) if code else None

    def country_name(self, ioc: str) -> str | None:
        team = self.team(ioc)
        return team.name if team else None

    def teams(self) -> list[Team]:
        return sorted(self._table.values(), key=lambda t: t.ioc)

    def custom_codes(self) -> set[str]:
        """Codes that have a file in the custom folder (read now: the folder may change)."""
        if self.custom_dir is None or not self.custom_dir.is_dir():
            return set()
        found = (normalize_code(p.stem) for p in self.custom_dir.glob("*.svg") if p.is_file())
        return {code for code in found if code}

    def resolve(self, ioc: str) -> FlagAsset:
        code = normalize_code(ioc)
        if code is None:
            return FlagAsset(None, None, FlagSource.PLACEHOLDER, placeholder_svg(None))
        team = self._table.get(code)
        name = team.name if team else None
        custom = self._custom(code)
        if custom is not None:
            path, svg = custom
            return FlagAsset(code, name, FlagSource.CUSTOM, svg, path)
        if team is not None and team.iso2 is not None:
            path = self.vendor_dir / f"{team.iso2}.svg"
            try:
                return FlagAsset(code, name, FlagSource.SHIPPED, _read_vendored(path), path)
            except OSError as err:  # a damaged install; keep the scoreboard drawing
                log.warning("vendored flag %s for %s unreadable: %s", path, code, err)
        if team is not None and team.design is not None:
            return FlagAsset(
                code, name, FlagSource.DESIGN, design_svg(team.design, code, team.name)
            )
        return FlagAsset(code, name, FlagSource.PLACEHOLDER, placeholder_svg(code))

    def _custom(self, code: str) -> tuple[Path, bytes] | None:
        if self.custom_dir is None:
            return None
        for stem in dict.fromkeys((code, code.lower())):
            path = self.custom_dir / f"{stem}.svg"
            try:
                if not path.is_file():
                    continue
                if path.stat().st_size > MAX_CUSTOM_BYTES:
                    log.warning("custom flag %s is over %s bytes; ignored", path, MAX_CUSTOM_BYTES)
                    continue
                svg = path.read_bytes()
            except OSError as err:
                log.warning("custom flag %s unreadable: %s", path, err)
                continue
            if b"<svg" not in svg[:4096]:
                log.warning("custom flag %s does not look like SVG; ignored", path)
                continue
            return path, svg
        return None


@lru_cache(maxsize=1)
def _default_table() -> Mapping[str, Team]:
    return load_table()


def resolve(ioc: str, *, custom_dir: Path | None = None) -> FlagAsset:
    """The flag for ``ioc`` (case and spaces ignored); never raises."""
    return FlagRegistry(custom_dir).resolve(ioc)


def country_name(ioc: str) -> str | None:
    """Display name for ``ioc``, or ``None`` if the code is not in the table."""
    return FlagRegistry().country_name(ioc)


def teams() -> list[Team]:
    """Every row of the shipped table, sorted by code."""
    return FlagRegistry().teams()
