"""The tagging rules against an independent recomputation.

Simulated matches (the simulator's own score ledger is the reference: why each total
moved, which point a won review took back) go through the real encoder and parser
into the tagger; every tag kind the ledger can decide is recomputed from it and
compared. Hand-made score sequences check the clock, round and hit-level rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from restrike.analysis.rules import Drop, Event, Rules, Tag, Tagger, leader
from restrike.simulator import MatchSummary, generate
from tests.analysis.feeds import events_of, surviving_tags

HEAD = {"point 3", "point 5"}


@dataclass
class _Entry:
    athlete: int
    points: int
    reason: str
    round: int
    before: tuple[int, int]
    after: tuple[int, int]
    round_after: tuple[int, int]
    removed: bool = False


def _replay(summary: MatchSummary) -> list[_Entry]:
    """The ledger as a score sequence; a negative entry removes the point it takes back."""
    totals = [0, 0]
    rounds: dict[int, list[int]] = {}
    entries: list[_Entry] = []
    for change in summary.ledger:
        before = (totals[0], totals[1])
        totals[change.athlete - 1] += change.points
        row = rounds.setdefault(change.round, [0, 0])
        row[change.athlete - 1] += change.points
        entry = _Entry(change.athlete, change.points, change.reason, change.round, before,
                       (totals[0], totals[1]), (row[0], row[1]))
        if change.points < 0:
            gains = [e for e in entries if e.athlete == change.athlete and e.points > 0
                     and not e.removed]
            exact = [e for e in gains if e.points == -change.points]
            (exact or gains)[-1].removed = True
        entries.append(entry)
    return entries


def _decisive(entries: list[_Entry], winner: int, last_round: int) -> _Entry | None:
    def start_of_lead(items: list[_Entry], scores: list[tuple[int, int]]) -> _Entry | None:
        k = len(items)
        while k and leader(scores[k - 1]) == winner:
            k -= 1
        return next((e for e in items[k:] if not e.removed), None)

    if entries and leader(entries[-1].after) == winner:
        return start_of_lead(entries, [e.after for e in entries])
    inside = [e for e in entries if e.round == last_round]
    if inside and leader(inside[-1].round_after) == winner:
        return start_of_lead(inside, [e.round_after for e in inside])
    return None


def _check_match(summary: MatchSummary, tags: list[Tag]) -> None:
    entries = _replay(summary)
    kept = [e for e in entries if e.points > 0 and not e.removed]
    by_kind = {kind: [t for t in tags if t.kind == kind] for kind in
               ("head_kick", "lead_change", "penalty", "decisive", "comeback",
                "review_overturned")}
    assert [t.athlete for t in by_kind["head_kick"]] == [
        e.athlete for e in kept if e.reason in HEAD]
    assert [(t.athlete, t.before, t.after) for t in by_kind["head_kick"]] == [
        (e.athlete, e.before, e.after) for e in kept if e.reason in HEAD]
    assert [(t.athlete, t.before, t.after) for t in by_kind["lead_change"]] == [
        (leader(e.after), e.before, e.after) for e in kept
        if leader(e.after) is not None and leader(e.after) != leader(e.before)]
    assert len(by_kind["penalty"]) == sum(e.reason == "gam-jeom" for e in kept)
    assert len(by_kind["review_overturned"]) == sum(
        c.outcome == "won" for c in summary.challenges)
    winner = summary.winner
    assert winner in (1, 2)
    last_round = sum(1 for w in summary.round_winners if w)
    expected = _decisive(entries, winner, last_round)
    assert [(t.athlete, t.after) for t in by_kind["decisive"]] == (
        [] if expected is None else [(winner, expected.after)])
    deficit = max((e.after[2 - winner] - e.after[winner - 1] for e in entries), default=0)
    assert len(by_kind["comeback"]) == (1 if deficit >= 5 else 0)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(1, 10_000), scenario=st.sampled_from(["championship", "basic",
                                                               "training"]))
def test_tags_match_a_recomputation_from_the_score_ledger(seed: int, scenario: str) -> None:
    timeline = generate(scenario, seed, 2)
    tags = surviving_tags(events_of(timeline))
    for number, summary in enumerate(timeline.matches, start=1):
        _check_match(summary, [t for t in tags if t.match == number])


def test_a_point_taken_back_drops_its_tags() -> None:
    feed = [("match_loaded", None, {}), ("score", 1, {"score": 0}),
            ("score", 2, {"score": 0}), ("round", None, {"round": 1}),
            ("clock", None, {"time": 5}), ("point", 1, {"technique": 5}),
            ("score", 1, {"score": 5}), ("score", 1, {"score": 0})]
    tagger = Tagger()
    changes = [c for i, (kind, who, args) in enumerate(feed, start=1)
               for c in tagger.feed(Event(i, 1, 100.0 + i, kind, who, args))]
    made = {c.kind for c in changes if isinstance(c, Tag)}
    assert made == {"head_kick", "turning_kick", "last_seconds", "lead_change"}
    assert changes[-1] == Drop(6)


def test_a_tie_has_no_leader_and_a_cancelled_review_is_no_tag() -> None:
    feed = [("match_loaded", None, {}), ("score", 1, {"score": 0}),
            ("score", 2, {"score": 0}), ("point", 1, {"technique": 1}),
            ("score", 1, {"score": 1}), ("point", 2, {"technique": 1}),
            ("score", 2, {"score": 1}), ("challenge", 1, {}),
            ("challenge", 1, {"decision": -1}), ("point", 2, {"technique": 2}),
            ("score", 2, {"score": 3})]
    tags = surviving_tags([Event(i, 1, float(i), k, a, f)
                           for i, (k, a, f) in enumerate(feed, start=1)])
    assert [(t.kind, t.athlete, t.before, t.after) for t in tags] == [
        ("lead_change", 1, (0, 0), (1, 0)), ("lead_change", 2, (1, 1), (1, 3))]


# -- the clock, the golden point round and hit levels, from hand-made sequences ------

ACTION = st.tuples(st.integers(1, 2), st.integers(1, 5), st.integers(0, 120),
                   st.integers(1, 4))


@settings(max_examples=60, deadline=None)
@given(actions=st.lists(ACTION, max_size=30), last=st.integers(1, 20))
def test_last_seconds_and_golden_point_follow_clock_and_round(
        actions: list[tuple[int, int, int, int]], last: int) -> None:
    events = [Event(1, 1, 0.0, "match_loaded"), Event(2, 1, 0.0, "score", 1, {"score": 0}),
              Event(3, 1, 0.0, "score", 2, {"score": 0})]
    totals = [0, 0]
    expected_last, expected_golden = [], []
    for athlete, technique, clock, rnd in actions:
        at = float(len(events))
        events += [Event(len(events) + 1, 1, at, "round", None, {"round": rnd}),
                   Event(len(events) + 2, 1, at, "clock", None, {"time": clock}),
                   Event(len(events) + 3, 1, at, "point", athlete, {"technique": technique})]
        point_id = len(events)
        totals[athlete - 1] += technique
        events.append(Event(point_id + 1, 1, at, "score", athlete,
                            {"score": totals[athlete - 1]}))
        if clock <= last:
            expected_last.append(point_id)
        if rnd > 3:
            expected_golden.append(point_id)
    tags = surviving_tags(events, Tagger(Rules(last_seconds=last)))
    assert [t.event_id for t in tags if t.kind == "last_seconds"] == expected_last
    assert [t.event_id for t in tags if t.kind == "golden_point"] == expected_golden
    for tag in tags:
        assert 0.0 <= tag.weight <= 1.0


@settings(max_examples=60, deadline=None)
@given(levels=st.lists(st.tuples(st.integers(1, 2), st.integers(0, 100)), max_size=120),
       share=st.sampled_from([0.05, 0.1, 0.25]), minimum=st.integers(1, 30))
def test_high_impact_is_the_athletes_top_share_so_far(
        levels: list[tuple[int, int]], share: float, minimum: int) -> None:
    events = [Event(i, 1, float(i), "hit_level", who, {"level": level}, "2027-01-15")
              for i, (who, level) in enumerate(levels, start=1)]
    tags = surviving_tags(events, Tagger(Rules(high_impact_share=share,
                                               high_impact_min_hits=minimum)))
    expected = []
    seen: dict[int, list[int]] = {1: [], 2: []}
    for event in events:
        level = int(event.args["level"] or 0)
        if level <= 0:
            continue
        mine = seen[event.athlete or 0]
        mine.append(level)
        above = sum(other > level for other in mine)
        if len(mine) >= minimum and above < share * len(mine):
            expected.append(event.id)
    assert [t.event_id for t in tags if t.kind == "high_impact"] == expected
