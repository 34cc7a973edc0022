"""Every error the API returns is JSON ``{"error": <short>, "detail": <clear message>}``.

Handlers cover unknown routes and methods (Starlette's 404/405), validation (422 with
the offending parameters), our own exception tree and anything unexpected (500).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from restrike.errors import (
    ConfigError,
    ObsUnavailable,
    PlayerError,
    RestrikeError,
    ReviewError,
    StoreError,
)

__all__ = ["error_response", "install_error_handlers"]

log = logging.getLogger(__name__)

_STATUS_OF: tuple[tuple[type[RestrikeError], int], ...] = (
    (ConfigError, 422),
    (ReviewError, 409),
    (ObsUnavailable, 503),
    (PlayerError, 503),
    (StoreError, 503),
)


def error_response(status: int, detail: Any, error: str | None = None,
                   headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    try:
        phrase = HTTPStatus(status).phrase.lower()
    except ValueError:
        phrase = "error"
    body = {"error": error or phrase, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header")]
    return ".".join(parts) or "request"


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail: Any = exc.detail
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no such route: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return error_response(exc.status_code, detail, headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [{"field": _field(e.get("loc", ())), "message": e.get("msg", "invalid")}
              for e in exc.errors()]
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or "invalid request"
    return error_response(422, detail, error="invalid request", fields=fields)


async def _restrike_error(request: Request, exc: Exception) -> JSONResponse:
    status = next((code for kind, code in _STATUS_OF if isinstance(exc, kind)), 500)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc)
    return error_response(status, str(exc), error=type(exc).__name__)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(500, f"{type(exc).__name__}: {exc}", error="internal error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(RestrikeError, _restrike_error)
    app.add_exception_handler(Exception, _unexpected)
