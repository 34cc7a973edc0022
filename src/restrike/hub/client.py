"""The station's HTTP client to the hub: one kept-alive connection, used from one thread.

Standard library only (``http.client``), so a court laptop needs nothing more than
the station to send. Every failure becomes `HubError`: ``status`` None when the hub
could not be reached, else the status it answered with and its ``detail``.
"""

from __future__ import annotations

import http.client
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from restrike.errors import HubError

__all__ = ["UPLOAD_PATH", "HubClient", "encode"]

log = logging.getLogger(__name__)

UPLOAD_PATH = "/api/v1/hub/upload"


def encode(body: dict[str, Any]) -> bytes:
    """A body as compact UTF-8 JSON."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class HubClient:
    """POSTs uploads to ``url`` with ``token`` (``Authorization: Bearer``)."""

    def __init__(self, url: str, token: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HubError(f"hub.url must be http://HOST[:PORT] or https://..., not {url!r}")
        self.url = url.rstrip("/")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def twin(self) -> HubClient:
        """Another client to the same hub (a connection of its own, for a second upload
        in flight)."""
        return HubClient(self.url, self._token, timeout=self._timeout)

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            kind = (http.client.HTTPSConnection if self._scheme == "https"
                    else http.client.HTTPConnection)
            self._conn = kind(self._host, self._port, timeout=self._timeout)
        return self._conn

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send one upload; the hub's JSON reply. HubError if not answered 200."""
        self.send(encode(body))
        return self.answer()

    def send(self, data: bytes) -> None:
        """Write one upload (JSON, ``encode``) without waiting for its answer (``answer``):
        an uploader keeps its uploads in order by writing each whole before the next."""
        headers = {"Content-Type": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            self._connection().request("POST", self._prefix + UPLOAD_PATH, body=data,
                                       headers=headers)
        except (OSError, http.client.HTTPException) as err:
            self.close()
            raise HubError(f"cannot reach the hub at {self.url}: {err}") from err

    def answer(self) -> dict[str, Any]:
        """The hub's reply to the upload ``send`` wrote. HubError if not answered 200."""
        try:
            if self._conn is None:
                raise http.client.HTTPException("the connection was closed")
            answer = self._conn.getresponse()
            raw = answer.read()
        except (OSError, http.client.HTTPException) as err:
            self.close()
            raise HubError(f"cannot reach the hub at {self.url}: {err}") from err
        try:
            reply = json.loads(raw) if raw else {}
        except ValueError:
            reply = {}
        if answer.status != 200:
            detail = reply.get("detail") if isinstance(reply, dict) else None
            if isinstance(detail, dict):
                detail = detail.get("message")
            if answer.status == 404:
                detail = ("it has no upload route: it is no reStrike hub, or one older "
                          "than this station (upgrade the hub)")
            raise HubError(f"the hub at {self.url} answered {answer.status}: "
                           f"{detail or raw[:200].decode('utf-8', 'replace')}",
                           status=answer.status)
        if not isinstance(reply, dict):
            raise HubError(f"the hub at {self.url} answered something else than JSON",
                           status=answer.status)
        return reply

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
