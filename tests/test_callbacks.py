"""`Subscribers`: the one subscriber list of the store, the OBS clients and the player."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from restrike.callbacks import Subscribers

log = logging.getLogger("restrike.test")


def test_publish_in_order_and_unsubscribe(caplog: pytest.LogCaptureFixture) -> None:
    subs: Subscribers[int] = Subscribers(log, "test subscriber")
    seen: list[tuple[str, int]] = []

    def broken(item: int) -> None:
        raise RuntimeError("boom")

    first = subs.add(lambda i: seen.append(("a", i)))
    subs.add(broken)
    subs.add(lambda i: seen.append(("b", i)))
    assert len(subs) == 3 and subs
    with caplog.at_level(logging.ERROR, logger="restrike.test"):
        subs.publish(1)
    assert seen == [("a", 1), ("b", 1)]
    assert "test subscriber" in caplog.text and "boom" in caplog.text
    first()
    first()  # twice is harmless
    subs.publish(2)
    assert seen[-1] == ("b", 2) and ("a", 2) not in seen and len(subs) == 2


def test_unsubscribing_while_publishing_takes_effect_next_time() -> None:
    subs: Subscribers[str] = Subscribers(log, "x")
    seen: list[str] = []
    remove: list[Callable[[], None]] = []

    def once(item: str) -> None:
        seen.append(item)
        remove[0]()

    remove.append(subs.add(once))
    subs.add(seen.append)
    subs.publish("a")
    subs.publish("b")
    assert seen == ["a", "a", "b"] and len(subs) == 1
