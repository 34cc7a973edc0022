"""A match's analytics body, from its stored summary: pure, the same for every engine.

`match_report(ref, summary, timeline)` is ``GET /api/v1/analytics/matches/{id}``; the
`side_figures` it builds per athlete are also what the athlete and group aggregates
add up (`restrike.analytics.aggregate`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

from restrike.analytics.model import SIDES, TECHNIQUES, MatchRef

__all__ = ["COLORS", "iso", "match_report", "rate", "side_figures", "technique_table"]

COLORS = {1: "BLUE", 2: "RED"}


def iso(t: float | None) -> str | None:
    """Epoch seconds → ISO 8601 UTC with milliseconds (floored, like the store's)."""
    if t is None:
        return None
    whole = math.floor(t)
    ms = min(int((t - whole) * 1000), 999)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{ms:03d}Z"


def rate(part: float, whole: float, digits: int = 3) -> float:
    """``part / whole`` rounded; 0 when there is no whole (an empty tournament is zeros)."""
    return round(part / whole, digits) if whole else 0.0


def technique_table(counts: Sequence[int]) -> dict[str, dict[str, int]]:
    """``{"punch": {"count", "points"}, ...}``: a technique's value is its points."""
    return {name: {"count": counts[i], "points": counts[i] * (i + 1)}
            for i, name in enumerate(TECHNIQUES)}


def _hit_levels(hits: Sequence[int], hist: Sequence[int]) -> dict[str, Any]:
    count, total, top = hits
    return {"count": count, "mean": rate(total, count, 1), "max": top,
            "histogram": [{"from": i * 10, "to": 100 if i == 9 else i * 10 + 9, "count": n}
                          for i, n in enumerate(hist)]}


def side_figures(side: Mapping[str, Any]) -> dict[str, Any]:
    """One side's figures as the API shows them (a match's, or summed for an athlete)."""
    techniques = technique_table(side["techniques"])
    head = techniques["head"]["points"] + techniques["technical_head"]["points"]
    body = techniques["body"]["points"] + techniques["technical_body"]["points"]
    by_state = side["by_state"]
    challenges = dict(side["challenges"])
    challenges["success_rate"] = rate(challenges["won"], challenges["made"])
    return {
        "techniques": techniques,
        "gam_jeoms": side["gam_jeoms"],
        "gam_jeom_points": side["gam_jeom_points"],
        "hit_levels": _hit_levels(side["hits"], side["hit_hist"]),
        "challenges": challenges,
        "injuries": {"count": side["injuries"], "seconds": side["injury_seconds"]},
        "scoring": {
            "by_state": {"leading": by_state[0], "tied": by_state[1], "trailing": by_state[2]},
            "by_round": {r: p for r, p in sorted(side["by_round"].items(), key=_round_key)},
            "last_30s": side["last30"],
            "conceded": side["conceded"], "answered_within_5s": side["answered"],
            "answer_rate": rate(side["answered"], side["conceded"]),
            "head_points": head, "body_points": body,
            "head_share": rate(head, head + body), "body_share": rate(body, head + body),
        },
    }


def _last_round(rounds: Mapping[str, int]) -> int:
    """Three rounds, or more when a golden point round (4) was scored in."""
    return max([3, *(int(r) for r in rounds if r.isdigit())])


def _round_key(item: tuple[str, Any]) -> int:
    return int(item[0]) if item[0].isdigit() else 0


def _timeline_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    blue, red = entry["score"]
    return {"time": iso(entry["t"]), "round": entry["round"], "clock": entry["clock"],
            "athlete": SIDES[entry["athlete"] - 1], "points": entry["points"],
            "score": {"blue": blue, "red": red}, "cause": entry["cause"],
            "technique": TECHNIQUES[entry["technique"] - 1] if entry["technique"] else None}


def duration(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Fight time from the clock; wall time from the clock's first start (else the first
    message) to the winner (else the last message)."""
    start = summary["started_at"] or summary["first_t"]
    end = summary["ended_at"] or summary["last_t"]
    wall = round(end - start, 3) if start is not None and end is not None else 0.0
    return {"fight_seconds": summary["fight_seconds"], "wall_seconds": max(wall, 0.0),
            "fight_by_round": summary["fight_by_round"]}


def intensity(summary: Mapping[str, Any]) -> float:
    """Scoring actions (``pt`` messages) per minute of fight time."""
    return rate(summary["actions"] * 60, summary["fight_seconds"], 2)


def match_report(ref: MatchRef, summary: Mapping[str, Any],
                 timeline: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The body of ``GET /api/v1/analytics/matches/{id}``."""
    sides = summary["sides"]
    athletes = []
    for number, name in ((1, "blue"), (2, "red")):
        side = sides[number]
        athlete = ref.athlete(number)
        rounds = side["round_scores"]
        athletes.append({
            "side": name, "athlete": athlete.as_dict() if athlete else None,
            "score": side["score"],
            "round_scores": [rounds.get(str(r), 0) for r in range(1, _last_round(rounds) + 1)],
            **side_figures(side)})
    winner = summary["winner"]
    return {
        "match": {**ref.as_dict(), "finished": winner is not None},
        "athletes": athletes,
        "winner": COLORS.get(winner) if winner else None,
        "decision": summary["decision"],
        "round_winners": [SIDES[w - 1] if w in (1, 2) else None
                          for w in summary["round_winners"]],
        "duration": duration(summary),
        "intensity": intensity(summary),
        "referee": {"challenges": side_figures(sides[0])["challenges"],
                    "injuries": {"count": sides[0]["injuries"],
                                 "seconds": sides[0]["injury_seconds"]}},
        "events": {"total": summary["events"], "by_kind": summary["kinds"]},
        "timeline": [_timeline_entry(e) for e in timeline],
        "timeline_total": summary["timeline_total"],
    }
