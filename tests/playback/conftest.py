"""Real-mpv fixtures for the playback tests."""

from tests.peers.mpv import clip, mpv_player, mpv_settings  # noqa: F401
