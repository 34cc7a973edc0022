"""Who may call the station's HTTP API: the policy and its pure decisions.

`check_request` looks at one request's method, path, headers and query and says
whether it is refused and why; `restrike.api.guard` applies it in front of the app.
The rules (docs/api.md "Who may call the API"):

1. **Host** must be a name of this station (loopback names, the bound address,
   ``http.allowed_hosts``; any IP address when bound to all interfaces, since DNS
   rebinding needs a name) → 421.
2. A state-changing request or a WebSocket handshake that carries ``Origin`` must come
   from the station's own origin (loopback aliases count) or ``http.allowed_origins``;
   without ``Origin``, ``Sec-Fetch-Site: cross-site``/``same-site`` is refused too → 403.
3. The **operator token**, when one is in force → 401.
4. A state-changing request with a body must declare JSON (or the upload type of an
   upload route) → 415; a declared body over the route's limit → 413.

Pages of an ``http.allowed_origins`` origin get CORS answers (`cors_origin`): their
preflights are answered by the guard, so they can send JSON like the console does.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from restrike.errors import ConfigError

__all__ = [
    "DEFAULT_MAX_BODY",
    "PROTOCOL_MAX_BODY",
    "STATE_CHANGING",
    "AccessPolicy",
    "HttpAccess",
    "Origin",
    "Refusal",
    "body_limit",
    "check_request",
    "cors_origin",
    "header_map",
    "is_loopback",
    "is_preflight",
    "parse_origin",
    "query_token",
    "split_host",
    "without_token",
]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARDS = frozenset({"", "0.0.0.0", "::"})
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON = "application/json"
DEFAULT_MAX_BODY = 1 << 20  # 1 MiB
PROTOCOL_MAX_BODY = 256 << 10  # 256 KiB: the shipped definition is under 10 KB
#: Upload routes and the body types they take instead of JSON.
UPLOAD_TYPES: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/api/v1/protocol"): frozenset({"text/plain", "application/octet-stream"}),
}
#: Routes with a smaller body limit than DEFAULT_MAX_BODY (any method).
BODY_LIMITS: dict[str, int] = {"/api/v1/protocol": PROTOCOL_MAX_BODY}
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


@dataclass(frozen=True, slots=True)
class HttpAccess:
    """The settings behind the policy, as ``restrike run`` hands them to the server."""

    token: str | None = None  # None: generated in the data folder if the host needs one
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused: its status, short error and the clear message."""

    status: int
    detail: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


@functools.lru_cache(maxsize=256)  # a station is called by a handful of names
def split_host(value: str) -> tuple[str, int | None] | None:
    """A Host header (``name``, ``name:port``, ``[v6]:port``) → (lowercase name, port);
    None when it is malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        name, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else ""
    else:
        name, _, port_text = value.partition(":")
        if ":" in port_text:
            return None
    if not name or any(c in name for c in "/\\@ ?#"):
        return None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            return None
        return name, int(port_text)
    return name, None


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """localhost or a loopback address (what a bound ``http.host`` is checked with)."""
    name = host.strip().strip("[]").lower()
    address = _ip(name)
    return name == "localhost" or (address is not None and address.is_loopback)


def parse_origin(value: str) -> Origin | None:
    """``scheme://host[:port]`` → Origin with its port; None for ``null`` or junk."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username \
            or parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    return Origin(scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme])


def body_limit(path: str) -> int:
    return BODY_LIMITS.get(path, DEFAULT_MAX_BODY)


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """What the guard lets in; built once when the server starts."""

    port: int
    hosts: frozenset[str]
    any_ip: bool = False  # bound to all interfaces: every IP literal names this machine
    origins: frozenset[Origin] = frozenset()
    token: str | None = None

    @classmethod
    def build(cls, bound_host: str, port: int, *, allowed_hosts: Iterable[str] = (),
              allowed_origins: Iterable[str] = (), token: str | None = None) -> AccessPolicy:
        """ConfigError naming the setting when an allowed host or origin is malformed."""
        hosts = set(LOOPBACK_NAMES)
        bound = bound_host.strip().strip("[]").lower()
        wildcard = bound in WILDCARDS
        if wildcard:
            hosts.add(socket.gethostname().lower())
        else:
            hosts.add(bound)
        for entry in allowed_hosts:
            parsed = split_host(entry)
            if parsed is None:
                raise ConfigError(f"http.allowed_hosts: {entry!r} is not a host name")
            hosts.add(parsed[0])
        origins = set()
        for entry in allowed_origins:
            origin = parse_origin(entry)
            if origin is None:
                raise ConfigError(f"http.allowed_origins: {entry!r} is not an origin "
                                  "(scheme://host[:port], e.g. http://court1.local:8000)")
            origins.add(origin)
        return cls(port, frozenset(hosts), wildcard, frozenset(origins), token or None)

    @property
    def cookie(self) -> str:
        """The console's token cookie; named per port, as cookies ignore ports."""
        return f"restrike_token_{self.port}"

    def host_allowed(self, host: tuple[str, int | None]) -> bool:
        name = host[0]
        return name in self.hosts or (self.any_ip and _ip(name) is not None)

    def origin_allowed(self, origin: Origin, host: tuple[str, int | None] | None,
                       scheme: str) -> bool:
        """The request's own origin (its Host, or a loopback alias of it) or a configured one."""
        if origin in self.origins:
            return True
        if origin.scheme not in ("http", "https"):
            return False
        name, port = host if host is not None else ("127.0.0.1", self.port)
        port = port or _DEFAULT_PORTS.get(scheme, 80)
        if origin.port != port:
            return False
        return origin.host == name or (origin.host in LOOPBACK_NAMES and name in LOOPBACK_NAMES)

    def describe(self) -> dict[str, Any]:
        """For ``GET /api/v1/access``: the console adds the token to the overlay URLs it
        lists (only a caller that has the token already can read it here)."""
        return {"token_required": self.token is not None, "token": self.token,
                "cookie": self.cookie if self.token is not None else None,
                "hosts": sorted(self.hosts), "any_ip_host": self.any_ip,
                "origins": sorted(str(o) for o in self.origins)}

    def token_ok(self, candidates: Iterable[str]) -> bool:
        assert self.token is not None
        expected = self.token.encode()
        return any(hmac.compare_digest(c.encode("utf-8", "replace"), expected)
                   for c in candidates)


