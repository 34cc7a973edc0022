"""``Guard``: the ASGI middleware in front of everything the HTTP server answers.

It applies `restrike.api.access.check_request` to every HTTP request and WebSocket
handshake before the app (or the ``GET /api/v1/state`` fast path) sees it, answers a
refusal with the API's JSON error body, counts the bytes of bodies that declare no
length (chunked) so no route ever reads more than its limit, and sets the console's
token cookie when a browser brings the token in the URL (``?token=``). Pages of an
``http.allowed_origins`` origin get CORS answers (their preflights answered here).
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from restrike.api.access import (
    AccessPolicy,
    Refusal,
    body_limit,
    check_request,
    cors_origin,
    header_map,
    is_preflight,
    query_token,
    without_token,
)
from restrike.errors import RequestBodyTooLarge
from restrike.http.errors import error_response

__all__ = ["Guard"]

log = logging.getLogger(__name__)

#: A year: the token stays the same across restarts (see restrike.api.token).
COOKIE_MAX_AGE = 365 * 24 * 3600
#: Distinct refusals logged at WARNING; the rest at DEBUG (a flood must not fill the log).
_LOGGED_MAX = 64
#: What a page of an allowed origin may send (the console's own requests need no CORS).
_CORS_PREFLIGHT = [(b"access-control-allow-methods", b"GET, POST, PUT, PATCH, DELETE"),
                   (b"access-control-allow-headers",
                    b"content-type, authorization, x-restrike-token, x-filename"),
                   (b"access-control-max-age", b"600")]


class Guard:
    """ASGI wrapper: refuse what `check_request` refuses, cap bodies, set the cookie."""

    def __init__(self, app: ASGIApp, policy: AccessPolicy) -> None:
        self.app = app
        self.policy = policy
        self._logged: set[tuple[int, str]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = header_map(scope["headers"])
        method = scope.get("method", "GET")
        cors = cors_origin(self.policy, headers) if kind == "http" else None
        if cors is not None:  # an allowed origin's page may read the answers, refusals too
            send = _with_headers(send, [(b"access-control-allow-origin", cors.encode("latin-1")),
                                        (b"vary", b"Origin")])
        query = scope.get("query_string", b"")
        brought = query_token(query) is not None
        if brought:  # in place: the server logs WebSocket handshakes with their query
            scope["query_string"] = without_token(query)
        refusal = check_request(self.policy, method=method, path=scope["path"],
                                scheme=scope.get("scheme", "http"), headers=headers,
                                query_string=query, websocket=kind == "websocket")
        if refusal is not None:
            self._log(scope, method, refusal, headers)
            await self._refuse(scope, receive, send, refusal)
            return
        if cors is not None and is_preflight(method, headers):
            await self._preflight(send)
            return
        if brought and self.policy.token is not None:
            send = self._with_cookie(send)
        if kind == "websocket" or ("content-length" not in headers
                                   and "transfer-encoding" not in headers):
            await self.app(scope, receive, send)  # no body to count (the hot GETs)
            return
        await self._http(scope, receive, send, headers)

    async def _http(self, scope: Scope, receive: Receive, send: Send,
                    headers: dict[str, str]) -> None:
        """Run the app with ``receive`` counting body bytes against the route's limit."""
        limit = body_limit(scope["path"])
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestBodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except RequestBodyTooLarge:
            refusal = Refusal(413, f"the request body is over the {limit}-byte limit of "
                                   f"{scope['method']} {scope['path']}",
                              (("Connection", "close"),))
            self._log(scope, scope["method"], refusal, headers)
            if not started:
                await self._refuse(scope, receive, send, refusal)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, refusal: Refusal) -> None:
        if scope["type"] == "websocket":
            # Closed before accept: the server answers the handshake with a bare 403 (the
            # reason is in the log). Not an HTTP answer with our JSON body: uvicorn's
            # websockets-sansio protocol logs an error for every such denial response.
            await send({"type": "websocket.close", "code": 1008})
            return
        response = error_response(refusal.status, refusal.detail,
                                  headers=dict(refusal.headers) or None)
        await response(scope, receive, send)

    def _with_cookie(self, send: Send) -> Send:
        policy = self.policy
        assert policy.token is not None
        cookie = (f"{policy.cookie}={policy.token}; Path=/; Max-Age={COOKIE_MAX_AGE}; "
                  "HttpOnly; SameSite=Strict").encode("latin-1")
        return _with_headers(send, [(b"set-cookie", cookie)])

    @staticmethod
    async def _preflight(send: Send) -> None:
        """204 with what the page may send (``send`` adds the allowed origin)."""
        headers = [*_CORS_PREFLIGHT, (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def _log(self, scope: Scope, method: str, refusal: Refusal,
             headers: dict[str, str]) -> None:
        client = scope.get("client") or ("?", 0)
        key = (refusal.status, refusal.detail)
        first = key not in self._logged and len(self._logged) < _LOGGED_MAX
        if first:
            self._logged.add(key)
        log.log(logging.WARNING if first else logging.DEBUG,
                "refused %s %s from %s (Host %s, Origin %s): %d %s", method, scope["path"],
                client[0], headers.get("host", "-"), headers.get("origin", "-"),
                refusal.status, refusal.detail)


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """``send`` with ``extra`` headers added to the response's start."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending
