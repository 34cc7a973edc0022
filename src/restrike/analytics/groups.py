"""Day and tournament figures, in two steps so a store can keep the first: a *partial*
per day (`group_partial`: JSON, sums and tables of that day's matches) and the body
(`group_body`: partials combined, tops ranked). Pure.

A match loaded twice is one match per day (`MatchRef.key` includes the day), so the
partials of different days never count a match twice, and a tournament is its days'
partials combined. Finished matches only count for the athletes, countries, decisions,
durations and scoring; events and hours count everything the court sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from restrike.analytics.aggregate import Row, effective, empty_side, finished, sum_sides
from restrike.analytics.report import duration, intensity, rate, side_figures

__all__ = ["PARTIAL_VERSION", "TOP", "group_body", "group_partial", "group_report"]

#: Athletes and countries in the tops.
TOP = 10
#: Bumped with the partial's shape (stored partials of another version are remade).
PARTIAL_VERSION = 1
_SEP = "\x1f"  # long name / country in an athlete's key


def group_partial(rows: Iterable[Row]) -> dict[str, Any]:
    """What one day's loaded matches add to a day or tournament (JSON-ready)."""
    loaded = list(rows)
    matches = effective(loaded)
    done = [(ref, s) for ref, s in matches if s is not None and finished(s)]
    kinds: Counter[str] = Counter()
    hours: dict[str, list[int]] = {}
    for _ref, summary in loaded:
        if summary is None:
            continue
        kinds.update(summary["kinds"])
        for hour, (events, points) in summary["hours"].items():
            row = hours.setdefault(hour, [0, 0])
            row[0] += events
            row[1] += points
    athletes: dict[str, list[Any]] = {}
    countries: dict[str, list[int]] = {}
    for ref, summary in done:
        for side in (1, 2):
            athlete = ref.athlete(side)
            if athlete is None:
                continue
            points, won = summary["sides"][side]["score"], int(summary["winner"] == side)
            row = athletes.setdefault(f"{athlete.long_name}{_SEP}{athlete.country}",
                                      [athlete.as_dict(), 0, 0, 0])
            row[1] += points
            row[2] += won
            row[3] += 1
            if athlete.country:
                line = countries.setdefault(athlete.country, [0, 0, 0])
                line[0] += won
                line[1] += points
                line[2] += 1
    fights = [duration(s) for _r, s in done]
    return {
        "version": PARTIAL_VERSION, "planned": len(matches), "completed": len(done),
        "fight": sum(f["fight_seconds"] for f in fights),
        "wall": sum(f["wall_seconds"] for f in fights),
        "intensity": sum(intensity(s) for _r, s in done),
        "athletes": athletes, "countries": countries,
        "decisions": dict(Counter(s["decision"] or "unknown" for _r, s in done)),
        "kinds": dict(kinds), "hours": hours,
        "sides": sum_sides(side for _r, s in done for side in s["sides"]),
    }


def _add(total: dict[str, Any], more: Mapping[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, list):
            row = total.setdefault(key, [0] * len(value))
            for i, v in enumerate(value):
                row[i] += v
        else:
            total[key] = total.get(key, 0) + value


def group_body(partials: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The body of a day or tournament from its days' partials (zeros when none)."""
    planned = completed = 0
    fight = wall = intensity_sum = 0.0
    athletes: dict[str, list[Any]] = {}
    countries: dict[str, Any] = {}
    decisions: dict[str, Any] = {}
    kinds: dict[str, Any] = {}
    hours: dict[str, Any] = {}
    sides = [empty_side()]
    for p in partials:
        planned += p["planned"]
        completed += p["completed"]
        fight += p["fight"]
        wall += p["wall"]
        intensity_sum += p["intensity"]
        for key, (athlete, points, wins, matches) in p["athletes"].items():
            row = athletes.setdefault(key, [athlete, 0, 0, 0])
            row[0] = athlete  # the latest names
            row[1] += points
            row[2] += wins
            row[3] += matches
        _add(countries, p["countries"])
        _add(decisions, p["decisions"])
        _add(kinds, p["kinds"])
        _add(hours, p["hours"])
        sides.append(p["sides"])
    every_side = sum_sides(sides)
    table: dict[int, list[int]] = {int(h): [e, pts, 0, 0] for h, (e, pts) in hours.items()}
    for hour, (made, won) in every_side["challenge_hours"].items():
        row = table.setdefault(int(hour), [0, 0, 0, 0])
        row[2] += made
        row[3] += won
    hourly = [{"hour": h, "events": r[0], "points": r[1], "challenges": r[2],
               "challenges_won": r[3]} for h, r in sorted(table.items())]
    peak = max(hourly, key=lambda h: (h["events"], -h["hour"]), default=None)
    figures = side_figures(every_side)
    top = sorted(athletes.values(), key=lambda r: (-r[1], -r[2], r[0]["long_name"]))[:TOP]
    nations = sorted(countries.items(), key=lambda i: (-i[1][0], -i[1][1], i[0]))[:TOP]
    return {
        "matches_planned": planned, "matches_completed": completed,
        "completion_rate": rate(completed, planned),
        "average_fight_seconds": rate(fight, completed, 1),
        "average_wall_seconds": rate(wall, completed, 1),
        "average_intensity": rate(intensity_sum, completed, 2),
        "top_athletes": [{"athlete": a, "points": p, "wins": w, "matches": m,
                          "win_rate": rate(w, m)} for a, p, w, m in top],
        "top_countries": [{"country": c, "wins": w, "points": p, "matches": m}
                          for c, (w, p, m) in nations],
        "decisions": dict(sorted(decisions.items(), key=lambda i: (-i[1], i[0]))),
        "events": {"total": sum(kinds.values()), "by_kind": dict(sorted(kinds.items()))},
        "hourly": hourly, "peak_hour": peak["hour"] if peak else None,
        "challenges": figures["challenges"], "scoring": figures["scoring"],
    }


def group_report(rows: Iterable[Row]) -> dict[str, Any]:
    """A day's or a tournament's body straight from its matches' rows (all in one
    partial per day)."""
    by_day: dict[int | None, list[Row]] = {}
    for row in rows:
        by_day.setdefault(row[0].day_id, []).append(row)
    return group_body(group_partial(day) for day in by_day.values())
