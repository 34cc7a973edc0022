"""What the analytics core takes: stored events and what is known of their match.

Plain values, no database types: the station's SQLite adapter and the tournament hub's
PostgreSQL one both build these from their rows (docs/analytics.md), so every figure
is computed by the same code whatever the engine.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = ["SIDES", "TECHNIQUES", "AthleteRef", "Event", "MatchRef", "unaccent"]

#: Slot 1 is blue, slot 2 red (the protocol's athletes 1 and 2).
SIDES = ("blue", "red")
#: The `pt` technique values in order (1 punch ... 5 technical head); each is worth its
#: own value in points (WT rules: punch 1, body 2, head 3, turning body 4, turning head 5).
TECHNIQUES = ("punch", "body", "head", "technical_body", "technical_head")


class Event(NamedTuple):
    """One stored message (a row of the events table), fed oldest first by ``id``.

    ``t`` is the arrival time in epoch seconds; ``args`` the typed fields as stored
    (the JSON object of ``GET /api/v1/events``); invalid and unknown messages have
    empty ``args`` and still count in the distribution by kind.
    """

    id: int
    t: float
    kind: str
    athlete: int | None
    args: Mapping[str, Any]
    #: The sender cut the datagram short (tkStrike counts characters): its last field
    #: may end inside a word.
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class AthleteRef:
    """An athlete as the store keeps one: the same long name and country is the same
    athlete, whatever the tournament (``id`` is the engine's own row id)."""

    id: int | None
    short_name: str
    long_name: str
    country: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "short_name": self.short_name, "long_name": self.long_name,
                "country": self.country}


@dataclass(frozen=True, slots=True)
class MatchRef:
    """A loaded match: its row of the matches table with its day, tournament, athletes.

    ``key`` says which loads are the same match: a match the scoring software loaded
    twice has two rows with the same day, number and scoring-software id; a row with
    neither is only itself.
    """

    id: int
    number: str | None = None
    match_id: str | None = None
    phase: str | None = None
    category: str | None = None
    division: str | None = None
    tournament: str | None = None
    tournament_id: int | None = None
    day: str | None = None
    day_id: int | None = None
    blue: AthleteRef | None = None
    red: AthleteRef | None = None

    @property
    def key(self) -> str:
        if self.number is None and self.match_id is None:
            return f"row:{self.id}"
        return f"day:{self.day_id}|{self.number or ''}|{self.match_id or ''}"

    def athlete(self, side: int) -> AthleteRef | None:
        """Side 1 blue, 2 red."""
        return self.blue if side == 1 else self.red

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "match_id": self.match_id,
                "phase": self.phase, "category": self.category, "division": self.division,
                "tournament": self.tournament, "tournament_id": self.tournament_id,
                "day": self.day, "day_id": self.day_id}


def athlete_from(values: Mapping[str, Any] | None) -> AthleteRef | None:
    """An `AthleteRef` from a mapping with the API's athlete keys (None stays None)."""
    if values is None or values.get("long_name") is None:
        return None
    return AthleteRef(values.get("id"), str(values.get("short_name") or ""),
                      str(values.get("long_name") or ""), str(values.get("country") or ""))


def unaccent(text: str) -> str:
    """Case- and accent-free text, for searching: ``"Peña"`` and ``"PENA"`` are ``"pena"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
