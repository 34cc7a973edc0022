"""Video playback for reviews: mpv kept running idle and driven over JSON IPC.

Public API: :class:`Player` (the contract), :class:`MpvPlayer` (mpv), the status and
event types, :class:`PlaybackSettings`, and :func:`make_router` in
:mod:`restrike.playback.api` for ``/api/v1/playback``.
"""

from __future__ import annotations

from restrike.errors import PlayerCommandError, PlayerError, PlayerUnavailable
from restrike.playback.mpv import MpvPlayer
from restrike.playback.player import (
    CloseReason,
    PlaybackClosed,
    Player,
    PlayerDied,
    PlayerEvent,
    PlayerRestarted,
    PlayerStatus,
    SeekMode,
    StatusChanged,
)
from restrike.playback.settings import SPEED_PRESETS, PlaybackSettings

__all__ = [
    "SPEED_PRESETS",
    "CloseReason",
    "MpvPlayer",
    "PlaybackClosed",
    "PlaybackSettings",
    "Player",
    "PlayerCommandError",
    "PlayerDied",
    "PlayerError",
    "PlayerEvent",
    "PlayerRestarted",
    "PlayerStatus",
    "PlayerUnavailable",
    "SeekMode",
    "StatusChanged",
]
