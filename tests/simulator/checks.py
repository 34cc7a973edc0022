"""What every simulated match must satisfy once reduced by the protocol engine."""

from __future__ import annotations

from restrike.protocol import Message, Parsed, Style, Value, reduce
from restrike.protocol.state import MatchState
from restrike.simulator import MatchSummary, Timeline, encode_items

POINTS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}


def num(value: Value) -> int:
    assert isinstance(value, int), value
    return value


def datagrams(timeline: Timeline, style: Style = "real") -> list[bytes]:
    return [d for step in timeline.steps for d in encode_items(step.items, style)]


def split_matches(messages: list[Parsed]) -> list[list[Parsed]]:
    """One list of messages per match (each starts at `pre`)."""
    matches: list[list[Parsed]] = []
    for msg in messages:
        if msg.code == "pre":
            matches.append([])
        if matches:
            matches[-1].append(msg)
    return matches


def check_match(messages: list[Parsed], summary: MatchSummary, *, exact_names: bool) -> None:
    """Scores, penalties, rounds, winner and challenge quota are consistent."""
    bad = [m for m in messages if not isinstance(m, Message)]
    if exact_names:
        assert not bad
    else:
        # A character-sized cut that ends right after a `;` looks complete to the parser,
        # which then reports the missing last field (known protocol-engine limitation).
        assert all(m.code in ("at2", "wmh") for m in bad), bad
        messages = [m for m in messages if isinstance(m, Message)]
    state = MatchState()
    for msg in messages:
        state = reduce(state, msg, 0.0)
    # the board the station sees is the one the generator meant
    assert state.scores == summary.scores
    assert tuple(state.round_scores[0]) == summary.round_scores[0]
    assert tuple(state.round_scores[1]) == summary.round_scores[1]
    assert state.warnings == summary.warnings
    assert tuple(state.round_winners) == summary.round_winners
    # sc is the match total: the sum of the round scores
    assert state.scores == (sum(state.round_scores[0]), sum(state.round_scores[1]))

    # scores = what the points and the opponent's penalties gave, minus review removals
    gained = [0, 0]
    removed = [0, 0]
    previous = [[0, 0, 0], [0, 0, 0]]
    for msg in messages:
        assert isinstance(msg, Message)
        if msg.kind == "point":
            gained[num(msg.athlete) - 1] += POINTS[num(msg.fields["technique"])]
        if msg.kind == "round_score":
            a, r = num(msg.athlete) - 1, num(msg.fields["round"]) - 1
            value = num(msg.fields["score"])
            if value < previous[a][r]:
                removed[a] += previous[a][r] - value
            previous[a][r] = value
    for a in (0, 1):
        assert state.scores[a] == gained[a] + state.warnings[1 - a] - removed[a]
    # removals only come from won reviews
    ledger_removed = [-sum(c.points for c in summary.ledger if c.athlete == a + 1
                           and c.reason == "challenge") for a in (0, 1)]
    assert removed == ledger_removed

    # the winner matches the decision and the rounds
    assert state.winner is not None and summary.winner in (1, 2)
    assert state.winner.athlete == summary.winner
    assert state.winner.color == ("BLUE" if summary.winner == 1 else "RED")
    assert state.winner.points == summary.scores
    decision = state.winner.decision or ""
    if exact_names:
        assert decision == summary.decision
    else:  # tkStrike's character-sized datagrams may cut the end of `wmh`
        assert summary.decision is not None and summary.decision.startswith(decision)
    winners = summary.round_winners
    played = max(num(m.fields["round"]) for m in messages
                 if isinstance(m, Message) and m.kind == "round")
    assert all(w in (1, 2) for w in winners[:played]), (winners, played)
    assert all(w == 0 for w in winners[played:])
    if summary.decision != "RSC":
        assert winners.count(summary.winner) == 2
        assert winners.count(3 - summary.winner) <= 1

    # challenge quota: one card per coach, kept only when the review is won
    for coach in (1, 2):
        spent = False
        for ch in (c for c in summary.challenges if c.by == coach):
            assert not spent, f"coach {coach} challenged without a card"
            spent = ch.decision == "rejected" or ch.outcome == "lost"
    requested = [c for c in state.challenges if c.status == "requested"]
    assert not requested, "every review got a decision"
