"""The API's error handlers: every error it returns is the body of `restrike.http.errors`.

Handlers cover unknown routes and methods (Starlette's 404/405, with an ``Allow`` that
lists every method of the path), validation (422 naming each offending field), our own
exception tree and anything unexpected (500, logged: a bug). The same shape is in the
OpenAPI document: `ErrorBody` is the schema of every error response, routes declare
what they can answer with `responses(...)` (both in `restrike.http.errors`, shared with
the parts' routers), and `install_error_handlers` adds to every operation the statuses
the access guard in front of the app can give (400/421 Host, 401 token, and for
state-changing requests 403 Origin, 413 body size, 415 body type).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from restrike.errors import (
    ConfigError,
    ObsError,
    ObsUnavailable,
    PlayerCommandError,
    PlayerError,
    ProtocolError,
    RestrikeError,
    ReviewError,
    SimulatorError,
    StoreError,
)
from restrike.http.errors import MEANING, ErrorBody, error_response

__all__ = ["install_error_handlers"]

log = logging.getLogger(__name__)

_STATUS_OF: tuple[tuple[type[RestrikeError], int], ...] = (
    (ConfigError, 422),
    (ProtocolError, 422),
    (ReviewError, 409),
    (SimulatorError, 409),
    (PlayerCommandError, 409),
    (ObsUnavailable, 503),
    (ObsError, 502),
    (PlayerError, 503),
    (StoreError, 503),
)

#: Answered by the access guard in front of every route, before the route runs.
GUARD_STATUSES = (400, 401, 421)
#: Added by the guard to state-changing requests (POST, PUT, PATCH, DELETE).
GUARD_WRITE_STATUSES = (403, 413, 415)
_WRITES = frozenset({"post", "put", "patch", "delete"})
_LOCATIONS = frozenset({"query", "path", "body", "header", "cookie"})


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("query", "limit")`` → ``limit``; ``("body", "values", "udp")`` → ``values.udp``
    (a parameter may itself be called ``path``: only the first item is a location)."""
    parts = [str(p) for p in (loc[1:] if loc and loc[0] in _LOCATIONS else loc)]
    if parts:
        return ".".join(parts)
    return "body" if loc and loc[0] == "body" else "request"


def _field_error(error: Mapping[str, Any]) -> dict[str, str]:
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":  # loc is ("body", <character position>)
        reason = (error.get("ctx") or {}).get("error", "invalid JSON")
        return {"field": "body", "message": f"not valid JSON ({reason})"}
    return {"field": _field(loc), "message": str(error.get("msg", "invalid"))}


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app takes on this path (Starlette's own ``Allow``
    names only the first route that matched the path)."""
    routes = request.app.router.routes
    return [method for method in _METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL
                   for route in routes)]


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail: Any = exc.detail
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no such route: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
        headers["Allow"] = ", ".join(_allowed_methods(request)) or headers.get("Allow", "")
    return error_response(exc.status_code, detail, headers=headers or None)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [_field_error(e) for e in exc.errors()]
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
    """The handlers above, and the error responses in the app's OpenAPI document."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(RestrikeError, _restrike_error)
    app.add_exception_handler(Exception, _unexpected)
    app.openapi = _documented(app, app.openapi)  # type: ignore[method-assign]


def _documented(app: FastAPI, generate: Callable[[], dict[str, Any]]
                ) -> Callable[[], dict[str, Any]]:
    """``app.openapi`` with `ErrorBody` for every error response: FastAPI's own 422
    schema (a list of pydantic errors) replaced, the guard's statuses added."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        _add_error_schemas(schema)
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                _document_operation(method, operation)
        for name in ("HTTPValidationError", "ValidationError"):
            schema["components"]["schemas"].pop(name, None)
        app.openapi_schema = schema
        return schema

    return openapi


def _add_error_schemas(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in body.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault("ErrorBody", body)


def _document_operation(method: str, operation: dict[str, Any]) -> None:
    answers = operation.setdefault("responses", {})
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    codes = GUARD_STATUSES + (GUARD_WRITE_STATUSES if method in _WRITES else ())
    for code in codes:
        answers.setdefault(str(code), {"description": MEANING[code]})
    for code, answer in answers.items():
        if not code.isdigit() or int(code) < 400:
            continue
        schemas = [kind.get("schema", {}).get("$ref", "")
                   for kind in answer.get("content", {}).values()]
        if any(name.endswith("/HTTPValidationError") for name in schemas):
            answer["description"] = MEANING[422]
        # Errors are JSON even where the route's success is not (FastAPI files them under
        # the route's media type); a route's own error body stays (the health document).
        if all(name.endswith(("/HTTPValidationError", "/ErrorBody")) for name in schemas):
            answer["content"] = {"application/json": {"schema": ref}}
