"""The replay workflow as a pure state machine: ``step(config, state, input) -> (state, commands)``.

No I/O, no clock: every input carries its time. The :class:`~restrike.review.component.Review`
adapter feeds it inputs (match loaded, challenge requested, replay saved, resolution,
player closed, OBS reconnected) and carries out the commands it returns, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from restrike.review.angles import ClipAngle, missing_text
from restrike.review.naming import (
    MatchIdentity,
    match_folder,
    obs_filename_pattern,
    recording_stem,
    replay_folder,
)

__all__ = [
    "DECISIONS",
    "ChallengeRequested",
    "Command",
    "EnsureReplayBuffer",
    "Input",
    "MatchLoaded",
    "Notice",
    "ObsReconnected",
    "Overlay",
    "PlayClip",
    "PlaybackEnded",
    "PrepareRecording",
    "ReplayFailed",
    "ReplaySaved",
    "Resolved",
    "ReviewRecord",
    "SaveReplay",
    "StopPlayback",
    "StoreReview",
    "SwitchScene",
    "WorkflowConfig",
    "WorkflowState",
    "decision_from_udp",
    "step",
]

#: Every decision a review can end with.
DECISIONS = ("accepted", "rejected", "cancelled", "won", "lost", "closed")
_FINAL = ("won", "lost")


@dataclass(frozen=True, slots=True)
class WorkflowConfig:
    recordings_root: PurePath
    clip_seconds: int = 20
    start_offset: float = 10.0
    ivr_scene: str = "IVR_SCENE"
    live_scene: str = "LIVE_SCENE"


# --- inputs -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatchLoaded:
    identity: MatchIdentity
    at: float
    tournament: str
    day: str


@dataclass(frozen=True, slots=True)
class ChallengeRequested:
    at: float
    requested_by: str  # blue | red | referee | operator | hotkey | ...
    source: str  # udp | button | hotkey | http
    athlete: int | None = None  # 0 referee, 1 blue, 2 red (UDP requests)
    seconds: float | None = None  # manual "replay the last N s"
    quota_exhausted: bool = False  # the athlete had no challenge left (rules.quota_exhausted)


@dataclass(frozen=True, slots=True)
class ReplaySaved:
    review_id: int
    path: str  # the first saved angle's file
    at: float
    angles: tuple[ClipAngle, ...] = ()  # every angle asked for, saved or missing


@dataclass(frozen=True, slots=True)
class ReplayFailed:
    review_id: int
    error: str
    at: float


@dataclass(frozen=True, slots=True)
class Resolved:
    at: float
    decision: str  # one of DECISIONS
    decided_by: str
    source: str  # udp | button | http | player


@dataclass(frozen=True, slots=True)
class PlaybackEnded:
    """The review player closed the clip (user/quit); a crash is not a resolution."""

    at: float
    reason: str


@dataclass(frozen=True, slots=True)
class ObsReconnected:
    """The recording OBS is (back) connected: recording must run for the loaded match."""

    at: float


Input = (MatchLoaded | ChallengeRequested | ReplaySaved | ReplayFailed | Resolved
         | PlaybackEnded | ObsReconnected)


# --- state ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """One review (challenge or manual replay) from request to decision."""

    id: int
    requested_by: str
    source: str
    requested_at: float
    athlete: int | None = None
    match: str | None = None
    match_title: str | None = None
    seconds: float | None = None
    clip: str | None = None
    saved_at: float | None = None
    start: float = 10.0
    decision: str | None = None
    decided_by: str | None = None
    decided_at: float | None = None
    error: str | None = None  # a failed step (no OBS, save timed out, player...)
    angles: tuple[ClipAngle, ...] = ()  # multi-angle review: every angle, saved or not
    closed: bool = False
    quota_exhausted: bool = False

    @property
    def problem(self) -> str | None:
        """What the console and the clip row show: the quota flag, then the failure."""
        parts = [self.error] if self.error else []
        if self.quota_exhausted:
            parts.insert(0, f"{self.requested_by} has no challenge left (WT Article 21): "
                            "the request is recorded, the referee decides")
        return "; ".join(parts) or None

    @property
    def decision_ms(self) -> int | None:
        if self.decided_at is None:
            return None
        return round((self.decided_at - self.requested_at) * 1000)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "requested_by": self.requested_by, "source": self.source,
            "athlete": self.athlete, "requested_at": self.requested_at, "match": self.match,
            "clip": self.clip, "start": self.start, "decision": self.decision,
            "decided_by": self.decided_by, "decided_at": self.decided_at,
            "decision_ms": self.decision_ms, "error": self.problem, "closed": self.closed,
            "quota_exhausted": self.quota_exhausted,
            "angles": [a.as_dict() for a in self.angles if a.saved],
        }


@dataclass(frozen=True, slots=True)
class WorkflowState:
    identity: MatchIdentity | None = None
    folder: PurePath | None = None
    stem: str | None = None
    active: ReviewRecord | None = None
    last: ReviewRecord | None = None
    next_id: int = 1
    history: tuple[ReviewRecord, ...] = field(default=(), repr=False)


# --- commands ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrepareRecording:
    """Recording OBS: folder, file name, replay length and folder; start both outputs."""

    identity: MatchIdentity
    folder: PurePath
    replay_folder: PurePath
    stem: str
    filename_pattern: str
    replay_seconds: int
    restart: bool  # a new match: stop a running recording first (new file)


@dataclass(frozen=True, slots=True)
class SaveReplay:
    review_id: int
    requested_by: str = "operator"  # the saved clip is named after who asked


@dataclass(frozen=True, slots=True)
class PlayClip:
    review_id: int
    path: str
    start: float
    angles: tuple[ClipAngle, ...] = ()  # more than one saved: shown together


@dataclass(frozen=True, slots=True)
class StopPlayback:
    review_id: int


@dataclass(frozen=True, slots=True)
class SwitchScene:
    scene: str


@dataclass(frozen=True, slots=True)
class Overlay:
    event: str  # review_started | review_updated | review_closed
    review: ReviewRecord


@dataclass(frozen=True, slots=True)
class StoreReview:
    """Insert or update the clip row of this review (``link`` also links its events)."""

    review: ReviewRecord
    link: bool = False


@dataclass(frozen=True, slots=True)
class EnsureReplayBuffer:
    pass


@dataclass(frozen=True, slots=True)
class Notice:
    level: str  # info | warning
    text: str


Command = (PrepareRecording | SaveReplay | PlayClip | StopPlayback | SwitchScene | Overlay
           | StoreReview | EnsureReplayBuffer | Notice)


# --- transitions ------------------------------------------------------------------


def decision_from_udp(decision: int | None, outcome: int | None) -> str | None:
    """``chN;1|0|-1`` and ``chN;1;1|0`` → a decision word (None: a plain request)."""
    if outcome is not None and decision == 1:
        return "won" if outcome == 1 else "lost"
    return {1: "accepted", 0: "rejected", -1: "cancelled"}.get(decision) if decision is not None \
        else None


def _prepare(config: WorkflowConfig, state: WorkflowState, identity: MatchIdentity,
             tournament: str, day: str, restart: bool) -> tuple[WorkflowState, PrepareRecording]:
    folder = match_folder(config.recordings_root, tournament, day)
    stem = recording_stem(identity)
    cmd = PrepareRecording(identity, folder, replay_folder(folder), stem,
                           obs_filename_pattern(stem), config.clip_seconds, restart)
    return replace(state, identity=identity, folder=folder, stem=stem), cmd


def _remember(state: WorkflowState, review: ReviewRecord) -> tuple[ReviewRecord, ...]:
    history = [r for r in state.history if r.id != review.id]
    history.append(review)
    return tuple(history[-50:])


def _with(state: WorkflowState, review: ReviewRecord) -> WorkflowState:
    """Put an updated review back where it lives (active or last)."""
    if state.active is not None and state.active.id == review.id and not review.closed:
        return replace(state, active=review, history=_remember(state, review))
    active = None if state.active is not None and state.active.id == review.id else state.active
    last = review if state.last is None or review.id >= state.last.id else state.last
    return replace(state, active=active, last=last, history=_remember(state, review))


def _find(state: WorkflowState, review_id: int) -> ReviewRecord | None:
    if state.active is not None and state.active.id == review_id:
        return state.active
    return next((r for r in state.history if r.id == review_id), None)


def step(config: WorkflowConfig, state: WorkflowState, event: Input,
         ) -> tuple[WorkflowState, list[Command]]:
    """One input in, the new state and the commands to carry out (in order) out."""
    match event:
        case MatchLoaded():
            return _match_loaded(config, state, event)
        case ChallengeRequested():
            return _requested(config, state, event)
        case ReplaySaved():
            return _saved(state, event)
        case ReplayFailed():
            review = _find(state, event.review_id)
            if review is None:
                return state, []
            review = replace(review, error=event.error)
            return _with(state, review), [StoreReview(review), Overlay("review_updated", review),
                                         Notice("warning", f"review {review.id}: {event.error}")]
        case Resolved():
            return _resolved(config, state, event)
        case PlaybackEnded():
            if state.active is None or event.reason not in ("user", "quit"):
                return state, []
            return _resolved(config, state, Resolved(event.at, "closed", "operator", "player"))
        case ObsReconnected():
            if state.identity is None or state.folder is None:
                return state, []
            cmd = PrepareRecording(state.identity, state.folder, replay_folder(state.folder),
                                   state.stem or "match", obs_filename_pattern(state.stem or "m"),
                                   config.clip_seconds, restart=False)
            return state, [cmd]
    return state, []  # pragma: no cover - exhaustive above


def _match_loaded(config: WorkflowConfig, state: WorkflowState, event: MatchLoaded,
                  ) -> tuple[WorkflowState, list[Command]]:
    if state.identity == event.identity:
        return state, []
    commands: list[Command] = []
    if state.active is not None:  # a new match while reviewing: the review is over
        state, commands = _resolved(config, state, Resolved(event.at, "cancelled", "system",
                                                            "match"))
    state, prepare = _prepare(config, state, event.identity, event.tournament, event.day,
                              restart=True)
    return state, [*commands, prepare]


def _requested(config: WorkflowConfig, state: WorkflowState, event: ChallengeRequested,
               ) -> tuple[WorkflowState, list[Command]]:
    if state.active is not None:
        if event.source == "udp" and state.active.athlete == event.athlete:
            return state, []  # the sender repeated the request
        return state, [Notice("warning", f"review {state.active.id} is still open: close it "
                                         f"before a new replay ({event.requested_by} asked)")]
    start = config.start_offset
    if event.seconds is not None:
        start = max(0.0, config.clip_seconds - event.seconds)
    identity = state.identity
    review = ReviewRecord(
        id=state.next_id, requested_by=event.requested_by, source=event.source,
        requested_at=event.at, athlete=event.athlete,
        match=identity.number if identity else None,
        match_title=identity.title if identity else None,
        seconds=event.seconds, start=start, quota_exhausted=event.quota_exhausted)
    state = replace(state, active=review, next_id=state.next_id + 1,
                    history=_remember(state, review))
    commands: list[Command] = [SaveReplay(review.id, review.requested_by),
                               SwitchScene(config.ivr_scene),
                               Overlay("review_started", review), StoreReview(review)]
    if review.quota_exhausted:  # recorded and replayed all the same: the referee decides
        commands.append(Notice("warning", f"review {review.id}: {review.problem}"))
    return state, commands


def _saved(state: WorkflowState, event: ReplaySaved) -> tuple[WorkflowState, list[Command]]:
    review = _find(state, event.review_id)
    if review is None:
        return state, []
    missing = missing_text(event.angles)
    review = replace(review, clip=event.path, saved_at=event.at, error=missing,
                     angles=event.angles)
    state = _with(state, review)
    if review.closed:  # decided before the clip was ready: archive it, do not show it
        return state, [StoreReview(review, link=True)]
    commands: list[Command] = [
        PlayClip(review.id, event.path, review.start, event.angles),
        StoreReview(review, link=True), Overlay("review_updated", review)]
    if missing is not None:  # the review goes on with the angles there are
        commands.append(Notice("warning", f"review {review.id}: {missing}"))
    return state, commands


def _resolved(config: WorkflowConfig, state: WorkflowState, event: Resolved,
              ) -> tuple[WorkflowState, list[Command]]:
    review = state.active
    if review is None:
        last = state.last
        # `chN;1;1|0` after `chN;1` closed the review: the outcome completes the decision.
        if last is not None and event.decision in _FINAL and last.decision == "accepted":
            last = replace(last, decision=event.decision, decided_by=event.decided_by)
            return _with(state, last), [StoreReview(last), Overlay("review_closed", last)]
        return state, []
    review = replace(review, decision=event.decision, decided_by=event.decided_by,
                     decided_at=event.at, closed=True)
    state = _with(state, review)
    commands: list[Command] = [Overlay("review_closed", review), SwitchScene(config.live_scene),
                               EnsureReplayBuffer(), StoreReview(review)]
    if event.source != "player":
        commands.insert(0, StopPlayback(review.id))
    return state, commands
