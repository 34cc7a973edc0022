"""The simulated competitions: round lengths and how often each thing happens."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SCENARIOS", "Scenario", "get_scenario"]

from restrike.errors import SimulatorError


@dataclass(frozen=True, slots=True)
class Scenario:
    """Rates are chances per second of running clock unless said otherwise."""

    name: str
    description: str
    round_seconds: int
    break_seconds: int
    point_rate: float
    techniques: tuple[tuple[int, float], ...]  # (pt type, weight)
    hit_rate: float  # hits below the scoring threshold
    glued_hits: float  # share of those where both protectors registered at once
    gamjeom_rate: float
    stoppage_rate: float  # referee time-outs (kal-yeo): clk stop ... start
    injury_chance: float  # per round
    rsc_share: float  # share of injuries after which the athlete cannot go on
    coach_challenge: float  # chance the other coach challenges right after a point
    referee_review: float  # per round
    hardware_test: bool = False
    para: bool = False
    para_timeout_chance: float = 0.0  # per round
    para_timeout_seconds: int = 60
    division: str = "Senior"


_OLYMPIC = ((1, 0.34), (2, 0.36), (3, 0.16), (4, 0.08), (5, 0.06))

SCENARIOS: dict[str, Scenario] = {
    s.name: s for s in (
        Scenario("basic", "short rounds (3 x 0:30, 0:10 breaks), points, hits and penalties",
                 round_seconds=30, break_seconds=10, point_rate=0.15, techniques=_OLYMPIC,
                 hit_rate=0.1, glued_hits=0.0, gamjeom_rate=0.02, stoppage_rate=0.0,
                 injury_chance=0.0, rsc_share=0.0, coach_challenge=0.0, referee_review=0.0),
        Scenario("championship", "3 x 2:00, 1:00 breaks, every feature of a real court",
                 round_seconds=120, break_seconds=60, point_rate=0.05, techniques=_OLYMPIC,
                 hit_rate=0.12, glued_hits=0.25, gamjeom_rate=0.015, stoppage_rate=0.008,
                 injury_chance=0.2, rsc_share=0.1, coach_challenge=0.2, referee_review=0.1),
        Scenario("training", "hardware test, then 3 x 1:00 with many points",
                 round_seconds=60, break_seconds=30, point_rate=0.3, techniques=_OLYMPIC,
                 hit_rate=0.2, glued_hits=0.2, gamjeom_rate=0.02, stoppage_rate=0.0,
                 injury_chance=0.0, rsc_share=0.0, coach_challenge=0.1, referee_review=0.0,
                 hardware_test=True, division="Cadet"),
        # Para (K44): only kicks to the body score here; the para-specific point values
        # and time-out length are not modelled (see docs/simulator.md).
        Scenario("para", "para-taekwondo: 3 x 2:00, body kicks only, to1/to2 time-outs",
                 round_seconds=120, break_seconds=60, point_rate=0.045,
                 techniques=((2, 0.8), (4, 0.2)), hit_rate=0.12, glued_hits=0.2,
                 gamjeom_rate=0.02, stoppage_rate=0.005, injury_chance=0.1, rsc_share=0.0,
                 coach_challenge=0.15, referee_review=0.05, para=True,
                 para_timeout_chance=0.3, division="Para"),
    )
}


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise SimulatorError(
            f"unknown scenario {name!r} (known: {', '.join(SCENARIOS)})") from None