def header_map(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """ASGI headers → {lowercase name: value}; the first of a repeated header wins,
    except cookies, which are joined."""
    out: dict[str, str] = {}
    for name_b, value_b in raw:
        name = name_b.decode("latin-1").lower()
        value = value_b.decode("latin-1")
        if name == "cookie" and name in out:
            out[name] += "; " + value
        else:
            out.setdefault(name, value)
    return out


def query_token(query_string: bytes) -> str | None:
    """The ``token`` parameter of a query string (how a browser first brings it)."""
    if b"token=" not in query_string:
        return None
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return next((value for key, value in pairs if key == "token"), None)


def without_token(query_string: bytes) -> bytes:
    """The query string without its ``token`` parameter (so no log line shows it)."""
    return b"&".join(part for part in query_string.split(b"&")
                     if not part.startswith(b"token="))


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip().strip('"')
    return None


def _tokens(policy: AccessPolicy, headers: Mapping[str, str], query: str | None) -> list[str]:
    found = []
    scheme, _, credential = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        found.append(credential.strip())
    for value in (headers.get("x-restrike-token"), _cookie(headers.get("cookie", ""),
                                                             policy.cookie), query):
        if value:
            found.append(value)
    return found


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _body(method: str, path: str, headers: Mapping[str, str]) -> Refusal | None:
    """415 for a body that is not JSON (or the upload type); 413 for a declared size
    over the limit. A request without a body needs no Content-Type."""
    length_text = headers.get("content-length", "").strip()
    length = int(length_text) if length_text.isdigit() else None
    chunked = "transfer-encoding" in headers
    if not chunked and not length:
        return None
    what = f"{method} {path}"
    if method in STATE_CHANGING:
        accepted = UPLOAD_TYPES.get((method, path), frozenset({JSON}))
        declared = _media_type(headers.get("content-type", ""))
        if declared not in accepted:
            said = f"{declared!r}" if declared else "a body without Content-Type"
            return Refusal(415, f"{what} takes {' or '.join(sorted(accepted))}, not {said}")
    limit = body_limit(path)
    if length is not None and length > limit:
        return Refusal(413, f"the request body of {length} bytes is over the {limit}-byte "
                            f"limit of {what}", (("Connection", "close"),))
    return None


def cors_origin(policy: AccessPolicy, headers: Mapping[str, str]) -> str | None:
    """The ``Origin`` header when it is one of ``http.allowed_origins`` (answered with
    CORS headers), else None: the station's own pages need no CORS."""
    text = headers.get("origin")
    if not text or not policy.origins:
        return None
    return text if parse_origin(text) in policy.origins else None


def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
    return method == "OPTIONS" and "access-control-request-method" in headers


def check_request(policy: AccessPolicy, *, method: str, path: str, scheme: str,
                  headers: Mapping[str, str], query_string: bytes = b"",
                  websocket: bool = False) -> Refusal | None:
    """None if the request may go on; else the Refusal to answer with.

    ``method`` is ``GET`` for a WebSocket handshake (``websocket=True``).
    """
    host_header = headers.get("host")
    host = split_host(host_header) if host_header is not None else None
    if host_header is not None and (host is None or not policy.host_allowed(host)):
        return Refusal(421, f"this station does not answer to the host name "
                            f"{host_header!r}: call it by localhost, 127.0.0.1 or [::1] "
                            "(or its own address), or add the name to http.allowed_hosts")
    if is_preflight(method, headers) and cors_origin(policy, headers):
        return None  # a preflight carries no token; the request that follows must
    if websocket or method in STATE_CHANGING:
        what = "open /ws/live" if websocket else f"{method} {path}"
        origin_text = headers.get("origin")
        if origin_text is not None:
            origin = parse_origin(origin_text)
            if origin is None or not policy.origin_allowed(origin, host, scheme):
                return Refusal(403, f"a page from {origin_text} may not {what}: only the "
                                    "station's own console may (add its origin to "
                                    "http.allowed_origins to allow it)")
        elif headers.get("sec-fetch-site", "").lower() in ("cross-site", "same-site"):
            return Refusal(403, f"a page of another site may not {what} "
                                f"(Sec-Fetch-Site: {headers['sec-fetch-site']})")
    if policy.token is not None and not policy.token_ok(
            _tokens(policy, headers, query_token(query_string))):
        return Refusal(401, "this station needs the operator token: open the console once "
                            "with the URL `restrike run` printed (…/?token=…), or send "
                            "`Authorization: Bearer <token>` or `X-Restrike-Token: <token>`; "
                            "the token is http.token or the file http-token in the data "
                            "folder", (("WWW-Authenticate", 'Bearer realm="restrike"'),))
    if websocket:
        return None
    return _body(method, path, headers)
