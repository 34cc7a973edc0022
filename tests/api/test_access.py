"""The guard's rules as pure decisions (restrike.api.access) and the operator token file
(restrike.api.token); tests/api/test_guard.py checks them through the real station."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from restrike.api.access import (
    AccessPolicy,
    Origin,
    check_request,
    is_loopback,
    parse_origin,
    split_host,
)
from restrike.api.token import TOKEN_FILE, operator_token
from restrike.errors import ConfigError

PORT = 8080
LOOPBACK = AccessPolicy.build("127.0.0.1", PORT)
TOKEN = "t0ken-of-the-operator-0123456789"
LAN = AccessPolicy.build("0.0.0.0", PORT, token=TOKEN,
                         allowed_hosts=["court1.local"],
                         allowed_origins=["http://companion.local:8000"])


def status(policy: AccessPolicy, method: str = "GET", path: str = "/api/v1/state",
           websocket: bool = False, query: bytes = b"", **headers: str) -> int:
    """The guard's answer to a request with these headers (``x_y`` is ``X-Y``)."""
    return answer(policy, method, path, headers, websocket=websocket, query=query)


def answer(policy: AccessPolicy, method: str, path: str, headers: dict[str, str], *,
           websocket: bool = False, query: bytes = b"") -> int:
    named = {k.replace("_", "-").lower(): v for k, v in headers.items()}
    named.setdefault("host", f"127.0.0.1:{PORT}")
    refusal = check_request(policy, method=method, path=path, scheme="http",
                            headers=named, query_string=query, websocket=websocket)
    return 200 if refusal is None else refusal.status


@pytest.mark.parametrize(("host", "expected"), [
    ("localhost", 200), (f"localhost:{PORT}", 200), ("127.0.0.1", 200), ("[::1]:8080", 200),
    ("LOCALHOST:8080", 200), ("evil.example", 421), ("evil.example:8080", 421),
    ("127.0.0.1.nip.io", 421), ("192.168.1.20:8080", 421), ("[::1", 421), ("a:b:c", 421),
    ("localhost:99999", 421), ("", 421),
])
def test_host_allow_list_on_loopback(host: str, expected: int) -> None:
    assert status(LOOPBACK, host=host) == expected


def test_host_allow_list_on_all_interfaces() -> None:
    bearer = f"Bearer {TOKEN}"
    # Bound to 0.0.0.0 every address literal names this machine (rebinding needs a name).
    for host in ("192.168.1.20:8080", "[fe80::1]:8080", "court1.local:8080", "localhost"):
        assert status(LAN, host=host, authorization=bearer) == 200, host
    assert status(LAN, host="evil.example:8080", authorization=bearer) == 421
    assert status(LAN, authorization=bearer) == 200  # no Host header (HTTP/1.0 scripts)


@pytest.mark.parametrize(("origin", "expected"), [
    (f"http://127.0.0.1:{PORT}", 200), (f"http://localhost:{PORT}", 200),
    (f"http://[::1]:{PORT}", 200), ("http://127.0.0.1:9999", 403), ("http://evil.example", 403),
    (f"http://evil.example:{PORT}", 403), ("null", 403), ("file://", 403), ("garbage", 403),
])
def test_origin_of_state_changing_requests(origin: str, expected: int) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert status(LOOPBACK, method, "/api/v1/replay", origin=origin) == expected
    assert status(LOOPBACK, websocket=True, path="/ws/live", origin=origin) == expected
    # Reading is not guarded by Origin: without CORS headers a foreign page cannot read.
    assert status(LOOPBACK, "GET", origin=origin) == 200


def test_origin_is_compared_with_the_host_the_request_used() -> None:
    host = "court1.local:8080"
    def post(origin: str) -> int:
        return status(LAN, "POST", host=host, origin=origin, authorization=f"Bearer {TOKEN}")

    assert post("http://court1.local:8080") == 200
    assert post("http://127.0.0.1:8080") == 403
    assert post("http://companion.local:8000") == 200
    assert post("http://companion.local:8001") == 403


def test_sec_fetch_site_without_origin() -> None:
    for site, expected in (("cross-site", 403), ("same-site", 403), ("same-origin", 200),
                           ("none", 200)):
        assert status(LOOPBACK, "POST", sec_fetch_site=site) == expected, site
        assert status(LOOPBACK, websocket=True, sec_fetch_site=site) == expected, site
    assert status(LOOPBACK, "POST") == 200  # curl, scripts, Companion: no Origin at all


