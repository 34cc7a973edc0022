"""Court messages → workflow inputs, each request with the quota it found (pure).

The review does not keep a match state of its own: the station's ``StateChanged``
carries it. The pipeline publishes a batch's messages (``MessagesParsed``) and then the
state after the whole batch, so a challenge request in a batch must be judged on the
state *before* it (WT Article 21: was the athlete's quota already used up?). That is
the previous batch's state when the request is the batch's first message (one
datagram per batch, the usual case: nothing is folded), else that state with the
batch's earlier messages folded in by the protocol's own reducer. Only the kinds that
change what is judged (`FOLDED`: the challenge counts and the match identity) are
kept for that fold, so a flood's batch of clock and score messages costs one set
lookup per message; the folded state is dropped with the batch.

A match whose identity becomes known inside such a batch is reported before the
request that follows it (the request belongs to that match); every other identity
change comes from the state of ``StateChanged`` (:func:`identity_change`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from restrike.protocol import MatchState, Message, Parsed, reduce
from restrike.protocol.state import side_name
from restrike.review.naming import MatchIdentity, match_identity
from restrike.review.rules import quota_exhausted
from restrike.review.workflow import (
    ChallengeRequested,
    Input,
    MatchLoaded,
    Resolved,
    decision_from_udp,
)

__all__ = ["FOLDED", "BatchItem", "challenge_input", "court_inputs", "identity_change"]

#: The only kinds whose reduction changes ``challenge_counts`` (challenges; a loaded
#: match resets them) or `match_identity` (loaded, match number and id, athletes' names
#: and countries): folding these alone gives the request the same verdict.
FOLDED = frozenset({"challenge", "match_loaded", "match_config", "athlete"})

#: One datagram of a ``MessagesParsed`` batch: (seq, received_at, source, data, messages).
BatchItem = tuple[int, float, str, bytes, Sequence[Any]]


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def challenge_input(msg: Message, at: float, before: MatchState, quota: int) -> Input:
    """``chN`` → a request (flagged when the quota in ``before`` is used up);
    ``chN;1|0|-1`` and ``chN;1;1|0`` → the resolution."""
    athlete = msg.athlete if msg.athlete is not None else 0
    decision = decision_from_udp(_int(msg.fields.get("decision")),
                                 _int(msg.fields.get("outcome")))
    if decision is not None:
        return Resolved(at, decision, "referee", "udp")
    return ChallengeRequested(at, side_name(athlete) or "referee", "udp", athlete,
                              quota_exhausted=quota_exhausted(before, athlete, quota))


def identity_change(state: MatchState, seen: MatchIdentity | None, at: float
                    ) -> MatchLoaded | None:
    """``MatchLoaded`` when ``state`` names a match other than ``seen``."""
    identity = match_identity(state)
    if identity is None or identity == seen:
        return None
    return MatchLoaded(identity, at, "", "")


def court_inputs(before: MatchState, items: Iterable[BatchItem], *, quota: int,
                 seen: MatchIdentity | None) -> tuple[list[Input], MatchIdentity | None]:
    """The workflow inputs of one batch, in order, and the last match identity reported.

    ``before`` is the state before the batch (the last ``StateChanged``), ``seen`` the
    identity the review last reported.
    """
    inputs: list[Input] = []
    state = before
    behind: list[tuple[Parsed, float]] = []  # messages of the batch not folded yet
    for _seq, at, _source, _data, messages in items:
        for msg in messages:
            if msg.kind not in FOLDED:
                continue
            if isinstance(msg, Message) and msg.kind == "challenge":
                for earlier, earlier_at in behind:
                    state = reduce(state, earlier, earlier_at)
                    loaded = identity_change(state, seen, earlier_at)
                    if loaded is not None:
                        seen = loaded.identity
                        inputs.append(loaded)
                behind.clear()
                inputs.append(challenge_input(msg, at, state, quota))
            behind.append((msg, at))
    return inputs, seen
