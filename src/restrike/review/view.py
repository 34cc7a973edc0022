"""What the consoles, overlays and ``GET /api/v1/review`` see of the workflow (pure).

One function builds the body from the workflow's state, the match state (the quota),
the options and the clip's first frame, so the API answer, the ``review`` messages on
/ws/live and the OBS overlay events are the same document.
"""

from __future__ import annotations

from typing import Any

from restrike.protocol import MatchState
from restrike.review.options import ReviewOptions
from restrike.review.rules import marker_at, remaining_quota, review_clock_remaining
from restrike.review.workflow import WorkflowState

__all__ = ["review_body"]


def review_body(flow: WorkflowState, match: MatchState, options: ReviewOptions, *,
                now: float, last_error: str | None, clip_start: float | None
                ) -> dict[str, Any]:
    """The open review (else the last one), its clock, marker and each athlete's quota.

    ``clip_start`` is the wall time of that review's clip's first frame (None until it
    is saved); ``last_error`` the last failed step, shown while no review is open.
    """
    active = flow.active
    review = active or flow.last
    rules = options.rules
    out: dict[str, Any] = {
        "active": active is not None, "id": None, "requested_by": None,
        "requested_at": None, "review_clock_remaining": None, "marker_at": None,
        "marker_in_clip": None, "quota": list(remaining_quota(match, rules.quota)),
        "clip": None, "start": None, "decision": None, "decided_by": None,
        "decision_ms": None, "match": None,
        "error": last_error if active is None else None, "mode": options.mode,
        "quota_exhausted": False, "angles": [], "missing_angles": [],
    }
    if review is None:
        return out
    mark = marker_at(review.requested_at, rules)
    out.update(
        id=review.id, requested_by=review.requested_by, requested_at=review.requested_at,
        marker_at=mark,
        review_clock_remaining=review_clock_remaining(review.requested_at, now, rules)
        if active is not None else 0.0,
        marker_in_clip=None if clip_start is None else max(0.0, mark - clip_start),
        clip=review.clip, start=review.start, decision=review.decision,
        decided_by=review.decided_by, decision_ms=review.decision_ms, match=review.match,
        error=review.problem or out["error"], quota_exhausted=review.quota_exhausted,
        angles=[a.as_dict() for a in review.angles if a.saved],
        missing_angles=[{"name": a.name, "error": a.error} for a in review.angles
                        if not a.saved])
    return out
