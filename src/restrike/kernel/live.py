"""The live scoreboard as the loop sees it, with its JSON bytes cached."""

from __future__ import annotations

import json

from restrike.protocol import MatchState, state_to_json

__all__ = ["LiveState"]


class LiveState:
    """The newest `MatchState`, its sequence number and its JSON, serialised once per change.

    The ingest updates it on the loop (the only writer); the API, ``/ws/live`` and the
    components read it. ``GET /api/v1/state`` returns `json_bytes` as they are.
    """

    def __init__(self, state: MatchState | None = None) -> None:
        self.state = state if state is not None else MatchState()
        self.seq = 0
        self.updated_at: float | None = None
        self.version = 0
        self._json: bytes | None = None

    def update(self, state: MatchState, seq: int, at: float) -> bool:
        """Take ``state`` (folded up to datagram ``seq``); True when the scoreboard changed."""
        self.seq = seq
        if state is self.state:
            return False
        self.state = state
        self.updated_at = at
        self.version += 1
        self._json = None
        return True

    def json_bytes(self) -> bytes:
        """``state_to_json`` serialised once per change."""
        cached = self._json
        if cached is None:
            cached = json.dumps(state_to_json(self.state), ensure_ascii=False,
                                separators=(",", ":")).encode("utf-8")
            self._json = cached
        return cached
