"""Control of OBS Studio over obs-websocket (v5 for OBS 28+, v4 for OBS 27 and older).

Public API::

    async with ObsClient(url, password) as obs:         # or ObsClientV4
        await obs.start_replay_buffer()
        path = await obs.save_replay_buffer()

    pool = ObsPool([ObsConnectionSettings("court1", url, password, role="recording")])
    unsubscribe = pool.subscribe(callback)              # ObsStatus | ConnectionEvent
    await pool.start(); ...; await pool.stop()

Both clients implement :class:`ObsControl` (operations) and :class:`ObsSession`
(life-cycle). Errors are ``restrike.errors.ObsError`` and its subclasses only.
"""

from __future__ import annotations

from restrike.obs.control import (
    REPLAY_BUFFER_HELP,
    CloseInfo,
    ConnectionState,
    EventCallback,
    ObsControl,
    ObsSession,
    Unsubscribe,
)
from restrike.obs.events import (
    CurrentProgramSceneChanged,
    ExitStarted,
    ObsEvent,
    ObsVersion,
    OtherEvent,
    OutputState,
    OutputStatus,
    RecordStateChanged,
    ReplayBufferSaved,
    ReplayBufferStateChanged,
    StreamStateChanged,
)
from restrike.obs.pool import Backoff, ClientFactory, ObsConnection, ObsPool, PoolCallback
from restrike.obs.settings import ConnectionEvent, ObsConnectionSettings, ObsRole, ObsStatus
from restrike.obs.transport import Transport, TransportClosed, TransportFactory
from restrike.obs.v4 import ObsClientV4
from restrike.obs.v5 import ObsClient

__all__ = [
    "REPLAY_BUFFER_HELP",
    "Backoff",
    "ClientFactory",
    "CloseInfo",
    "ConnectionEvent",
    "ConnectionState",
    "CurrentProgramSceneChanged",
    "EventCallback",
    "ExitStarted",
    "ObsClient",
    "ObsClientV4",
    "ObsConnection",
    "ObsConnectionSettings",
    "ObsControl",
    "ObsEvent",
    "ObsPool",
    "ObsRole",
    "ObsSession",
    "ObsStatus",
    "ObsVersion",
    "OtherEvent",
    "OutputState",
    "OutputStatus",
    "PoolCallback",
    "RecordStateChanged",
    "ReplayBufferSaved",
    "ReplayBufferStateChanged",
    "StreamStateChanged",
    "Transport",
    "TransportClosed",
    "TransportFactory",
    "Unsubscribe",
]
