"""The replay workflow state machine: inputs in, commands out, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from restrike.review.naming import MatchIdentity
from restrike.review.workflow import (
    ChallengeRequested,
    EnsureReplayBuffer,
    MatchLoaded,
    Notice,
    ObsReconnected,
    Overlay,
    PlaybackEnded,
    PlayClip,
    PrepareRecording,
    ReplayFailed,
    ReplaySaved,
    Resolved,
    SaveReplay,
    StopPlayback,
    StoreReview,
    SwitchScene,
    WorkflowConfig,
    WorkflowState,
    decision_from_udp,
    step,
)

CFG = WorkflowConfig(PurePosixPath("/rec"))
IDENT = MatchIdentity("101", "9001", "N. DESMOND", "FRA", "LEE", "KOR")


def kinds(commands: Sequence[object]) -> list[str]:
    return [type(c).__name__ for c in commands]


def loaded() -> WorkflowState:
    state, cmds = step(CFG, WorkflowState(), MatchLoaded(IDENT, 1.0, "Open", "2026-11-28"))
    (prep,) = cmds
    assert isinstance(prep, PrepareRecording)
    assert prep.folder == PurePosixPath("/rec/Open/2026-11-28")
    assert prep.replay_folder == PurePosixPath("/rec/Open/2026-11-28/IVR recordings")
    assert prep.stem == "101_N. DESMOND_FRA_vs_LEE_KOR" and prep.replay_seconds == 20
    return state


def test_same_match_twice_is_quiet() -> None:
    state = loaded()
    assert step(CFG, state, MatchLoaded(IDENT, 2.0, "Open", "2026-11-28"))[1] == []


def test_challenge_to_decision() -> None:
    state = loaded()
    state, cmds = step(CFG, state, ChallengeRequested(10.0, "blue", "udp", athlete=1))
    assert kinds(cmds) == ["SaveReplay", "SwitchScene", "Overlay", "StoreReview"]
    assert cmds[1] == SwitchScene("IVR_SCENE")
    assert isinstance(cmds[2], Overlay) and cmds[2].event == "review_started"
    rid = state.active.id if state.active else -1
    # the sender repeats the request: nothing new
    assert step(CFG, state, ChallengeRequested(10.5, "blue", "udp", athlete=1))[1] == []
    state, cmds = step(CFG, state, ReplaySaved(rid, "/rec/clip.mkv", 11.0))
    assert cmds[0] == PlayClip(rid, "/rec/clip.mkv", 10.0)
    assert StoreReview in map(type, cmds)
    state, cmds = step(CFG, state, Resolved(25.0, "accepted", "referee", "udp"))
    assert kinds(cmds) == ["StopPlayback", "Overlay", "SwitchScene", "EnsureReplayBuffer",
                           "StoreReview"]
    assert cmds[2] == SwitchScene("LIVE_SCENE")
    assert state.active is None and state.last is not None
    assert state.last.decision == "accepted" and state.last.decision_ms == 15000
    # the outcome comes later and completes the decision
    state, cmds = step(CFG, state, Resolved(27.0, "won", "referee", "udp"))
    assert state.last is not None and state.last.decision == "won"
    assert state.last.decision_ms == 15000
    # a later close (-1) does not overwrite it
    state, cmds = step(CFG, state, Resolved(28.0, "cancelled", "referee", "udp"))
    assert cmds == [] and state.last is not None and state.last.decision == "won"


def test_second_request_while_open_is_refused() -> None:
    state, _ = step(CFG, loaded(), ChallengeRequested(10.0, "blue", "udp", athlete=1))
    _, cmds = step(CFG, state, ChallengeRequested(11.0, "operator", "http"))
    assert kinds(cmds) == ["Notice"]


def test_manual_replay_of_last_n_seconds() -> None:
    state, _ = step(CFG, WorkflowState(), ChallengeRequested(5.0, "operator", "http", seconds=6))
    assert state.active is not None and state.active.start == 14.0 and state.active.match is None
    state, cmds = step(CFG, state, ReplaySaved(state.active.id, "/c.mkv", 6.0))
    assert cmds[0] == PlayClip(1, "/c.mkv", 14.0)


def test_save_failure_keeps_the_challenge() -> None:
    state, _ = step(CFG, loaded(), ChallengeRequested(10.0, "red", "udp", athlete=2))
    state, cmds = step(CFG, state, ReplayFailed(1, "OBS 'rec' is not connected", 10.2))
    assert kinds(cmds) == ["StoreReview", "Overlay", "Notice"]
    assert state.active is not None and state.active.error == "OBS 'rec' is not connected"
    state, cmds = step(CFG, state, Resolved(20.0, "rejected", "referee", "udp"))
    assert state.last is not None and state.last.error and state.last.decision == "rejected"


def test_resolved_before_the_clip_is_saved() -> None:
    state, _ = step(CFG, loaded(), ChallengeRequested(10.0, "blue", "udp", athlete=1))
    state, _ = step(CFG, state, Resolved(10.5, "cancelled", "referee", "udp"))
    state, cmds = step(CFG, state, ReplaySaved(1, "/c.mkv", 11.0))
    assert kinds(cmds) == ["StoreReview"] and state.last is not None
    assert state.last.clip == "/c.mkv" and state.last.decision == "cancelled"


def test_player_closed_resolves_crash_does_not() -> None:
    state, _ = step(CFG, loaded(), ChallengeRequested(10.0, "blue", "udp", athlete=1))
    assert step(CFG, state, PlaybackEnded(12.0, "crashed"))[1] == []
    state, cmds = step(CFG, state, PlaybackEnded(12.0, "quit"))
    assert StopPlayback not in map(type, cmds) and EnsureReplayBuffer() in cmds
    assert state.last is not None and state.last.decision == "closed"


def test_new_match_closes_a_review_and_reconnect_reprepares() -> None:
    state, _ = step(CFG, loaded(), ChallengeRequested(10.0, "blue", "udp", athlete=1))
    other = MatchIdentity("102", None, "A", "USA", "B", "MEX")
    state, cmds = step(CFG, state, MatchLoaded(other, 20.0, "Open", "2026-11-28"))
    assert kinds(cmds)[-1] == "PrepareRecording" and state.active is None
    _, cmds = step(CFG, state, ObsReconnected(30.0))
    assert isinstance(cmds[0], PrepareRecording) and not cmds[0].restart
    assert step(CFG, WorkflowState(), ObsReconnected(1.0))[1] == []


def test_udp_decisions() -> None:
    assert decision_from_udp(None, None) is None
    assert decision_from_udp(1, None) == "accepted"
    assert decision_from_udp(0, None) == "rejected"
    assert decision_from_udp(-1, None) == "cancelled"
    assert decision_from_udp(1, 1) == "won" and decision_from_udp(1, 0) == "lost"


inputs = st.one_of(
    st.builds(ChallengeRequested, st.floats(0, 100), st.sampled_from(["blue", "red", "operator"]),
              st.sampled_from(["udp", "http"]), st.sampled_from([None, 0, 1, 2])),
    st.builds(ReplaySaved, st.integers(1, 5), st.just("/c.mkv"), st.floats(0, 100)),
    st.builds(ReplayFailed, st.integers(1, 5), st.just("boom"), st.floats(0, 100)),
    st.builds(Resolved, st.floats(0, 100), st.sampled_from(["accepted", "won", "cancelled"]),
              st.just("referee"), st.sampled_from(["udp", "button", "player"])),
    st.builds(PlaybackEnded, st.floats(0, 100), st.sampled_from(["user", "crashed"])),
    st.builds(ObsReconnected, st.floats(0, 100)),
)


@given(st.lists(inputs, max_size=30))
def test_invariants(events: list[object]) -> None:
    state = loaded()
    for event in events:
        state, cmds = step(CFG, state, event)  # type: ignore[arg-type]
        ids = [r.id for r in state.history]
        assert len(ids) == len(set(ids))
        if state.active is not None:
            assert not state.active.closed
        for cmd in cmds:
            if isinstance(cmd, PlayClip):
                assert state.active is not None and state.active.id == cmd.review_id
            if isinstance(cmd, SaveReplay | Notice):
                pass
