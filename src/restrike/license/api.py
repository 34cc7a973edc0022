"""``/api/v1/license``: the licence state, and activate / validate / deactivate.

Errors are the station's ``{"error", "detail"}`` with ``error`` the `LicenseError`'s
kind: 422 not a key or not a URL, 409 the server refused (unknown key, revoked, no
seat free, a token that does not verify) or there is no licence, 502 the server could
not be reached or did not answer like one.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from restrike.errors import LicenseError
from restrike.http.errors import error_response, responses

if TYPE_CHECKING:
    from restrike.license.plugin import Licensing
    from restrike.license.service import LicenseService

__all__ = ["make_router", "status_of"]

_INPUT = frozenset({"bad_key", "bad_url"})
_PEER = frozenset({"unreachable", "bad_answer"})
_ERRORS = responses((409, "The licence server refused, or there is no licence."),
                    (422, "Not a licence key, or not a server URL."),
                    (502, "The licence server cannot be reached or did not answer like one."))


#: A licence key as the API takes it: the key's groups, any case (`tokens.normalise_key`).
KEY_PATTERN = r"^[A-Za-z0-9]{4,8}(-[A-Za-z0-9]{4,8}){2,7}$"


def status_of(err: LicenseError) -> int:
    """The HTTP status of a licence error."""
    return 422 if err.kind in _INPUT else 502 if err.kind in _PEER else 409


def _refused(err: LicenseError) -> JSONResponse:
    return error_response(status_of(err), str(err), error=err.kind)


class ActivateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=80, pattern=KEY_PATTERN,
                     description="The licence key (any case).")
    server: str = Field(min_length=1, max_length=300, pattern=r"^https?://[^\s/?#]+",
                        description="The licence server, https://host[:port].")


def make_router(part: Licensing) -> APIRouter:
    router = APIRouter(tags=["license"])

    def service() -> LicenseService:
        assert part.service is not None  # set before the router is mounted
        return part.service

    @router.get("/api/v1/license")
    async def status() -> dict[str, Any]:
        """The licence state (trial, active, warning, locked, revoked), days left, the
        reason, the last validation and the hashed machine fingerprint."""
        snapshot = await asyncio.to_thread(service().snapshot)
        part.apply(snapshot)
        return snapshot.as_json()

    @router.post("/api/v1/license/activate", responses=_ERRORS, response_model=None)
    async def activate(body: ActivateBody) -> dict[str, Any] | JSONResponse:
        """Activate this machine with a key at a licence server (it is remembered)."""
        try:
            snapshot = await asyncio.to_thread(service().activate, body.key, body.server)
        except LicenseError as err:
            return _refused(err)
        part.apply(snapshot)
        part.validate_soon()
        return snapshot.as_json()

    @router.post("/api/v1/license/validate", responses=_ERRORS, response_model=None)
    async def validate() -> dict[str, Any] | JSONResponse:
        """Validate with the licence server now; ``error`` says why it failed (offline:
        the licence keeps its grace)."""
        try:
            snapshot, failure = await asyncio.to_thread(service().validate)
        except LicenseError as err:
            return _refused(err)
        part.apply(snapshot)
        return {**snapshot.as_json(), "error": str(failure) if failure else None}

    @router.post("/api/v1/license/deactivate", responses=_ERRORS, response_model=None)
    async def deactivate() -> dict[str, Any] | JSONResponse:
        """Free this machine's seat and forget the licence (the trial does not return)."""
        try:
            failure = await asyncio.to_thread(service().deactivate)
        except LicenseError as err:
            return _refused(err)
        snapshot = await asyncio.to_thread(service().snapshot)
        part.apply(snapshot)
        return {**snapshot.as_json(), "error": str(failure) if failure else None}

    return router
