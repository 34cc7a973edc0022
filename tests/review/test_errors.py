"""Failed steps reach the live consoles at once."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from restrike.bus import Broadcast, Bus
from restrike.errors import ObsUnavailable, PlayerError
from restrike.review.component import Review
from restrike.review.options import ReviewOptions
from tests.review.conftest import Clock, Context, body, load_match, review_errors, settle


async def test_each_failed_step_is_published_and_logged(
        rig: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    review = rig["review"]
    await load_match(rig)
    rig["pool"].set_down("rec", True)
    with caplog.at_level(logging.WARNING, logger="restrike.review"):
        rig["court"].send(b"ch2", rig["clock"].t + 3)
        await settle(review)
    (sent,) = review_errors(rig)
    assert sent.type == "review" and sent.coalesce is False  # never replaced for slow clients
    assert body(sent)["active"] and body(sent)["requested_by"] == "red"
    assert body(sent)["error"].startswith("review 1: replay not saved") and \
        "not connected" in body(sent)["error"]
    assert any("replay not saved" in r.getMessage() for r in caplog.records)
    await review.close_review()
    await settle(review)  # closing restarts the replay buffer: OBS is still away
    assert body(review_errors(rig)[-1])["error"].startswith("replay buffer: ")
    rig["pool"].set_down("rec", False)

    rig["pool"].get("rec")._client.fail_save = ObsUnavailable("no ReplayBufferSaved in 15 s")
    await review.request_replay()
    await settle(review)
    assert "ReplayBufferSaved in 15 s" in body(review_errors(rig)[-1])["error"]
    await review.close_review()

    rig["pool"].get("rec")._client.fail_save = None
    rig["player"].fail = PlayerError("mpv is not running")
    await review.request_replay()
    await settle(review)
    assert "mpv is not running" in body(review_errors(rig)[-1])["error"]
    assert len(review_errors(rig)) == 4


async def test_no_obs_configured_is_published_at_once(tmp_path: Path) -> None:
    bus = Bus(asyncio.get_running_loop())
    got: list[Broadcast] = []
    arrived = asyncio.Event()

    def on(b: Broadcast) -> None:
        got.append(b)
        if body(b)["event"] == "review_error":
            arrived.set()

    bus.subscribe(Broadcast, on)
    review = Review(ReviewOptions(recordings_root=tmp_path / "rec"), clock=Clock())
    await review.start(Context(bus))
    try:
        await review.request_replay()
        await asyncio.wait_for(arrived.wait(), 1.0)
        (sent,) = [b for b in got if body(b)["event"] == "review_error"]
        assert "no OBS is configured" in body(sent)["error"]
        assert body(sent)["error"].endswith(review.review_json()["error"])  # + "review 1: "
        assert review.health()["error"] == body(sent)["error"]
    finally:
        await review.stop()



async def test_a_failed_task_is_reported(rig: dict[str, Any],
                                         caplog: pytest.LogCaptureFixture) -> None:
    """A bug in a step's task (not an OBS error) reaches the consoles; its traceback is
    logged once, by the station that ran the task (here the test's context)."""
    rig["pool"].get("live")._client.fail_scene = RuntimeError("boom")
    with caplog.at_level(logging.ERROR):
        await rig["review"].request_replay()
        await settle(rig["review"])
    assert body(review_errors(rig)[-1])["error"] == \
        "review task review-scene-IVR_SCENE failed: boom"
    logged = [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged == [("tests.review.conftest",
                       "background task review-scene-IVR_SCENE failed")]
