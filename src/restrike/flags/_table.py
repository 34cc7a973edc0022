"""Load the IOC code table (``codes.csv``) shipped next to this module.

The table is data, not code, so that a federation change (a new NOC, a renamed
country) is a one-line edit reviewed as text. Lines starting with ``#`` are comments.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from restrike.errors import ConfigError

__all__ = ["TABLE_PATH", "Design", "Team", "TeamKind", "load_table"]

TABLE_PATH = Path(__file__).resolve().parent / "codes.csv"

_COLUMNS = ("ioc", "name", "kind", "iso2", "design")
_IOC_RE = re.compile(r"[A-Z]{3}")
_ISO2_RE = re.compile(r"[a-z]{2}")


class TeamKind(StrEnum):
    """What a code stands for."""

    NOC = "noc"  # one of the IOC's National Olympic Committees
    SPECIAL = "special"  # refugees, neutral or independent athletes: not a nation
    OTHER = "other"  # a WT member association that is not an IOC member


class Design(StrEnum):
    """Our own flag designs for teams that must not show a national flag."""

    NEUTRAL = "neutral"
    REFUGEE = "refugee"
    INDEPENDENT = "independent"
    TAIPEI = "taipei"


@dataclass(frozen=True, slots=True)
class Team:
    """One row of the table: a code, its display name and where its flag comes from."""

    ioc: str
    name: str
    kind: TeamKind
    iso2: str | None  # file stem in the vendored flag set
    design: Design | None  # set when iso2 is None


def _data_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip() and not line.lstrip().startswith("#"):
                yield number, line


def _parse_row(row: list[str], where: str) -> Team:
    if len(row) != len(_COLUMNS):
        raise ConfigError(f"{where}: expected {len(_COLUMNS)} columns, got {len(row)}")
    ioc, name, kind, iso2, design = (cell.strip() for cell in row)
    if not _IOC_RE.fullmatch(ioc):
        raise ConfigError(f"{where}: code {ioc!r} is not three capital letters")
    if not name:
        raise ConfigError(f"{where}: {ioc} has no name")
    try:
        team_kind = TeamKind(kind)
        team_design = Design(design) if design else None
    except ValueError as err:
        raise ConfigError(f"{where}: {ioc}: {err}") from err
    if bool(iso2) == bool(team_design):
        raise ConfigError(f"{where}: {ioc} needs exactly one of iso2 or design")
    if iso2 and not _ISO2_RE.fullmatch(iso2):
        raise ConfigError(f"{where}: {ioc}: iso2 {iso2!r} is not two lower-case letters")
    return Team(ioc, name, team_kind, iso2 or None, team_design)


def load_table(path: Path = TABLE_PATH) -> dict[str, Team]:
    """Read the table; a malformed row raises ``ConfigError`` naming file and line."""
    numbered = list(_data_lines(path))
    rows = csv.reader(line for _, line in numbered)
    header = next(rows, None)
    if header is None or tuple(cell.strip() for cell in header) != _COLUMNS:
        raise ConfigError(f"{path}: header must be {','.join(_COLUMNS)}")
    teams: dict[str, Team] = {}
    try:
        for (number, _), row in zip(numbered[1:], rows, strict=True):
            team = _parse_row(row, f"{path}:{number}")
            if team.ioc in teams:
                raise ConfigError(f"{path}:{number}: duplicate code {team.ioc}")
            teams[team.ioc] = team
    except (csv.Error, ValueError) as err:  # a quoted cell spanning lines breaks the pairing
        raise ConfigError(f"{path}: unreadable CSV: {err}") from err
    return teams
