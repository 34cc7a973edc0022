"""The manual scoring routes: the state of it, an entry, an undo (docs/manual-scoring.md).

Bodies are checked by pydantic (unknown fields refused, every number bounded: 422
naming the field); an entry the scoreboard cannot take is 422 with the reason, a
live feed without ``force`` 409, a store or ingest that cannot take it 503. Errors
are ``{"error", "detail"}`` (`restrike.http.errors`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from restrike.errors import (
    FeedLiveError,
    ManualError,
    ManualUnavailable,
    NothingToUndoError,
    StoreError,
)
from restrike.http.errors import error_response, responses
from restrike.manual.translate import DECISIONS, Entry

if TYPE_CHECKING:
    from restrike.manual.plugin import Manual

__all__ = ["EntryBody", "UndoBody", "make_router"]

Decision = Literal[DECISIONS]  # type: ignore[valid-type]


class EntryBody(BaseModel):
    """One manual entry; which fields count depends on ``action``."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["points", "penalty", "round", "clock", "winner"]
    side: Literal["blue", "red"] | None = None
    value: int | None = Field(None, ge=-5, le=9, description="points: 1..5 or -5..-1; "
                              "penalty: 1 or -1; round: 1..9")
    seconds: int | None = Field(None, ge=0, le=5999, description="clock: the time")
    clock_action: Literal["corr", "start", "stop"] | None = None
    color: Literal["BLUE", "RED"] | None = None
    decision: Decision | None = None
    force: StrictBool = Field(False, description="enter it even while the court feed is live")

    def entry(self) -> Entry:
        return Entry(self.action, self.side, self.value, self.seconds, self.clock_action,
                     self.color, self.decision)


class UndoBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    force: StrictBool = False


def _refused(err: ManualError) -> JSONResponse:
    """409 for a live feed or nothing to undo, 503 for a store or ingest that cannot take
    it, 422 for an entry the scoreboard cannot take."""
    status = (409 if isinstance(err, FeedLiveError | NothingToUndoError)
              else 503 if isinstance(err, ManualUnavailable) else 422)
    return error_response(status, str(err), error="ManualError" if status == 422 else None)


def make_router(manual: Manual) -> APIRouter:
    router = APIRouter(tags=["manual"])

    @router.get("/api/v1/manual", responses=responses(503))
    async def manual_status() -> Any:
        """The feed's activity, the current match's entries (newest first), the one an
        undo would take back, and what the feed changed since it came back."""
        try:
            return await manual.status()
        except (ManualError, StoreError) as err:
            return error_response(503, str(err))

    @router.post("/api/v1/manual", responses=responses(409, 422, 503))
    async def manual_entry(body: EntryBody) -> Any:
        """Enter points, a penalty, the round, the clock or the winner."""
        try:
            return await manual.enter(body.entry(), body.force)
        except ManualError as err:
            return _refused(err)
        except StoreError as err:
            return error_response(503, str(err))

    @router.post("/api/v1/manual/undo", responses=responses(409, 503))
    async def manual_undo(body: UndoBody | None = None) -> Any:
        """Undo the current match's latest manual entry (a revert: the state as if it
        had never been made)."""
        try:
            return await manual.undo(body.force if body else False)
        except ManualError as err:
            return _refused(err)
        except StoreError as err:
            return error_response(503, str(err))

    return router
