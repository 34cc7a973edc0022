"""The simulator is a peer: it talks UDP through the protocol engine, never the station;
and what it offers is documented."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from restrike.protocol import parse
from restrike.simulator import generate
from restrike.simulator.interactive import HELP
from tests.simulator.checks import check_match, datagrams, split_matches

DOC = Path(__file__).resolve().parents[2] / "docs" / "simulator.md"


def test_simulator_imports_only_the_protocol_engine() -> None:
    code = ("import sys, restrike.simulator, restrike.simulator.interactive; "
            "print(sorted(m for m in sys.modules if m.startswith('restrike.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    modules = {m.strip(" '") for m in out.strip()[1:-1].split(",")}
    foreign = {m for m in modules if not m.startswith(("restrike.simulator",
                                                       "restrike.protocol", "restrike.errors"))}
    assert not foreign, foreign


def test_every_command_and_mode_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for mode in ("demo", "random", "replay", "interactive"):
        assert f"### `{mode}" in doc, mode
    for command in re.findall(r"^  ([a-z]+)", HELP, flags=re.MULTILINE):
        assert f"`{command}" in doc, command
    for option in ("--target", "--style", "--seed", "--speed", "--listen", "--scenario",
                   "--matches", "--rate", "--duration", "--capture", "--quiet"):
        assert option in doc, option
    for name in ("play(", "play_sync(", "start_thread(", "generate(", "SimulationResult"):
        assert name in doc, name


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32),
       scenario=st.sampled_from(["basic", "championship", "training", "para"]))
def test_any_seed_gives_a_consistent_match(seed: int, scenario: str) -> None:
    timeline = generate(scenario, seed)
    messages = [m for d in datagrams(timeline, "documented") for m in parse(d)]
    (match,) = split_matches(messages)
    check_match(match, timeline.matches[0], exact_names=True)
