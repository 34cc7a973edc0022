"""The pure status/close bookkeeping, message by message as mpv 0.35 sends them."""

from __future__ import annotations

from restrike.errors import PlayerCommandError
from restrike.playback._state import MpvState
from restrike.playback.codec import Event, PropertyChange
from restrike.playback.player import PlaybackClosed


def loaded(state: MpvState, entry: int, path: str = "/c.mp4") -> None:
    state.load_started()
    state.load_finished({"playlist_entry_id": entry})
    state.apply(Event("start-file", {"playlist_entry_id": entry}))
    state.apply(PropertyChange(2, "idle-active", False))
    state.apply(PropertyChange(3, "path", path))
    state.apply(Event("file-loaded"))
    state.apply(PropertyChange(1, "playback-time", 10.0))


def test_status_follows_properties() -> None:
    state = MpvState()
    assert state.status(alive=True).file is None
    loaded(state, 1)
    status = state.status(alive=True)
    assert (status.file, status.position, status.playing) == ("/c.mp4", 10.0, True)
    state.apply(PropertyChange(4, "pause", True))
    assert not state.status(alive=True).playing
    assert state.status(alive=False).file is None


def test_wait_needs_the_new_entry_not_the_old_clip() -> None:
    state = MpvState()
    loaded(state, 1)
    assert state.reached(10)
    state.load_started()
    state.load_finished({"playlist_entry_id": 2})
    assert not state.reached(10)  # still the old clip's position
    state.apply(Event("end-file", {"reason": "stop", "playlist_entry_id": 1}))
    state.apply(Event("start-file", {"playlist_entry_id": 2}))
    assert not state.reached(10)
    state.apply(PropertyChange(1, "playback-time", 10.02))
    assert state.reached(10)


def test_replacing_is_silent_stop_is_requested_key_is_user() -> None:
    state = MpvState()
    loaded(state, 1)
    state.load_started()  # open() over a clip: end-file(stop) may come before the reply
    outcome = state.apply(Event("end-file", {"reason": "stop", "playlist_entry_id": 1}))
    assert outcome.closed is None and outcome.failure is None
    state.load_finished({"playlist_entry_id": 2})
    state.apply(Event("start-file", {"playlist_entry_id": 2}))
    state.apply(Event("file-loaded"))
    state.stop_started()
    outcome = state.apply(Event("end-file", {"reason": "stop", "playlist_entry_id": 2}))
    assert outcome.closed == PlaybackClosed("/c.mp4", "requested")
    assert isinstance(outcome.failure, PlayerCommandError)
    loaded(state, 3)
    outcome = state.apply(Event("end-file", {"reason": "stop", "playlist_entry_id": 3}))
    assert outcome.closed == PlaybackClosed("/c.mp4", "user")
    loaded(state, 4)
    outcome = state.apply(Event("end-file", {"reason": "quit", "playlist_entry_id": 4}))
    assert outcome.closed == PlaybackClosed("/c.mp4", "quit")


def test_unplayable_file_fails_waits_without_a_close() -> None:
    state = MpvState()
    state.load_started()
    state.load_finished({"playlist_entry_id": 1})
    state.apply(Event("start-file", {"playlist_entry_id": 1}))
    outcome = state.apply(
        Event("end-file", {"reason": "error", "playlist_entry_id": 1, "file_error": "x"})
    )
    assert outcome.closed is None
    assert isinstance(outcome.failure, PlayerCommandError) and "cannot play" in str(outcome.failure)


def test_status_change_ignores_position_only_changes() -> None:
    state = MpvState()
    loaded(state, 1)
    assert state.changed_status(alive=True) is not None
    assert state.apply(PropertyChange(1, "playback-time", 11.0)).status_may_change is False
    assert state.changed_status(alive=True) is None
    state.apply(PropertyChange(5, "speed", 0.5))
    changed = state.changed_status(alive=True)
    assert changed is not None and changed.speed == 0.5
