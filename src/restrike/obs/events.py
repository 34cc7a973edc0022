"""Typed OBS events and status values shared by the v5 and v4 clients (pure data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "CurrentProgramSceneChanged",
    "ExitStarted",
    "ObsEvent",
    "ObsStats",
    "ObsVersion",
    "OtherEvent",
    "OutputState",
    "OutputStatus",
    "RecordStateChanged",
    "ReplayBufferSaved",
    "ReplayBufferStateChanged",
    "StreamStateChanged",
    "output_state",
]


class OutputState(StrEnum):
    """Life-cycle step of an OBS output (recording, stream, replay buffer)."""

    STARTING = "starting"
    STARTED = "started"
    STOPPING = "stopping"
    STOPPED = "stopped"
    RECONNECTING = "reconnecting"
    RECONNECTED = "reconnected"
    PAUSED = "paused"
    RESUMED = "resumed"
    UNKNOWN = "unknown"


def output_state(raw: str) -> OutputState:
    """Map ``OBS_WEBSOCKET_OUTPUT_STARTED`` (v5) or ``started`` to an :class:`OutputState`."""
    name = raw.rsplit("_", 1)[-1].lower()
    try:
        return OutputState(name)
    except ValueError:
        return OutputState.UNKNOWN


@dataclass(frozen=True, slots=True)
class RecordStateChanged:
    active: bool
    state: OutputState
    path: str | None = None


@dataclass(frozen=True, slots=True)
class StreamStateChanged:
    active: bool
    state: OutputState

    @property
    def reconnecting(self) -> bool:
        return self.state is OutputState.RECONNECTING


@dataclass(frozen=True, slots=True)
class ReplayBufferStateChanged:
    active: bool
    state: OutputState


@dataclass(frozen=True, slots=True)
class ReplayBufferSaved:
    path: str


@dataclass(frozen=True, slots=True)
class CurrentProgramSceneChanged:
    scene: str


@dataclass(frozen=True, slots=True)
class ExitStarted:
    """OBS is shutting down (the connection will close next)."""


@dataclass(frozen=True, slots=True)
class OtherEvent:
    """Any event this program does not model; ``data`` is OBS's payload as received."""

    event_type: str
    data: Mapping[str, Any] = field(default_factory=dict)


ObsEvent = (
    RecordStateChanged
    | StreamStateChanged
    | ReplayBufferStateChanged
    | ReplayBufferSaved
    | CurrentProgramSceneChanged
    | ExitStarted
    | OtherEvent
)


@dataclass(frozen=True, slots=True)
class ObsVersion:
    obs_version: str
    websocket_version: str
    rpc_version: int | None
    available_requests: frozenset[str]
    platform: str = ""


@dataclass(frozen=True, slots=True)
class ObsStats:
    """``GetStats`` (counts since OBS started) and the recording's size so far (v5 only:
    the system monitor derives the bitrate from it)."""

    render_skipped: int
    render_total: int
    output_skipped: int
    output_total: int
    fps: float | None = None
    record_bytes: int | None = None

    def as_dict(self) -> dict[str, int | float | None]:
        return {"render_skipped_frames": self.render_skipped,
                "render_total_frames": self.render_total,
                "output_skipped_frames": self.output_skipped,
                "output_total_frames": self.output_total, "fps": self.fps,
                "record_bytes": self.record_bytes}


@dataclass(frozen=True, slots=True)
class OutputStatus:
    """State of one output; ``timecode`` is ``HH:MM:SS.mmm`` as OBS reports it."""

    active: bool
    timecode: str | None = None
    duration_ms: int | None = None
    reconnecting: bool = False
    paused: bool = False
