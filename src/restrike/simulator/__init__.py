"""A court's scoring software (tkStrike) simulated: WT matches sent over UDP.

A peer of the station, never part of it: it only speaks the protocol, through the
pure engine in `restrike.protocol`. The match generator is pure and seeded; the
runner plays timelines over UDP and answers pull requests like tkStrike.

Public API (see docs/simulator.md): `play`, `play_sync`, `start_thread`,
`play_random`, `play_capture`, `generate`, `SimulationResult`, `SCENARIOS`.
"""

from restrike.errors import SimulatorError
from restrike.simulator._court import Correction, Court, MatchSetup, MatchSummary, ScoreChange
from restrike.simulator._items import Raw, Step, encode_items, make
from restrike.simulator.api import (
    SimulationResult,
    SimulatorThread,
    play,
    play_capture,
    play_random,
    play_sync,
    start_thread,
)
from restrike.simulator.match import Timeline, generate, iter_matches
from restrike.simulator.runner import Progress, Runner
from restrike.simulator.scenarios import SCENARIOS, Scenario

__all__ = [
    "SCENARIOS",
    "Correction",
    "Court",
    "MatchSetup",
    "MatchSummary",
    "Progress",
    "Raw",
    "Runner",
    "Scenario",
    "ScoreChange",
    "SimulationResult",
    "SimulatorError",
    "SimulatorThread",
    "Step",
    "Timeline",
    "encode_items",
    "generate",
    "iter_matches",
    "make",
    "play",
    "play_capture",
    "play_random",
    "play_sync",
    "start_thread",
]
