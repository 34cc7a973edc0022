"""`court_inputs` folds only the kinds in `FOLDED`: its inputs must equal those of the
whole batch folded message by message (the state before each request, every identity
the batch makes known), on feeds with several matches and quotas that run out."""

from __future__ import annotations

import pytest

from restrike.bench.parse import realistic_mix
from restrike.protocol import MatchState, Message, parse, reduce
from restrike.review.court import BatchItem, challenge_input, court_inputs, identity_change
from restrike.review.naming import MatchIdentity
from restrike.review.workflow import Input, MatchLoaded


def _whole_fold(before: MatchState, items: list[BatchItem], quota: int,
                seen: MatchIdentity | None) -> tuple[list[Input], MatchIdentity | None]:
    """What the review must see: every message folded, a request judged on the state
    before it, an identity reported as soon as a folded message makes it known."""
    inputs: list[Input] = []
    state = before
    for _seq, at, _source, _data, messages in items:
        for msg in messages:
            if isinstance(msg, Message) and msg.kind == "challenge":
                inputs.append(challenge_input(msg, at, state, quota))
            state = reduce(state, msg, at)
            loaded = identity_change(state, seen, at)
            if loaded is not None:
                seen = loaded.identity
                inputs.append(loaded)
    return inputs, seen


def _batches(seed: int, size: int) -> list[list[BatchItem]]:
    datagrams = realistic_mix(seed=seed, datagrams=3000)
    datagrams += [d.replace(b"1203;", b"1204;").replace(b"KIM", b"LEE")  # another match
                  for d in realistic_mix(seed=seed + 1, datagrams=1500)]
    lost = iter(range(len(datagrams)))  # every other challenge lost: quotas run out
    datagrams = [b"ch1;1;0\r\n" if d == b"ch1;1;1\r\n" and next(lost) % 2 else d
                 for d in datagrams]
    items: list[BatchItem] = [(i, float(i), "s", d, parse(d)) for i, d in enumerate(datagrams)]
    return [items[i:i + size] for i in range(0, len(items), size)]


@pytest.mark.parametrize(("seed", "size", "quota"), [(7, 1, 1), (8, 37, 1), (9, 256, 2)])
def test_the_filtered_fold_judges_like_the_whole_one(seed: int, size: int, quota: int) -> None:
    state, seen_ours, seen_ref = MatchState(), None, None
    requests = flagged = identities = 0
    for batch in _batches(seed, size):
        ours, seen_ours = court_inputs(state, batch, quota=quota, seen=seen_ours)
        ref, seen_ref = _whole_fold(state, batch, quota, seen_ref)
        # Everything up to the batch's last request or resolution, in order; an
        # identity made known after it is left to the StateChanged after the batch.
        last = max((n for n, i in enumerate(ref) if not isinstance(i, MatchLoaded)),
                   default=-1)
        assert ours == ref[:last + 1]
        identities += sum(1 for i in ours if isinstance(i, MatchLoaded))
        for _seq, at, _source, _data, messages in batch:
            for msg in messages:
                state = reduce(state, msg, at)
        loaded = identity_change(state, seen_ours, 0.0)  # what StateChanged reports
        if loaded is not None:
            seen_ours = loaded.identity
        seen_ref = seen_ours
        requests += sum(1 for i in ours if hasattr(i, "quota_exhausted"))
        flagged += sum(1 for i in ours if getattr(i, "quota_exhausted", False))
    assert requests > 10 and flagged > 0  # the feeds hold requests, some out of quota
    if size == 256:  # both matches, each made known inside a batch before a request
        assert identities == 2
