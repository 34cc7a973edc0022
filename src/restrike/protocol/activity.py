"""Is the feed quiet because the match is, or silent because something broke? (pure)

tkStrike sends while a clock runs (the match clock, a break, an injury, a time-out:
one datagram a second) and little otherwise: a stopped clock, a video review or the
time between matches are quiet by nature. So a fixed "nothing for 5 s" turns red at
every clock stop. Here the state says whether datagrams are due: while a clock runs,
nothing for `TICK_GRACE` seconds is *silent*; while none runs the feed is *quiet*
(connected, with the reason), however long.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from restrike.protocol.state import Clock, MatchState

__all__ = ["TICK_GRACE", "FeedActivity", "feed_activity"]

#: A running clock ticks every second; this long without a datagram is silence.
TICK_GRACE = 3.0

Activity = Literal["live", "quiet", "silent", "disconnected"]


class FeedActivity(NamedTuple):
    activity: Activity
    reason: str

    @property
    def connected(self) -> bool:
        """The feed is up (datagrams arrive, or none are due)."""
        return self.activity in ("live", "quiet")


def _running(clock: Clock | None) -> bool:
    return clock is not None and clock.running


def _ticking(state: MatchState) -> str | None:
    """What should be ticking now, if anything."""
    if _running(state.break_clock):
        return "break clock running"
    if state.injury is not None and state.injury.shown:
        return "injury time running"
    if any(_running(t) for t in state.timeouts):
        return "time-out running"
    if _running(state.clock) and state.winner is None:
        return "match clock running"
    return None


def _why_quiet(state: MatchState) -> str:
    challenge = state.challenge
    if challenge is not None and (challenge.status == "requested" or (
            challenge.status == "accepted" and challenge.outcome is None)):
        return "video review"
    if state.winner is not None:
        return "match over"
    if state.break_clock is not None:
        return "break"
    if not state.loaded:
        return "no match loaded"
    if not state.ready:
        return "match loaded, not started"
    return "clock stopped"


def feed_activity(state: MatchState, last_at: float | None, now: float) -> FeedActivity:
    """The feed's activity from the state it built and the last datagram's time."""
    if last_at is None:
        return FeedActivity("silent", "no datagram received yet")
    if state.connected is False:
        return FeedActivity("disconnected", "the scoring software closed its port")
    age = now - last_at
    ticking = _ticking(state)
    if ticking is not None:
        if age > TICK_GRACE:
            return FeedActivity("silent", f"{ticking} but nothing for {age:.0f} s")
        return FeedActivity("live", ticking)
    return FeedActivity("live" if age <= TICK_GRACE else "quiet", _why_quiet(state))
