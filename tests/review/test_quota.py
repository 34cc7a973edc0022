"""WT Article 21 in the component: a request without quota is recorded and flagged."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.review.conftest import body, load_match, review_errors, settle


async def test_request_without_quota_is_recorded_and_flagged(rig: dict[str, Any]) -> None:
    review, court, clock = rig["review"], rig["court"], rig["clock"]
    await load_match(rig)
    t0 = clock.t
    court.send(b"ch1", t0 + 1)
    await settle(review)
    assert review.review_json()["quota_exhausted"] is False
    court.send(b"ch1;0", t0 + 2)  # rejected: blue's only challenge is used
    await settle(review)
    assert review.review_json()["quota"] == [0, 1]

    court.send(b"ch1", t0 + 3)  # blue again, with nothing left
    await settle(review)
    current = review.review_json()
    assert current["active"] and current["requested_by"] == "blue"
    assert current["quota_exhausted"] is True
    assert "no challenge left" in current["error"] and "blue" in current["error"]
    started = [b.body for b in rig["broadcasts"] if b.body["event"] == "review_started"]
    assert started[-1]["quota_exhausted"] is True
    assert "no challenge left" in body(review_errors(rig)[-1])["error"]
    assert rig["player"].opened  # still replayed: the referee decides
    court.send(b"ch1;0", t0 + 6)
    await settle(review)
    await asyncio.sleep(0.05)
    rows = await review.clips()
    assert len(rows) == 2  # nothing lost
    flagged = next(r for r in rows if r["requested_at"] == t0 + 3)
    assert "no challenge left" in flagged["error"] and flagged["decision"] == "rejected"
    assert next(r for r in rows if r["requested_at"] == t0 + 1)["error"] is None


async def test_referee_and_red_are_not_flagged(rig: dict[str, Any]) -> None:
    review, court, clock = rig["review"], rig["court"], rig["clock"]
    await load_match(rig)
    t0 = clock.t
    for i, (ask, decide) in enumerate([(b"ch0", b"ch0;0"), (b"ch0", b"ch0;0"),
                                       (b"ch2", b"ch2;1;1"), (b"ch2", b"ch2;0")]):
        court.send(ask, t0 + 2 * i + 1)
        await settle(review)
        current = review.review_json()
        assert current["active"] and current["quota_exhausted"] is False, ask
        assert current["error"] is None
        court.send(decide, t0 + 2 * i + 2)
        await settle(review)
    assert review.review_json()["quota"] == [1, 0]  # red's second was rejected
    assert review_errors(rig) == []


async def test_quota_counts_what_the_capped_history_dropped(rig: dict[str, Any]) -> None:
    """Blue's rejected challenge leaves the 64-entry history in a storm of referee
    reviews; the running counts still have it, so blue's next request is flagged."""
    from restrike.protocol.state import CHALLENGE_HISTORY

    review, court, clock = rig["review"], rig["court"], rig["clock"]
    await load_match(rig)
    t0 = clock.t
    for i, line in enumerate([b"ch1", b"ch1;0", b"ch1", b"ch1;1", b"ch1;1;1"]):
        court.send(line, t0 + 1 + i)  # rejected (used), then a second one won
        await settle(review)
    for i in range(CHALLENGE_HISTORY + 10):
        court.send(b"ch0", t0 + 10 + i * 0.01)
    court.send(b"ch0;-1", t0 + 12)
    await settle(review)
    state = review.state
    assert state.challenges_dropped == 2 + 10  # 2 blue + 74 referee, 64 kept
    assert [c.status for c in state.challenges if c.athlete == 1] == ["accepted"]
    assert review.review_json()["quota"] == [0, 1]

    court.send(b"ch1", t0 + 13)
    await settle(review)
    assert review.review_json()["quota_exhausted"] is True
