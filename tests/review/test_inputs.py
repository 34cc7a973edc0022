"""The review's inputs from the station: court batches judged on the station's state,
live settings, and a store that opens after the station started."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from restrike.bus import Bus, SettingsChanged
from restrike.protocol import MatchState, Message, Parsed, reduce
from restrike.review import court as court_module
from restrike.review import recorder
from restrike.review.component import Review
from restrike.review.options import ReviewOptions
from restrike.store import Store
from tests.helpers import wait_until as until
from tests.review.conftest import MATCH, Clock, Context, load_match, settle
from tests.review.fakes import FakePlayer, FakePool


async def test_one_datagram_per_batch_folds_nothing(rig: dict[str, Any],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Each request is judged on the state of the station's last StateChanged: the
    review reduces no message itself."""
    folded: list[Parsed] = []

    def counting(state: MatchState, msg: Parsed, now: float) -> MatchState:
        folded.append(msg)
        return reduce(state, msg, now)

    monkeypatch.setattr(court_module, "reduce", counting)
    review, court, clock = rig["review"], rig["court"], rig["clock"]
    await load_match(rig)
    t0 = clock.t
    for i, line in enumerate([b"ch1", b"ch1;0", b"ch1"]):
        court.send(line, t0 + 1 + i)
        await settle(review)
    assert review.review_json()["quota_exhausted"] is True
    assert review.review_json()["quota"] == [0, 1] and folded == []
    assert review.state is court.state  # the station's state, not a copy of its own


async def test_a_request_inside_a_batch_sees_the_messages_before_it(
        rig: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Blue asks, is rejected and asks again within one batch: the second request
    finds the quota used up, although the state published before the batch had it."""
    folded: list[Parsed] = []

    def counting(state: MatchState, msg: Parsed, now: float) -> MatchState:
        folded.append(msg)
        return reduce(state, msg, now)

    review, court, clock = rig["review"], rig["court"], rig["clock"]
    await load_match(rig)
    monkeypatch.setattr(court_module, "reduce", counting)
    t0 = clock.t + 1
    court.batch([b"ch1", b"ch1;0", b"ch1"], t0)
    await settle(review)
    current = review.review_json()
    assert current["id"] == 2 and current["active"] and current["quota_exhausted"] is True
    # only the messages before the last request were folded, once each
    assert [m.raw for m in folded if isinstance(m, Message)] == ["ch1", "ch1;0"]
    await asyncio.sleep(0.05)
    rows = {r["requested_at"]: r for r in await review.clips()}
    assert rows[t0]["decision"] == "rejected" and rows[t0]["error"] is None
    assert "no challenge left" in rows[t0 + 0.002]["error"]


async def test_a_match_and_a_request_in_one_batch(rig: dict[str, Any]) -> None:
    """The match loaded in the batch comes before the request that follows it."""
    review = rig["review"]
    rig["court"].batch([*MATCH, b"ch2"])
    await settle(review)
    current = review.review_json()
    assert current["active"] and current["match"] == "101"
    assert current["requested_by"] == "red" and current["quota_exhausted"] is False
    assert review.flow.identity is not None and review.flow.identity.number == "101"


async def test_live_settings_apply_what_the_review_owns(
        rig: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    review, bus, player = rig["review"], rig["bus"], rig["player"]
    before = review.options
    bus.publish(SettingsChanged({"review.quota": 2, "playback.start_offset": 7.5,
                                 "review.mode": "tail", "review.hotkey": "F8",
                                 "review.recordings_root": "/elsewhere", "udp.port": 6001}))
    options = review.options
    assert (options.quota, options.start_offset, options.mode) == (2, 7.5, "tail")
    assert options.hotkey == before.hotkey and options.recordings_root == \
        before.recordings_root  # need a restart: not the review's to change live
    assert review.review_json()["quota"] == [2, 2] and review.review_json()["mode"] == "tail"
    with caplog.at_level(logging.WARNING, logger="restrike.review"):
        bus.publish(SettingsChanged({"review.mode": "live", "review.quota": 3}))
    assert review.options == options  # nothing of an invalid change is applied
    assert any("review.mode" in r.getMessage() for r in caplog.records)
    bus.publish(SettingsChanged({"review.mode": "save"}))
    await review.request_replay()
    await settle(review)
    assert player.opened[-1][1] == 7.5  # the clip from the new start offset


async def test_a_store_that_opens_late_is_attached(tmp_path: Path, clock: Clock,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A degraded start: reviews run unarchived until the database opens, then the
    review attaches and archives the next ones."""
    monkeypatch.setattr(recorder, "ATTACH_POLL", 0.05)
    (tmp_path / "blocker").write_text("a file where the data folder should be\n")
    store = Store(tmp_path / "blocker" / "data" / "station.sqlite3", retry_open=True,
                  spill_dir=tmp_path)
    store.start()
    review = Review(ReviewOptions(recordings_root=tmp_path / "rec", tournament="Open"),
                    store=store, obs=FakePool(tmp_path / "obs"), player=FakePlayer(),
                    clock=clock)
    try:
        await review.start(Context(Bus(asyncio.get_running_loop())))
        assert review.health()["archived"] is False
        await review.request_replay(requested_by="table")
        await settle(review)
        await review.close_review(decision="accepted")
        assert await review.clips() == []  # not archived, but the review ran
        assert review.review_json()["decision"] == "accepted"
        (tmp_path / "blocker").unlink()  # the folder can be written again
        await until(lambda: review.health()["archived"], 30, "the archive attached")
        await review.request_replay(requested_by="coach")
        await settle(review)
        await review.close_review(decision="rejected")
        await settle(review)
        (row,) = await review.clips()
        assert (row["requested_by"], row["decision"]) == ("coach", "rejected")
    finally:
        await review.stop()
        store.close()
