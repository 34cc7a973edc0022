"""What mpv has told us, folded into a :class:`PlayerStatus` (pure: no I/O, no clock).

mpv reports through ``property-change`` events and ``start-file``/``end-file``. This
module keeps the observed values, knows which playlist entry our latest ``loadfile``
created (so a wait for "position >= 10" is not satisfied by the previous clip), and
decides whether an ``end-file`` is a close worth reporting (a clip replaced by our own
``open`` is not).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from restrike.errors import PlayerCommandError, PlayerError
from restrike.playback import codec
from restrike.playback.grid import AngleTrack
from restrike.playback.player import CloseReason, PlaybackClosed, PlayerStatus

__all__ = ["MpvState", "Outcome"]

_END_REASONS: dict[str, CloseReason] = {"quit": "quit", "error": "error", "eof": "eof"}


@dataclass(slots=True)
class Outcome:
    """What applying one message means: a close to report, waits to fail."""

    closed: PlaybackClosed | None = None
    failure: PlayerError | None = None
    status_may_change: bool = True


@dataclass(slots=True)
class MpvState:
    props: dict[str, Any] = field(default_factory=dict)
    entry: int | None = None  # playlist entry on screen (start-file)
    expected_entry: int | None = None  # entry created by our latest loadfile
    loads_in_flight: int = 0
    stop_requested: bool = False
    file_open: str | None = None  # set by file-loaded, cleared by end-file
    angles: tuple[AngleTrack, ...] = ()  # the angles of the latest open_angles
    angle_shown: int | None = None  # the angle alone on screen (0-based), None: grid
    _last_published: PlayerStatus | None = None

    def reset(self) -> None:
        """A new mpv process: nothing is known yet."""
        self.props.clear()
        self.entry = self.expected_entry = None
        self.loads_in_flight = 0
        self.stop_requested = False
        self.file_open = None
        self.angles = ()
        self.angle_shown = None

    # -- our own commands ----------------------------------------------------------------

    def load_started(self) -> None:
        self.loads_in_flight += 1
        self.stop_requested = False

    def load_finished(self, reply: Any) -> None:
        """After ``loadfile`` answered (``reply``) or failed (None)."""
        self.loads_in_flight = max(0, self.loads_in_flight - 1)
        entry = reply.get("playlist_entry_id") if isinstance(reply, dict) else None
        if isinstance(entry, int) and not isinstance(entry, bool):
            self.expected_entry = entry

    def stop_started(self) -> None:
        self.stop_requested = self.file_open is not None

    # -- what mpv says -------------------------------------------------------------------

    def apply(self, message: codec.Event | codec.PropertyChange) -> Outcome:
        if isinstance(message, codec.PropertyChange):
            self.props[message.name] = message.value
            return Outcome(status_may_change=message.name != "playback-time")
        if message.name == "start-file":
            entry = message.fields.get("playlist_entry_id")
            self.entry = entry if isinstance(entry, int) else None
            self.props.pop("playback-time", None)
            self.props.pop("eof-reached", None)
        elif message.name == "file-loaded":
            path = self.props.get("path")
            self.file_open = path if isinstance(path, str) else "?"
        elif message.name == "end-file":
            return self._end_file(message.fields)
        return Outcome()

    def _end_file(self, fields: Any) -> Outcome:
        reason_text = str(fields.get("reason", ""))
        entry = fields.get("playlist_entry_id")
        file, self.file_open = self.file_open, None
        outcome = Outcome()
        if entry is not None and entry == self.expected_entry and self.loads_in_flight == 0:
            if reason_text == "error":
                error = str(fields.get("file_error", "loading failed"))
                outcome.failure = PlayerCommandError("loadfile", f"cannot play the file: {error}")
            else:
                outcome.failure = PlayerCommandError("playback", f"the clip ended ({reason_text})")
        replaced = self.loads_in_flight > 0 or (
            isinstance(entry, int)
            and self.expected_entry is not None
            and entry < self.expected_entry
        )
        if file is None or (reason_text == "stop" and replaced):
            return outcome
        reason: CloseReason
        if reason_text == "stop":
            reason = "requested" if self.stop_requested else "user"
            self.stop_requested = False
        else:
            reason = _END_REASONS.get(reason_text, "user")
        outcome.closed = PlaybackClosed(file, reason)
        return outcome

    # -- reading -------------------------------------------------------------------------

    def position(self) -> float | None:
        return _number(self.props.get("playback-time"))

    def reached(self, at_least: float, file: str | None = None) -> bool:
        """The clip of our latest ``open`` (and ``file``, if given) plays at ``at_least``."""
        if self.expected_entry is not None and self.entry != self.expected_entry:
            return False
        if file is not None and self.props.get("path") != file:
            return False
        position = self.position()
        return position is not None and position >= at_least

    def status(self, alive: bool, error: str | None = None) -> PlayerStatus:
        p = self.props
        idle = bool(p.get("idle-active", True))
        path = p.get("path") if alive and not idle else None
        file = path if isinstance(path, str) else None
        paused = bool(p.get("pause", False))
        eof = bool(p.get("eof-reached", False))
        return PlayerStatus(
            file=file,
            playing=file is not None and not paused and not eof,
            paused=paused,
            position=self.position() if file else None,
            speed=_number(p.get("speed")) or 1.0,
            duration=_number(p.get("duration")) if file else None,
            fullscreen=bool(p.get("fullscreen", False)),
            alive=alive,
            eof=eof,
            loop_a=_number(p.get("ab-loop-a")),
            loop_b=_number(p.get("ab-loop-b")),
            error=error,
            angles=(0 if file is None else
                    len(self.angles) if self.angles and self.angle_shown is None else 1),
            angle=None if file is None or not self.angles or self.angle_shown is None
            else self.angle_shown + 1,
        )

    def changed_status(self, alive: bool, error: str | None = None) -> PlayerStatus | None:
        """The status if anything but the position changed since last asked, else None."""
        status = self.status(alive, error)
        comparable = replace(status, position=None)
        if comparable == self._last_published:
            return None
        self._last_published = comparable
        return status


def _number(value: Any) -> float | None:
    return float(value) if codec.is_finite_number(value) else None
