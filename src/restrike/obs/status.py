"""How an OBS event changes a connection's status (pure: status and event in, changes out).

obs-websocket 5 sends every event from a thread pool, one task per event, so two events
fired together (an output's STARTING and STARTED, a moment apart) may reach us in
either order. An output's flag therefore follows only its settled states: started
(or reconnecting, reconnected, for a stream) and stopped; a STARTING that arrives after
its STARTED, or a STOPPING after its STOPPED, changes nothing. While an output starts
or stops its flag keeps the value it had, as OBS's own status requests answer then.
"""

from __future__ import annotations

from typing import Any

from restrike.obs.events import (
    CurrentProgramSceneChanged,
    ObsEvent,
    OutputState,
    RecordStateChanged,
    ReplayBufferStateChanged,
    StreamStateChanged,
)
from restrike.obs.settings import ObsStatus

__all__ = ["status_changes"]

_SETTLED = {OutputState.STARTED: True, OutputState.STOPPED: False}
_STREAM = {**_SETTLED, OutputState.RECONNECTED: True, OutputState.RECONNECTING: True}


def status_changes(status: ObsStatus, event: ObsEvent) -> dict[str, Any]:
    """The :class:`ObsStatus` fields ``event`` changes (empty: none)."""
    changes: dict[str, Any] = {}
    match event:
        case RecordStateChanged(state=state, path=path):
            if path and path != status.record_path:
                changes["record_path"] = path
            if state in _SETTLED:
                changes["recording"] = _SETTLED[state]
        case StreamStateChanged(state=state) if state in _STREAM:
            changes["streaming"] = _STREAM[state]
            changes["stream_reconnecting"] = state is OutputState.RECONNECTING
        case ReplayBufferStateChanged(state=state) if state in _SETTLED:
            changes["replay_buffer"] = _SETTLED[state]
        case CurrentProgramSceneChanged(scene=scene):
            changes["scene"] = scene
    return changes