def test_body_types_and_sizes() -> None:
    def post(**headers: str) -> int:
        return answer(LOOPBACK, "POST", "/api/v1/tournament", headers)

    def upload(**headers: str) -> int:
        return answer(LOOPBACK, "POST", "/api/v1/protocol", headers)

    assert post(content_type="application/json", content_length="9") == 200
    assert post(content_type="application/json; charset=utf-8", content_length="9") == 200
    for declared in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        assert post(content_type=declared, content_length="9") == 415
    assert post(content_length="9") == 415  # a body says what it is
    assert post(transfer_encoding="chunked") == 415
    assert post() == 200  # no body: Companion's bodiless POST
    assert post(content_length="0") == 200
    assert upload(content_type="text/plain", content_length="9") == 200
    assert upload(content_type="application/json", content_length="9") == 415
    assert post(content_type="application/json", content_length=str((1 << 20) + 1)) == 413
    assert upload(content_type="text/plain", content_length=str((256 << 10) + 1)) == 413
    assert upload(content_type="text/plain", content_length=str(256 << 10)) == 200


def test_token_sources() -> None:
    assert status(LAN) == 401
    assert status(LAN, authorization=f"Bearer {TOKEN}") == 200
    assert status(LAN, authorization=f"bearer {TOKEN}") == 200
    assert status(LAN, authorization=f"Basic {TOKEN}") == 401
    assert status(LAN, x_restrike_token=TOKEN) == 200
    assert status(LAN, cookie=f"a=1; restrike_token_{PORT}={TOKEN}") == 200
    assert status(LAN, cookie=f"restrike_token_9999={TOKEN}") == 401  # another station's
    assert status(LAN, query=f"theme=minimal&token={TOKEN}".encode()) == 200
    assert status(LAN, x_restrike_token=TOKEN[:-1]) == 401
    assert status(LAN, websocket=True) == 401
    assert status(LAN, websocket=True, query=f"token={TOKEN}".encode()) == 200
    # Host and Origin come first: the token does not let a foreign page in.
    assert status(LAN, "POST", origin="http://evil.example", x_restrike_token=TOKEN) == 403
    assert status(LAN, host="evil.example", x_restrike_token=TOKEN) == 421


def test_preflight_of_an_allowed_origin_needs_no_token() -> None:
    def preflight(origin: str, host: str = f"127.0.0.1:{PORT}") -> int:
        return status(LAN, "OPTIONS", origin=origin, host=host,
                      access_control_request_method="POST")

    assert preflight("http://companion.local:8000") == 200
    assert preflight("http://evil.example") == 401
    assert status(LAN, "OPTIONS", origin="http://companion.local:8000") == 401  # no preflight
    assert preflight("http://companion.local:8000", host="evil.example") == 421


def test_policy_refuses_malformed_settings() -> None:
    with pytest.raises(ConfigError, match=r"http\.allowed_origins"):
        AccessPolicy.build("127.0.0.1", PORT, allowed_origins=["court1.local:8000"])
    with pytest.raises(ConfigError, match=r"http\.allowed_hosts"):
        AccessPolicy.build("127.0.0.1", PORT, allowed_hosts=["http://x/"])


def test_token_left_out_of_the_query() -> None:
    from restrike.api.access import without_token

    assert without_token(b"theme=minimal&token=abc&x=1") == b"theme=minimal&x=1"
    assert without_token(b"token=abc") == b""
    assert without_token(b"xtoken=1") == b"xtoken=1"


def test_small_parsers() -> None:
    assert split_host("[::1]:8080") == ("::1", 8080)
    assert split_host("Court1.Local") == ("court1.local", None)
    assert split_host("a@b") is None
    assert parse_origin("https://x.test") == Origin("https", "x.test", 443)
    assert parse_origin("http://x.test:81/") == Origin("http", "x.test", 81)
    assert parse_origin("http://u:p@x.test") is None
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")


def test_token_file_created_once_private_and_reused(tmp_path: Path) -> None:
    first = operator_token(tmp_path / "data")
    assert first.created and first.path == tmp_path / "data" / TOKEN_FILE
    assert len(first.value) >= 40
    if os.name == "posix":
        assert stat.S_IMODE(first.path.stat().st_mode) == 0o600
    again = operator_token(tmp_path / "data")
    assert again.value == first.value and not again.created
    assert operator_token(tmp_path / "data", TOKEN).value == TOKEN  # http.token wins


def test_token_file_problems_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / TOKEN_FILE).mkdir()
    with pytest.raises(ConfigError, match="cannot read the operator token"):
        operator_token(tmp_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / TOKEN_FILE).write_text("short\n")
    with pytest.raises(ConfigError, match="delete it to make a new one"):
        operator_token(bad)
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(ConfigError, match="cannot create the operator token"):
        operator_token(blocked / "data")
    with pytest.raises(ConfigError, match=r"http\.token"):
        operator_token(tmp_path, "has spaces in it, too short")
