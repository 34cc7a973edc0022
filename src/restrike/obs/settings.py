"""Settings of one OBS connection and the status each connection publishes.

The ``[[obs]]`` keys (`SETTING_FIELDS`) are declared — help, default, choices — and
checked, with the file or variable they came from, in `restrike.config.table` alone;
:meth:`ObsConnectionSettings.from_settings` copies a loaded entry and a test keeps names,
types and defaults equal to the table's. The timeouts are no settings (code sets them:
tests, benchmarks).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

from restrike.errors import ConfigError
from restrike.obs.control import ConnectionState
from restrike.obs.events import ObsEvent
from restrike.secrets import mask_url

__all__ = [
    "SETTING_FIELDS",
    "ConnectionEvent",
    "ObsConnectionSettings",
    "ObsProtocol",
    "ObsRole",
    "ObsStatus",
]

ObsRole = Literal["recording", "streaming", "both", "angle"]
ObsProtocol = Literal["auto", "v5", "v4"]
#: The fields that are keys of an ``[[obs]]`` entry.
SETTING_FIELDS = ("name", "url", "password", "role", "protocol", "angle_name")


@dataclass(frozen=True, slots=True)
class ObsConnectionSettings:
    """One connection: the ``[[obs]]`` keys, then the timeouts of its client."""

    name: str
    url: str = "ws://127.0.0.1:4455"
    password: str = ""  # empty: none
    role: ObsRole = "both"
    protocol: ObsProtocol = "auto"  # v5 tried first, then v4 (remembered per connection)
    angle_name: str = ""  # the camera angle's name in multi-angle review; empty: name
    request_timeout: float = 5.0
    connect_timeout: float = 5.0

    def __post_init__(self) -> None:
        # What the pool relies on (it picks the client by protocol, the connections by
        # role), for entries built in code; a user's entry was checked when it was loaded.
        where = f"[[obs]] {self.name!r}"
        if not self.name or "/" in self.name:
            raise ConfigError(f"[[obs]] name must be non-empty without '/': {self.name!r}")
        if self.role not in get_args(ObsRole):
            raise ConfigError(f"{where}: role must be recording, streaming, both or angle, "
                              f"not {self.role!r}")
        if self.protocol not in get_args(ObsProtocol):
            raise ConfigError(f"{where}: protocol must be auto, v5 or v4, not "
                              f"{self.protocol!r}")
        if not self.url.startswith(("ws://", "wss://")):
            raise ConfigError(f"{where}: url must start with ws:// or wss://, not "
                              f"{mask_url(repr(self.url))}")

    @classmethod
    def from_settings(cls, entry: Any, **client: Any) -> ObsConnectionSettings:
        """From a loaded ``[[obs]]`` entry (nothing is converted here); ``client`` sets the
        timeouts."""
        return cls(**{name: getattr(entry, name) for name in SETTING_FIELDS}, **client)

    @property
    def angle(self) -> str | None:
        """The name this OBS's camera angle is shown by (its connection name by default);
        None for a streaming OBS (no camera of the review)."""
        return None if self.role == "streaming" else self.angle_name or self.name

    def same_session(self, other: ObsConnectionSettings) -> bool:
        """True when ``other`` differs at most in what needs no new session (the angle's
        name): the pool keeps that connection and only takes the new settings."""
        return self == replace(other, angle_name=self.angle_name)

    def serves(self, role: ObsRole) -> bool:
        """``both`` serves recording and streaming; ``angle`` only itself (a camera)."""
        return self.role == role or (self.role == "both" and role != "angle")

    def __repr__(self) -> str:  # never show the password (nor URL credentials) in logs
        return (f"ObsConnectionSettings(name={self.name!r}, url={mask_url(self.url)!r}, "
                f"role={self.role!r}, protocol={self.protocol!r})")


@dataclass(frozen=True, slots=True)
class ObsStatus:
    """What one connection looks like now; published on every change."""

    name: str
    role: ObsRole
    state: ConnectionState = ConnectionState.DISCONNECTED
    obs_version: str | None = None
    websocket_version: str | None = None
    recording: bool = False
    streaming: bool = False
    replay_buffer: bool = False
    scene: str | None = None
    error: str | None = None
    stream_reconnecting: bool = False
    record_path: str | None = None
    angle: str | None = None  # its camera angle's name (multi-angle review); None: none

    def __post_init__(self) -> None:
        # Errors quote URLs (a library's message may too): never carry their credentials
        # to /api/v1/obs, /ws/live or the review's messages.
        if self.error is not None:
            object.__setattr__(self, "error", mask_url(self.error))

    @property
    def connected(self) -> bool:
        return self.state is ConnectionState.CONNECTED

    def as_dict(self) -> dict[str, Any]:
        """The public shape (``GET /api/v1/obs``)."""
        return {
            "name": self.name,
            "role": self.role,
            "connected": self.connected,
            "obs_version": self.obs_version,
            "websocket_version": self.websocket_version,
            "recording": self.recording,
            "streaming": self.streaming,
            "replay_buffer": self.replay_buffer,
            "scene": self.scene,
            "error": self.error,
            "stream_reconnecting": self.stream_reconnecting,
            "record_path": self.record_path,
            "angle": self.angle,
        }


@dataclass(frozen=True, slots=True)
class ConnectionEvent:
    """An OBS event, tagged with the connection it came from."""

    name: str
    event: ObsEvent
