"""Recording folders and file names, safe on Windows (pure: no file system access).

A match's recording lives in ``<root>/<tournament>/<day>`` and is named
``<number>_<blue name>_<blue IOC>_vs_<red name>_<red IOC>``; saved replays go to the
``IVR recordings`` folder inside it. Names must survive Windows' rules even when the
station runs on Linux, because the archive is copied to Windows machines.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath

from restrike.protocol.state import MatchState

__all__ = [
    "IVR_FOLDER",
    "MAX_COMPONENT",
    "MatchIdentity",
    "match_folder",
    "match_identity",
    "obs_filename_pattern",
    "recording_stem",
    "replay_folder",
    "safe_component",
]

IVR_FOLDER = "IVR recordings"
#: Windows allows 255 UTF-16 units per component; leave room for OBS's extension and
#: a de-duplicating suffix and keep whole paths well under the old 260-character limit.
MAX_COMPONENT = 120

_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in range(10)}
    | {f"LPT{i}" for i in range(10)}
    | {f"COM{c}" for c in "¹²³"}
    | {f"LPT{c}" for c in "¹²³"}
)
# Forbidden on Windows, plus '%' which OBS's file-name pattern would read as a specifier.
_FORBIDDEN = re.compile(r'[<>:"/\\|?*%\x00-\x1f\x7f]')
_SPACES = re.compile(r"\s+")


def safe_component(text: str, *, max_len: int = MAX_COMPONENT, fallback: str = "_") -> str:
    """One path component that Windows, macOS and Linux all accept, as close to ``text``."""
    value = unicodedata.normalize("NFC", text)
    value = _FORBIDDEN.sub("_", value)
    value = _SPACES.sub(" ", value).strip()
    value = value[:max_len].rstrip(". ")
    if not value:
        return fallback
    stem = value.split(".", 1)[0].rstrip(" ").upper()
    if stem in _RESERVED:
        value = f"_{value}"[:max_len].rstrip(". ")
    return value


@dataclass(frozen=True, slots=True)
class MatchIdentity:
    """What names a match's recording; equal identities mean the same match."""

    number: str
    match_id: str | None
    blue_name: str
    blue_country: str
    red_name: str
    red_country: str

    @property
    def key(self) -> str:
        return self.match_id or self.number

    @property
    def title(self) -> str:
        blue = f"{self.blue_name} ({self.blue_country})" if self.blue_country else self.blue_name
        red = f"{self.red_name} ({self.red_country})" if self.red_country else self.red_name
        return f"Match {self.number}: {blue} vs {red}"


def match_identity(state: MatchState) -> MatchIdentity | None:
    """The loaded match once its number and both athletes are known, else None."""
    if not state.loaded or not state.match.number:
        return None
    blue, red = state.athletes
    blue_name = blue.long_name or blue.short_name
    red_name = red.long_name or red.short_name
    if not blue_name or not red_name:
        return None
    return MatchIdentity(state.match.number, state.match.id, blue_name, blue.country,
                         red_name, red.country)


def recording_stem(identity: MatchIdentity, *, max_len: int = MAX_COMPONENT) -> str:
    """``<number>_<blue>_<IOC>_vs_<red>_<IOC>``, each part made safe, the whole bounded."""
    parts = [
        safe_component(identity.number, fallback="match"),
        safe_component(identity.blue_name, fallback="blue"),
        safe_component(identity.blue_country, fallback="XXX"),
        "vs",
        safe_component(identity.red_name, fallback="red"),
        safe_component(identity.red_country, fallback="XXX"),
    ]
    return safe_component("_".join(parts), max_len=max_len, fallback="match")


def match_folder(root: PurePath, tournament: str, day: str) -> PurePath:
    """``<root>/<tournament>/<day>`` with each added component made safe."""
    return root / safe_component(tournament, fallback="tournament") / safe_component(
        day, fallback="day")


def day_label(day: str, name: str = "") -> str:
    """The day's folder name: its date, then its name when it has one
    (``2026-05-29 Day 2 – Finals``), so folders sort by date and say what the day was."""
    return f"{day} {name.strip()}" if name.strip() else day


def replay_folder(folder: PurePath) -> PurePath:
    """Where saved replays of a match folder go."""
    return folder / IVR_FOLDER


def obs_filename_pattern(stem: str) -> str:
    """OBS's ``FilenameFormatting``: the stem plus a time so a restart never overwrites.

    ``safe_component`` already removed every ``%``, so the only specifiers are ours.
    """
    return f"{stem}_%hh-%mm-%ss"
