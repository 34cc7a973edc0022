"""What the court feed changed of a scoreboard the operator kept by hand (pure).

When the feed returns, its absolute messages take over field by field; the console
shows, for each field the operator could enter, the manual value next to the feed's.
"""

from __future__ import annotations

from typing import Any

from restrike.protocol import MatchState

__all__ = ["differences"]


def _fields(state: MatchState) -> dict[str, Any]:
    winner = state.winner
    return {
        "scores": list(state.scores),
        "round_scores": [list(r) for r in state.round_scores],
        "warnings": list(state.warnings),
        "round": state.round,
        "clock": state.clock.seconds,
        "winner": winner.color if winner is not None else None,
    }


def differences(manual: MatchState, feed: MatchState) -> list[dict[str, Any]]:
    """``[{"field", "manual", "feed"}]`` for each field whose value differs."""
    before, after = _fields(manual), _fields(feed)
    return [{"field": name, "manual": before[name], "feed": after[name]}
            for name in before if before[name] != after[name]]
