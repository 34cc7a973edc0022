"""The pool's output flags against real OBS 29 when its events and answers cross.

obs-websocket 5 sends every event from a thread pool, so an output's STARTING may reach
us after its STARTED; and an answer to a status request may be older than an event read
right after it (both handled before the asking task runs again). Under load both
happen by chance (the replay buffer running in OBS while the pool said it was not). A
transport between the client and the real OBS socket makes them happen on purpose:
it holds one frame back and delivers it together with a later one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from restrike.obs import ObsClient, ObsConnectionSettings, ObsPool, ObsSession
from restrike.obs.headless import HeadlessObs
from restrike.obs.transport import Transport, TransportClosed, websocket_transport
from tests.peers.obs import OBS_PASSWORD

pytestmark = pytest.mark.peers

Frame = dict[str, Any]
Match = Callable[[Frame], bool]


def replay_event(state: str) -> Match:
    """A ReplayBufferStateChanged event with ``state`` (STARTING, STARTED, ...)."""
    def match(frame: Frame) -> bool:
        d = frame.get("d", {})
        return (frame.get("op") == 5 and d.get("eventType") == "ReplayBufferStateChanged"
                and d.get("eventData", {}).get("outputState") == f"OBS_WEBSOCKET_OUTPUT_{state}")
    return match


def answer_to(request_type: str) -> Match:
    def match(frame: Frame) -> bool:
        return frame.get("op") == 7 and frame.get("d", {}).get("requestType") == request_type
    return match


class Crossing:
    """A real WebSocket transport that holds the next frame matching ``hold`` until a
    frame matching ``release`` arrives, then delivers both at once (the second without
    yielding to the loop: the reader handles them in one go), the held one first or,
    with ``late``, last."""

    def __init__(self, inner: Transport) -> None:
        self._inner = inner
        self._rule: tuple[Match, Match, bool] | None = None
        self._held: str | None = None
        self._ready: list[str] = []
        self.holding = asyncio.Event()
        self.crossed = False  # the held frame was delivered after its release

    def cross(self, hold: Match, release: Match, *, late: bool) -> None:
        self._rule, self._held, self.crossed = (hold, release, late), None, False
        self.holding.clear()

    async def send(self, text: str) -> None:
        await self._inner.send(text)

    async def recv(self) -> str | TransportClosed:
        if self._ready:
            return self._ready.pop(0)
        while True:
            frame = await self._inner.recv()
            if isinstance(frame, TransportClosed) or self._rule is None:
                return frame
            hold, release, late = self._rule
            if self._held is None and hold(json.loads(frame)):
                self._held = frame
                self.holding.set()
                continue
            if self._held is not None and release(json.loads(frame)):
                first, second = (frame, self._held) if late else (self._held, frame)
                self._held, self._rule, self.crossed = None, None, True
                self._ready.append(second)
                return first
            return frame

    async def close(self) -> None:
        await self._inner.close()


class CrossingPool:
    """An ObsPool of one real OBS whose client reads through a :class:`Crossing`."""

    def __init__(self, obs: HeadlessObs) -> None:
        self.transport: Crossing | None = None
        self.pool = ObsPool([ObsConnectionSettings("rec", obs.url, OBS_PASSWORD,
                                                   role="recording", protocol="v5")],
                            client_factory=self._client)

    async def _open(self, url: str, subprotocols: Sequence[str], open_timeout: float
                    ) -> Transport:
        self.transport = Crossing(await websocket_transport(url, subprotocols, open_timeout))
        return self.transport

    def _client(self, settings: ObsConnectionSettings) -> ObsSession:
        return ObsClient(settings.url, settings.password, transport_factory=self._open)


async def stop_replay_buffer(obs: HeadlessObs) -> None:
    async with ObsClient(obs.url, OBS_PASSWORD) as client:
        if (await client.replay_buffer_status()).active:
            await client.stop_replay_buffer()


async def test_a_late_starting_or_stopping_event_does_not_hide_the_state(
        obs_with_password: HeadlessObs) -> None:
    crossing = CrossingPool(obs_with_password)
    async with crossing.pool as pool:
        conn = pool.get("rec")
        await conn.wait_connected(10)
        transport = crossing.transport
        assert transport is not None and not conn.status.replay_buffer
        try:
            transport.cross(replay_event("STARTING"), replay_event("STARTED"), late=True)
            await conn.control.start_replay_buffer()  # STARTED arrives, then STARTING
            assert transport.crossed, "STARTING was not held back"
            assert (await conn.control.replay_buffer_status()).active
            assert conn.status.replay_buffer
            transport.cross(replay_event("STOPPING"), replay_event("STOPPED"), late=True)
            await conn.control.stop_replay_buffer()  # STOPPED arrives, then STOPPING
            assert transport.crossed, "STOPPING was not held back"
            assert not (await conn.control.replay_buffer_status()).active
            assert not conn.status.replay_buffer
        finally:
            await stop_replay_buffer(obs_with_password)


async def test_an_answer_older_than_an_event_does_not_undo_it(
        obs_with_password: HeadlessObs) -> None:
    crossing = CrossingPool(obs_with_password)
    async with crossing.pool as pool:
        conn = pool.get("rec")
        await conn.wait_connected(10)
        transport = crossing.transport
        assert transport is not None
        try:
            # refresh() asks for the replay buffer's state (stopped); the answer is held
            # until the buffer, started meanwhile by another client, says STARTED.
            transport.cross(answer_to("GetReplayBufferStatus"), replay_event("STARTED"),
                            late=False)
            refresh = asyncio.create_task(conn.refresh(), name="pool-refresh")
            await asyncio.wait_for(transport.holding.wait(), 10)
            async with ObsClient(obs_with_password.url, OBS_PASSWORD) as other:
                await other.start_replay_buffer()
            status = await asyncio.wait_for(refresh, 10)
            assert transport.crossed
            assert status.replay_buffer and conn.status.replay_buffer
        finally:
            await stop_replay_buffer(obs_with_password)
