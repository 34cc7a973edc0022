"""The station's side of the licence server's HTTP API (blocking; run it in a thread).

``POST /api/activate`` and ``POST /api/validate`` with ``{"key", "fingerprint"}``
answer ``{"token"}``; ``GET /api/license-info`` answers the server's public key. A
refusal is the server's ``{"error", "detail"}`` as a `LicenseError` whose ``kind`` is
the server's ``error`` (``unknown_key``, ``revoked``, ``no_seat``, ``expired``,
``not_activated``, ``rate_limited``); no answer at all is kind ``unreachable``.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from restrike.errors import LicenseError

__all__ = ["REFUSALS", "TIMEOUT", "activate", "check_url", "deactivate", "info", "validate"]

TIMEOUT = 10.0
#: What the server's refusals mean for the station (kinds that end the licence here).
REFUSALS = frozenset({"unknown_key", "revoked", "no_seat", "expired", "not_activated"})


def check_url(server: str) -> str:
    """The server's base URL without a trailing slash; LicenseError if it is no URL."""
    url = server.strip().rstrip("/")
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as err:  # e.g. "http://[x" (an IPv6 bracket left open)
        raise LicenseError(f"{server!r} is not a licence server URL: give it as "
                           "https://host[:port]", kind="bad_url") from err
    if (not url.isprintable() or any(c.isspace() for c in url)
            or parts.scheme not in ("http", "https") or not parts.hostname):
        raise LicenseError(f"{server!r} is not a licence server URL: give it as "
                           "https://host[:port]", kind="bad_url")
    try:
        _ = parts.port
    except ValueError as err:
        raise LicenseError(f"{server!r} has an invalid port: give the server as "
                           "https://host[:port]", kind="bad_url") from err
    return url


def _call(server: str, path: str, body: dict[str, Any] | None,
          timeout: float) -> dict[str, Any]:
    url = check_url(server) + path
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json",
                                              "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            payload = json.loads(answer.read(1_000_000))
    except urllib.error.HTTPError as err:
        raise _refusal(server, err) from err
    except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
        reason = getattr(err, "reason", err)
        raise LicenseError(f"cannot reach the licence server at {server} ({reason}): check "
                           "the URL and the network, then try again",
                           kind="unreachable") from err
    except ValueError as err:
        raise LicenseError(f"{server} did not answer like a licence server (not JSON): "
                           "check the URL", kind="bad_answer") from err
    if not isinstance(payload, dict):
        raise LicenseError(f"{server} did not answer like a licence server: check the URL",
                           kind="bad_answer")
    return payload


def _refusal(server: str, err: urllib.error.HTTPError) -> LicenseError:
    try:
        body = json.loads(err.read(100_000))
    except (OSError, ValueError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        detail = body.get("detail") if isinstance(body.get("detail"), str) else body["error"]
        return LicenseError(f"the licence server refused: {detail}", kind=body["error"])
    return LicenseError(f"{server} answered HTTP {err.code}, not like a licence server: "
                        "check the URL", kind="bad_answer")


def _token(answer: dict[str, Any], server: str) -> str:
    token = answer.get("token")
    if not isinstance(token, str) or not token:
        raise LicenseError(f"{server} answered without a licence token: check the URL",
                           kind="bad_answer")
    return token


def activate(server: str, key: str, fingerprint: str, *, timeout: float = TIMEOUT) -> str:
    """A new seat for this machine: the signed token."""
    return _token(_call(server, "/api/activate", {"key": key, "fingerprint": fingerprint},
                        timeout), server)


def validate(server: str, key: str, fingerprint: str, *, timeout: float = TIMEOUT) -> str:
    """The daily check of this machine's seat: a fresh signed token."""
    return _token(_call(server, "/api/validate", {"key": key, "fingerprint": fingerprint},
                        timeout), server)


def info(server: str, *, timeout: float = TIMEOUT) -> dict[str, Any]:
    """``GET /api/license-info``: ``public_key`` (PEM), ``algorithm``, ``issuer``."""
    answer = _call(server, "/api/license-info", None, timeout)
    if not isinstance(answer.get("public_key"), str):
        raise LicenseError(f"{server} answered without its public key: check the URL",
                           kind="bad_answer")
    return answer


def deactivate(server: str, key: str, fingerprint: str, *, timeout: float = TIMEOUT) -> None:
    """Free this machine's seat of ``key``."""
    _call(server, "/api/deactivate", {"key": key, "fingerprint": fingerprint}, timeout)
