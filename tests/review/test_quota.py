"""WT Article 21 in the component: a request without quota is recorded and flagged."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.review.conftest import load_match, review_errors, settle


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
    assert "no challenge left" in review_errors(rig)[-1].body["error"]
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
