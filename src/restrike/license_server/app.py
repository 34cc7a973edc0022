"""The licence server's HTTP API (FastAPI).

``POST /api/activate`` and ``POST /api/validate`` (``{"key", "fingerprint"}`` ->
``{"token"}``), ``POST /api/deactivate`` (frees the seat), ``GET /api/license-info``
(``{"public_key", "algorithm", "issuer"}``). A refusal is ``{"error": kind, "detail"}``:
404 ``unknown_key``, 403 ``revoked`` / ``expired`` / ``not_activated``, 409 ``no_seat``,
422 ``invalid`` (the body), 429 ``rate_limited`` (with ``Retry-After``). Every client
address gets `RATE_PER_MINUTE` requests a minute (a token bucket), so a key cannot be
guessed by trying.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from restrike import __version__
from restrike.errors import LicenseError
from restrike.license.tokens import ALGORITHM, ISSUER, public_pem, sign
from restrike.license_server.db import KeyRow, LicenseDB

__all__ = ["RATE_PER_MINUTE", "TOKEN_DAYS", "RateLimiter", "create_app"]

log = logging.getLogger(__name__)

RATE_PER_MINUTE = 30
#: How long a token stays valid without a new validation (the station's grace is 7 days).
TOKEN_DAYS = 30
_STATUS = {"unknown_key": 404, "revoked": 403, "expired": 403, "not_activated": 403,
           "no_seat": 409}


class RateLimiter:
    """A token bucket per client: ``per_minute`` requests, refilled continuously."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """0 if ``client`` may go on now (one token taken), else seconds to wait."""
        now = self.clock()
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, at = self._buckets.get(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - at) * rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            if len(self._buckets) > 10_000:  # forget the full buckets
                self._buckets = {c: v for c, v in self._buckets.items()
                                 if v[0] < self.per_minute}
            return (1 - tokens) / rate


class StationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=80)
    fingerprint: str = Field(pattern=r"^[0-9a-f]{64}$",
                             description="The station's hashed machine fingerprint.")


def _refusal(status: int, error: str, detail: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status,
                        headers=headers or None)


def create_app(db: LicenseDB, private: Ed25519PrivateKey, *,
               rate_per_minute: int = RATE_PER_MINUTE, token_days: float = TOKEN_DAYS,
               clock: Callable[[], float] = time.time) -> FastAPI:
    app = FastAPI(title="reStrike licence server", version=__version__,
                  description="Activates, validates and revokes reStrike station licences.")
    limiter = RateLimiter(rate_per_minute)
    public = public_pem(private)

    @app.exception_handler(LicenseError)
    async def refused(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LicenseError)
        return _refusal(_STATUS.get(exc.kind, 400), exc.kind, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        where = "; ".join(".".join(str(p) for p in e["loc"]) + f": {e['msg']}"
                          for e in exc.errors())
        return _refusal(422, "invalid", where or "invalid request")

    @app.middleware("http")
    async def rate_limit(request: Request,
                         call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        client = request.client.host if request.client else "?"
        wait = limiter.wait(client)
        if wait > 0:
            log.warning("licence server: %s is over %d requests a minute", client,
                        rate_per_minute)
            return _refusal(429, "rate_limited", "too many requests: try again in "
                            f"{math.ceil(wait)} s", **{"Retry-After": str(math.ceil(wait))})
        return await call_next(request)

    def token(row: KeyRow, body: StationRequest, now: float) -> dict[str, str]:
        return {"token": sign(private, key=body.key, fingerprint=body.fingerprint, now=now,
                              lifetime=token_days * 86_400,
                              licence_expires_at=row.expires_at, seats=row.seats,
                              jti=secrets.token_hex(8))}

    def client_of(request: Request) -> str:
        return request.client.host if request.client else "?"

    @app.post("/api/activate")
    def activate(body: StationRequest, request: Request) -> dict[str, str]:
        """Take a seat of the key for this machine; its signed token."""
        now = clock()
        row = db.activate(body.key, body.fingerprint, client=client_of(request), now=now)
        log.info("activated key %s on %s", row.id, body.fingerprint[:16])
        return token(row, body, now)

    @app.post("/api/validate")
    def validate(body: StationRequest, request: Request) -> dict[str, str]:
        """The daily check: this machine still holds a seat of a valid key."""
        now = clock()
        row = db.validate(body.key, body.fingerprint, client=client_of(request), now=now)
        return token(row, body, now)

    @app.post("/api/deactivate")
    def deactivate(body: StationRequest, request: Request) -> dict[str, bool]:
        """Free this machine's seat."""
        db.deactivate(body.key, body.fingerprint, client=client_of(request), now=clock())
        return {"ok": True}

    @app.get("/api/license-info")
    def info() -> dict[str, Any]:
        """The public key the stations verify tokens with."""
        return {"public_key": public, "algorithm": ALGORITHM, "issuer": ISSUER,
                "version": __version__}

    return app
