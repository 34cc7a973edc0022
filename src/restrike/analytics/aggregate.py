"""Athlete figures: the summaries of an athlete's matches added up. Pure.

The input is plain values — `MatchRef`s with the summaries `MatchFold.summary()` made —
so the station (SQLite) and the tournament hub (PostgreSQL) share these functions.
A match loaded twice is one match (`MatchRef.key`): its last finished load counts, or
else its last load. Athlete and country figures count finished matches only (a match
with a ``win``); the others are listed apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from restrike.analytics.model import AthleteRef, MatchRef
from restrike.analytics.report import intensity, rate, side_figures

__all__ = ["Row", "athlete_report", "effective", "empty_side", "finished", "headline",
           "sum_sides"]

#: A match's reference and its summary (None: not folded yet — counted as loaded).
Row = tuple[MatchRef, Mapping[str, Any] | None]
_LISTS = ("techniques", "hit_hist", "by_state")
_NUMBERS = ("score", "gam_jeoms", "gam_jeom_points", "injuries", "injury_seconds", "last30",
            "conceded", "answered")
_TABLES = ("by_round", "round_scores")


def empty_side() -> dict[str, Any]:
    return {"score": 0, "round_scores": {}, "techniques": [0] * 5, "gam_jeoms": 0,
            "gam_jeom_points": 0, "hits": [0, 0, 0], "hit_hist": [0] * 10,
            "challenges": {"made": 0, "won": 0, "lost": 0, "rejected": 0, "cancelled": 0},
            "challenge_hours": {}, "injuries": 0, "injury_seconds": 0,
            "by_state": [0, 0, 0], "by_round": {}, "last30": 0, "conceded": 0, "answered": 0}


def sum_sides(sides: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Sides (summaries' ``sides[n]``) added up: counts summed, the hit maximum the max."""
    total = empty_side()
    for side in sides:
        for name in _NUMBERS:
            total[name] += side[name]
        for name in _LISTS:
            total[name] = [a + b for a, b in zip(total[name], side[name], strict=True)]
        for name in _TABLES:
            for key, value in side[name].items():
                total[name][key] = total[name].get(key, 0) + value
        for key, value in side["challenges"].items():
            total["challenges"][key] += value
        for hour, (made, won) in side["challenge_hours"].items():
            row = total["challenge_hours"].setdefault(hour, [0, 0])
            row[0] += made
            row[1] += won
        hits = total["hits"]
        count, level_sum, top = side["hits"]
        total["hits"] = [hits[0] + count, hits[1] + level_sum, max(hits[2], top)]
    return total


def effective(rows: Iterable[Row]) -> list[Row]:
    """One row per match (`MatchRef.key`): its last finished load, or else its last load."""
    chosen: dict[str, Row] = {}
    for row in sorted(rows, key=lambda r: r[0].id):
        key = row[0].key
        kept = chosen.get(key)
        if kept is None or finished(row[1]) or not finished(kept[1]):
            chosen[key] = row
    return sorted(chosen.values(), key=lambda r: r[0].id)


def finished(summary: Mapping[str, Any] | None) -> bool:
    return summary is not None and summary["winner"] is not None


def _match_line(ref: MatchRef, summary: Mapping[str, Any], side: int) -> dict[str, Any]:
    """A match as one athlete saw it (the per-match trend)."""
    mine, theirs = summary["sides"][side], summary["sides"][3 - side]
    opponent = ref.athlete(3 - side)
    return {"match": ref.id, "number": ref.number, "phase": ref.phase,
            "category": ref.category, "tournament": ref.tournament, "day": ref.day,
            "side": "blue" if side == 1 else "red",
            "opponent": opponent.as_dict() if opponent else None,
            "won": summary["winner"] == side, "points_for": mine["score"],
            "points_against": theirs["score"], "decision": summary["decision"],
            "intensity": intensity(summary)}


def athlete_report(athlete: AthleteRef, rows: Iterable[Row]) -> dict[str, Any]:
    """The body of ``GET /api/v1/analytics/athletes/{id}``: ``rows`` are the loaded
    matches the athlete was in (either side)."""
    trend: list[dict[str, Any]] = []
    unfinished: list[dict[str, Any]] = []
    mine: list[Mapping[str, Any]] = []
    against = 0
    for ref, summary in effective(rows):
        side = 1 if ref.blue is not None and ref.blue.id == athlete.id else 2
        if summary is None or not finished(summary):
            unfinished.append({"match": ref.id, "number": ref.number, "phase": ref.phase,
                               "tournament": ref.tournament, "day": ref.day,
                               "score": _score(summary, side)})
            continue
        line = _match_line(ref, summary, side)
        trend.append(line)
        mine.append(summary["sides"][side])
        against += line["points_against"]
    total = sum_sides(mine)
    wins = sum(1 for line in trend if line["won"])
    played = len(trend)
    best = max(trend, key=lambda m: (m["won"], m["points_for"] - m["points_against"],
                                     m["points_for"]), default=None)
    return {
        "athlete": athlete.as_dict(),
        "matches": played, "wins": wins, "losses": played - wins,
        "win_rate": rate(wins, played), "points_for": total["score"],
        "points_against": against, "average_points": rate(total["score"], played, 2),
        **side_figures(total),
        "best_match": best, "trend": trend, "unfinished": unfinished,
    }


def _score(summary: Mapping[str, Any] | None, side: int) -> dict[str, int] | None:
    if summary is None:
        return None
    return {"for": summary["sides"][side]["score"],
            "against": summary["sides"][3 - side]["score"]}


def headline(athlete: AthleteRef, matches: int, wins: int, points_for: int,
             points_against: int) -> dict[str, Any]:
    """A search result's row: the athlete and the totals of its finished matches."""
    return {**athlete.as_dict(), "matches": matches, "wins": wins,
            "losses": matches - wins, "win_rate": rate(wins, matches),
            "points_for": points_for, "points_against": points_against}
