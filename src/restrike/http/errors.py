"""Every error the station's HTTP routes answer is ``{"error": <short>, "detail": <message>}``.

The body (`ErrorBody`), what each status means (`MEANING`), a route's documented error
answers (`responses(...)`) and the response itself (`error_response`). The handlers
that turn exceptions into these bodies are the API's (`restrike.api.errors`).
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "MEANING",
    "ErrorBody",
    "ErrorDetail",
    "FieldError",
    "error_response",
    "responses",
]

#: What each error status means on this API (the OpenAPI descriptions).
MEANING: Mapping[int, str] = {
    400: "Malformed request (e.g. a Host header that is not a host name).",
    401: "The operator token is missing or wrong (required when the station listens "
         "beyond loopback).",
    403: "Refused: a cross-site request (Origin), or a file outside the allowed folders "
         "or not a video.",
    404: "Not found.",
    409: "Not possible now (the station's or a peer's state refuses it).",
    413: "Request body too large.",
    415: "Unsupported body type: send application/json (or the upload type).",
    421: "The Host header does not name this station.",
    422: "A parameter or the body is invalid; `fields` names each one.",
    502: "A peer (OBS) refused the request.",
    503: "A peer (OBS, mpv) or the store is unavailable.",
}


class FieldError(BaseModel):
    field: str = Field(description="The parameter or body field, dotted (`limit`, "
                                   "`values.udp.port`); `body` for the whole body.")
    message: str


class ErrorDetail(BaseModel):
    """A detail with context the console points at (a protocol file's line, the
    settings that were refused)."""

    model_config = ConfigDict(extra="allow")
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(extra="allow")
    error: str = Field(description="Short kind: the HTTP status phrase ('not found') or "
                                   "the station's error class ('ReviewError').")
    detail: str | ErrorDetail = Field(description="What went wrong, for a person.")
    fields: list[FieldError] = Field(default=[], description="422 only: each invalid "
                                                             "parameter or field.")


def responses(*codes: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each status it can answer with, as an `ErrorBody`
    (``(404, "no match with that id")`` gives the status its own description)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        status, text = code if isinstance(code, tuple) else (code, MEANING[code])
        out[status] = {"model": ErrorBody, "description": text}
    return out


def error_response(status: int, detail: Any, error: str | None = None,
                   headers: Mapping[str, str] | None = None, **extra: Any) -> JSONResponse:
    try:
        phrase = HTTPStatus(status).phrase.lower()
    except ValueError:
        phrase = "error"
    body = {"error": error or phrase, "detail": _detail(detail, phrase), **extra}
    return JSONResponse(body, status_code=status, headers=dict(headers) if headers else None)


def _detail(detail: Any, phrase: str) -> str | dict[str, Any]:
    """``detail`` in the documented shape: a non-empty string or an object with a message."""
    if isinstance(detail, str):
        return detail or phrase
    if isinstance(detail, Mapping):
        if isinstance(detail.get("message"), str):
            return dict(detail)
        return {"message": phrase, **detail}
    return phrase if detail is None else str(detail)
