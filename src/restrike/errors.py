"""The one exception tree of reStrike.

Every adapter translates what its library raises (``raise X from err``) so that
callers only ever catch these:

    RestrikeError
    ├── ConfigError          a setting or settings file is wrong (names the key/file)
    ├── ProtocolError        the protocol definition file is broken (names the line)
    ├── StoreError           SQLite could not be opened, migrated or written
    ├── ObsError             an obs-websocket request failed (carries the status code)
    │   ├── ObsAuthError     wrong or missing password
    │   └── ObsUnavailable   OBS is not connected / went away / timed out
    │       └── ObsProtocolError  the server speaks the other obs-websocket version
    ├── PlayerError          mpv could not be started or controlled
    │   ├── PlayerUnavailable   mpv is not running / restarting / did not answer
    │   └── PlayerCommandError  mpv answered but refused the command
    ├── ReviewError          a replay-workflow step is not possible right now
    ├── SimulatorError       a simulator action or option is not possible
    ├── LicenseError         a licence cannot be activated, read or validated (says
    │                        what to do)
    ├── FeatureLockedError   a licensed feature is refused now by the station's gates
    │                        (the reason says why; the API's 403)
    ├── BackupError          a backup or capture file is damaged or foreign, or cannot be
    │                        written or restored there (names the file)
    ├── PluginError          a plugin cannot be imported, built or used (names the plugin)
    ├── ManualError          a manual scoring entry the scoreboard cannot take, or an
    │   │                    undo that is not possible now (says why)
    │   ├── FeedLiveError    the court feed is live and the request did not say force
    │   ├── NothingToUndoError  the current match has no manual entry left to undo
    │   └── ManualUnavailable   the store is not open, or the ingest did not take it
    ├── AnalysisError        a highlight reel or a video analysis cannot be made (no
    │                        recording, no ffmpeg, a file ffmpeg cannot read: says why)
    └── HubError             the tournament hub refused, could not be reached, or its
                             database failed (carries the HTTP status when it answered)

Parsing datagrams never raises: bad input becomes ``Invalid``/``Unknown`` messages.

Outside the tree, never seen by a caller: ``RequestBodyTooLarge``, the API guard's
signal that stops an app reading a request body past its size limit (answered 413).
"""

from __future__ import annotations

__all__ = [
    "AnalysisError",
    "BackupError",
    "ConfigError",
    "FeatureLockedError",
    "FeedLiveError",
    "HubError",
    "LicenseError",
    "ManualError",
    "ManualUnavailable",
    "NothingToUndoError",
    "ObsAuthError",
    "ObsError",
    "ObsProtocolError",
    "ObsUnavailable",
    "PlayerCommandError",
    "PlayerError",
    "PlayerUnavailable",
    "PluginError",
    "ProtocolError",
    "RestrikeError",
    "ReviewError",
    "SimulatorError",
    "StoreError",
]


class RestrikeError(Exception):
    """Base of every error reStrike raises on purpose."""


class ConfigError(RestrikeError):
    """A setting is invalid; the message names the setting and where it came from."""


class ProtocolError(RestrikeError):
    """The protocol definition file is broken."""

    def __init__(self, message: str, *, path: str = "<protocol>", line: int | None = None):
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class StoreError(RestrikeError):
    """The database could not be opened, migrated or written."""


class ObsError(RestrikeError):
    """An OBS request failed; ``code`` is obs-websocket's request status code if any."""

    def __init__(self, message: str, *, code: int | None = None):
        self.code = code
        super().__init__(message)


class ObsAuthError(ObsError):
    """OBS refused the password (or needs one and none is configured)."""


class ObsUnavailable(ObsError):
    """OBS is not connected, closed the connection, or did not answer in time."""


class ObsProtocolError(ObsUnavailable):
    """The server speaks the other obs-websocket protocol (v4 and v5 differ from the
    first message on): with ``protocol = "auto"`` the station tries the other one."""


class PlayerError(RestrikeError):
    """mpv could not be started, reached or commanded."""


class PlayerUnavailable(PlayerError):
    """mpv is not running, is restarting, or did not answer in time (the API's 503)."""


class PlayerCommandError(PlayerError):
    """mpv answered but refused the command (``error`` is mpv's own reason; the API's 409)."""

    def __init__(self, command: str, error: str) -> None:
        self.command = command
        self.error = error
        super().__init__(f"mpv refused {command!r}: {error}")


class ReviewError(RestrikeError):
    """A replay step cannot be done now (no match, quota used, no clip yet...)."""


class BackupError(RestrikeError):
    """A backup, restore, export or import cannot be done; the message names the file."""


class SimulatorError(RestrikeError):
    """A simulator action is not possible now (quota spent, no match loaded, bad command)."""


class PluginError(RestrikeError):
    """A plugin cannot be imported, built or used; the message names the plugin and why
    (the plugin's own exception is the ``__cause__``, its traceback logged)."""


class ManualError(RestrikeError):
    """A manual scoring entry or undo refused: the scoreboard cannot take it (a score
    beyond 999, no gam-jeom to take back), or nothing to undo (docs/manual-scoring.md)."""


class FeedLiveError(ManualError):
    """The court feed is live and the request did not say ``force`` (the API's 409)."""


class NothingToUndoError(ManualError):
    """The current match has no manual entry left to undo (the API's 409)."""


class ManualUnavailable(ManualError):
    """The store is not open, or the ingest did not take the entry in time (503)."""


class AnalysisError(RestrikeError):
    """A highlight reel or a video analysis cannot be made: no recording of the match,
    ffmpeg missing (the message says how to install it), a file it cannot read."""


class HubError(RestrikeError):
    """The tournament hub refused an upload, could not be reached, or its database failed.

    ``status`` is the HTTP status the hub answered with (None: no answer at all).
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class LicenseError(RestrikeError):
    """A licence step failed: a wrong key, an unreachable or refusing licence server, a
    licence file that cannot be read on this machine, a token that does not verify.

    ``kind`` is a short name (``unknown_key``, ``unreachable``, ``corrupt_file``, ...);
    the message says what to do.
    """

    def __init__(self, message: str, *, kind: str = "licence") -> None:
        self.kind = kind
        super().__init__(message)


class FeatureLockedError(RestrikeError):
    """A licensed feature (instant replay, recording, overlays) is refused now by the
    station's feature gates (`restrike.kernel.gates`); the message is the gate's reason."""


class RequestBodyTooLarge(BaseException):
    """Raised by the API guard's ``receive`` past the body limit. A BaseException, so
    the app's own ``except Exception`` handlers (its 400/500 answers) let it through to
    the guard, which answers 413; not part of the tree (no caller catches it)."""
