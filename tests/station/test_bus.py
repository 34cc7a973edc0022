"""The bus: typed topics, unsubscribe, bounded async subscriptions."""

from __future__ import annotations

import asyncio

import pytest

from restrike.bus import Broadcast, Bus, Overflow, Policy, StateChanged, StatusChanged
from restrike.protocol import MatchState


def test_subscribe_by_type_and_unsubscribe() -> None:
    bus = Bus()
    seen: list[object] = []
    unsubscribe = bus.subscribe(StatusChanged, seen.append)
    bus.publish(StatusChanged("obs", {"connected": True}))
    bus.publish(Broadcast("review", {}))  # another topic
    unsubscribe()
    bus.publish(StatusChanged("obs", {"connected": False}))
    assert seen == [StatusChanged("obs", {"connected": True})]
    unsubscribe()  # twice is harmless


def test_string_topics_and_failing_subscriber() -> None:
    bus = Bus()
    seen: list[object] = []

    def boom(_: object) -> None:
        raise RuntimeError("subscriber bug")

    bus.subscribe("custom", boom)
    bus.subscribe("custom", seen.append)
    bus.publish({"x": 1}, topic="custom")
    assert seen == [{"x": 1}]
    assert bus.errors == 1


async def test_latest_policy_coalesces() -> None:
    bus = Bus()
    sub = bus.subscription(StateChanged, policy=Policy.LATEST)
    for seq in range(100):
        bus.publish(StateChanged(state=MatchState(), seq=seq, at=0.0))
    assert sub.pending() == 1
    item = await sub.get()
    assert isinstance(item, StateChanged) and item.seq == 99
    assert sub.dropped == 99
    sub.close()


async def test_keyed_policy_keeps_latest_per_key() -> None:
    bus = Bus()
    sub = bus.subscription(StatusChanged, policy=Policy.KEYED, maxsize=10,
                           key=lambda e: e.component)
    for i in range(50):
        bus.publish(StatusChanged("obs" if i % 2 else "player", i))
    first, second = sub.get_nowait(), sub.get_nowait()
    assert sub.get_nowait() is None
    assert isinstance(first, StatusChanged) and isinstance(second, StatusChanged)
    assert {(i.component, i.status) for i in (first, second)} == {("player", 48), ("obs", 49)}
    sub.close()


async def test_bounded_policy_replaces_backlog_by_overflow() -> None:
    bus = Bus()
    sub = bus.subscription("events", policy=Policy.BOUNDED, maxsize=5)
    for i in range(5):
        bus.publish(i, topic="events")
    assert sub.pending() == 5
    for i in range(5, 1000):
        bus.publish(i, topic="events")
    assert sub.pending() <= 5  # memory stays bounded
    first = await sub.get()
    assert isinstance(first, Overflow) and first.dropped > 0
    bus.publish("fresh", topic="events")
    sub.close()


async def test_subscription_iterates_until_closed() -> None:
    bus = Bus()
    sub = bus.subscription("t", maxsize=10)
    got: list[object] = []

    async def consume() -> None:
        async for item in sub:
            got.append(item)

    task = asyncio.create_task(consume(), name="consume")
    bus.publish(1, topic="t")
    bus.publish(2, topic="t")
    await asyncio.sleep(0.01)
    sub.close()
    await asyncio.wait_for(task, 1)
    assert got == [1, 2]
    assert bus.subscriber_count() == 0


async def test_publish_threadsafe_reaches_the_loop() -> None:
    bus = Bus()
    bus.bind(asyncio.get_running_loop())
    seen: list[object] = []
    bus.subscribe("t", seen.append)
    await asyncio.to_thread(bus.publish_threadsafe, "from a thread", "t")
    await asyncio.sleep(0.01)
    assert seen == ["from a thread"]


def test_keyed_needs_key() -> None:
    with pytest.raises(ValueError, match="key"):
        Bus().subscription("t", policy=Policy.KEYED)
