"""Who may call the API, over raw HTTP against the real station (`python -m restrike run`):
a foreign Host, a foreign Origin on POST and on /ws/live, a text/plain POST, a big body
(refused before it is read), file-or-CLI-only settings, and the operator token of a
station that listens on all interfaces (refused to start when it has none)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect
from websockets.typing import Origin

from tests.station.fixtures import StationProcess, free_port

EVIL = "http://evil.example"


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StationProcess]:
    root = tmp_path_factory.mktemp("guard")
    config = root / "restrike.toml"
    config.write_text('[review]\nquota = 1\n', encoding="utf-8")
    proc = StationProcess(root / "data", extra=["--config", str(config)]).start()
    proc.config_file = config  # type: ignore[attr-defined]
    try:
        yield proc
    finally:
        proc.stop()


def is_error(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) >= {"error", "detail"} and isinstance(body["error"], str), body
    text = json.dumps(body["detail"])
    assert all(word in text for word in words), (words, body)
    return body


def raw_exchange(port: int, head: bytes, body: bytes = b"") -> bytes:
    """Send ``head`` and ``body`` (an unfinished body: the answer must come without the
    rest) in one write, then read the answer until the station closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        answer = b""
        while True:
            data = sock.recv(65536)
            if not data:
                return answer
            answer += data


# -- Host ----------------------------------------------------------------------------------


def test_foreign_host_is_421_also_on_the_state_fast_path(station: StationProcess) -> None:
    for path in ("/api/v1/state", "/api/health", "/", "/overlays/scoreboard.html"):
        r = httpx.get(station.url + path, headers={"Host": "evil.example"})
        is_error(r, 421, "evil.example", "http.allowed_hosts")
    r = httpx.get(station.url + "/api/v1/state",
                  headers={"Host": f"rebind.test:{station.http_port}"})
    is_error(r, 421)
    is_error(httpx.post(station.url + "/api/v1/replay", headers={"Host": "evil.example"}), 421)
    port = station.http_port
    for host in ("localhost", f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
        assert httpx.get(station.url + "/api/v1/state", headers={"Host": host}).status_code \
            == 200, host


# -- Origin --------------------------------------------------------------------------------


def test_foreign_origin_cannot_change_the_station(station: StationProcess) -> None:
    before = station.get("/api/v1/tournaments").json()
    body = {"name": "Taken over"}
    for origin in (EVIL, f"http://127.0.0.1:{free_port()}", "null",
                   f"http://evil.example:{station.http_port}"):
        r = httpx.post(station.url + "/api/v1/tournament", json=body,
                       headers={"Origin": origin})
        is_error(r, 403, "http.allowed_origins")
    r = httpx.post(station.url + "/api/v1/tournament", json=body,
                   headers={"Sec-Fetch-Site": "cross-site"})
    is_error(r, 403, "cross-site")
    for method in ("PUT", "DELETE"):
        r = httpx.request(method, station.url + "/api/v1/protocol", headers={"Origin": EVIL},
                          json={"text": "x"})
        is_error(r, 403)
    assert station.get("/api/v1/tournaments").json() == before
    # The console's own origin (and its loopback aliases) may.
    own = f"http://localhost:{station.http_port}"
    r = httpx.post(station.url + "/api/v1/tournament", json={"name": "Guard Open"},
                   headers={"Origin": own, "Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 200, r.text


def test_foreign_origin_websocket_refused_before_accept(station: StationProcess) -> None:
    url = f"ws://127.0.0.1:{station.http_port}/ws/live"
    for origin in (EVIL, f"http://127.0.0.1:{free_port()}"):
        with pytest.raises(InvalidStatus) as refused, ws_connect(url, origin=Origin(origin)):
            pass
        assert refused.value.response.status_code == 403
    # A name that is not the station's (DNS rebinding): refused before accept too.
    answer = raw_exchange(station.http_port, (
        b"GET /ws/live HTTP/1.1\r\nHost: evil.example\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"))
    assert answer.startswith(b"HTTP/1.1 403 "), answer[:100]
    for allowed in (f"http://127.0.0.1:{station.http_port}", None):  # the console; a script
        with ws_connect(url, origin=Origin(allowed) if allowed else None) as ws:
            assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"


# -- bodies --------------------------------------------------------------------------------


def test_body_must_be_json(station: StationProcess) -> None:
    before = station.get("/api/v1/tournaments").json()
    for declared in ("text/plain", "application/x-www-form-urlencoded"):
        r = httpx.post(station.url + "/api/v1/tournament", content=b'{"name": "Plain"}',
                       headers={"Content-Type": declared})
        is_error(r, 415, "application/json", declared)
    r = httpx.post(station.url + "/api/v1/tournament", content=b'{"name": "Plain"}')
    is_error(r, 415, "without Content-Type")
    r = httpx.post(station.url + "/api/v1/protocol", content=b"name x",
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    is_error(r, 415, "text/plain")
    assert station.get("/api/v1/tournaments").json() == before
    assert station.get("/api/v1/protocol").json()["custom"] is False


def test_bodiless_post_of_a_script_still_works(station: StationProcess) -> None:
    """Companion / Stream Deck: ``POST /api/v1/replay`` with no body, no Origin."""
    opened = httpx.post(station.url + "/api/v1/replay", timeout=10)
    assert opened.status_code == 200, opened.text
    closed = httpx.post(station.url + "/api/v1/replay/close", timeout=10)
    assert closed.status_code == 200, closed.text


def test_big_body_refused_before_it_is_read(station: StationProcess) -> None:
    declared = 100_000_000
    head = (f"POST /api/v1/tournament HTTP/1.1\r\nHost: 127.0.0.1:{station.http_port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n").encode()
    answer = raw_exchange(station.http_port, head, b"x" * 16384)  # of 100,000,000
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"connection: close" in answer.lower()
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["error"] and str(declared) in body["detail"] and "1048576" in body["detail"]


def test_chunked_body_counted_and_cut_at_the_limit(station: StationProcess) -> None:
    limit = 256 * 1024  # the protocol upload
    head = (f"POST /api/v1/protocol HTTP/1.1\r\nHost: 127.0.0.1:{station.http_port}\r\n"
            "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b"4000\r\n" + b"a" * 0x4000 + b"\r\n"
    # One chunk past the limit and no final 0-chunk: the station reads all of it (so it
    # closes without unread data, which would reset the connection under its answer).
    stream = chunk * ((limit // 0x4000) + 1)
    answer = raw_exchange(station.http_port, head, stream)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert str(limit) in answer.decode()
    assert station.get("/api/v1/protocol").json()["custom"] is False
    assert station.get("/api/health").status_code == 200


# -- settings ------------------------------------------------------------------------------


def test_file_only_settings_are_refused_over_http(station: StationProcess) -> None:
    config: Path = station.config_file  # type: ignore[attr-defined]
    before = config.read_text()
    for name, value in (("playback.mpv_path", "/bin/sh"), ("station.protocol_file", "/etc/passwd"),
                        ("station.data_dir", "/tmp"), ("playback.extra_args", ["--script=x.lua"]),
                        ("review.recordings_root", "/"), ("flags.custom_dir", "/etc"),
                        ("http.allowed_origins", [EVIL]), ("http.host", "0.0.0.0")):
        r = httpx.put(station.url + "/api/v1/settings",
                      json={"values": {name: value, "review.quota": 3}})
        body = is_error(r, 403, name, "file or CLI only")
        assert [e["name"] for e in body["detail"]["errors"]] == [name]
    assert config.read_text() == before
    rows = {r["name"]: r for r in station.get("/api/v1/settings").json()["settings"]}
    assert rows["playback.mpv_path"]["http_writable"] is False
    assert rows["review.quota"]["http_writable"] is True
    r = httpx.put(station.url + "/api/v1/settings", json={"values": {"review.quota": 2}})
    assert r.status_code == 200, r.text
    assert tomllib.loads(config.read_text())["review"]["quota"] == 2


def test_access_says_no_token_on_loopback(station: StationProcess) -> None:
    body = station.get("/api/v1/access").json()
    assert body["token_required"] is False and body["token"] is None
    assert {"localhost", "127.0.0.1", "::1"} <= set(body["hosts"])


# -- the operator token --------------------------------------------------------------------


class LanStation(StationProcess):
    """The station on all interfaces (``--http-host 0.0.0.0``): it needs its token."""

    def args(self) -> list[str]:
        args = super().args()
        args[args.index("--http-host") + 1] = "0.0.0.0"
        return args

    def headers(self) -> dict[str, str]:
        token = self.data_dir / "http-token"
        return {"Authorization": f"Bearer {self.token}"} if token.exists() else {}

    @property
    def token(self) -> str:
        return (self.data_dir / "http-token").read_text().strip()


def test_token_required_beyond_loopback(tmp_path: Path) -> None:
    lan = LanStation(tmp_path / "data").start()
    try:
        _token_rules(lan)
    finally:
        lan.stop()
    token, port = lan.token, lan.http_port
    assert f"console at http://127.0.0.1:{port}/?token={token}" in lan.output
    assert "operator token required (kept in" in lan.output
    # Printed once; never logged (the WebSocket handshake with ?token= included).
    assert lan.output.count(token) == 1
    assert token not in (lan.data_dir / "logs" / "restrike.log").read_text()


def _token_rules(lan: LanStation) -> None:
    token, url, port = lan.token, lan.url, lan.http_port
    for path in ("/api/v1/state", "/api/health", "/", "/api/v1/access"):
        r = httpx.get(url + path)
        is_error(r, 401, "operator token", "Authorization: Bearer")
        assert r.headers["www-authenticate"].startswith("Bearer")
    is_error(httpx.post(url + "/api/v1/replay"), 401)
    is_error(httpx.get(url + "/api/v1/state", headers={"X-Restrike-Token": "x" * 43}), 401)
    for headers in ({"Authorization": f"Bearer {token}"}, {"X-Restrike-Token": token}):
        assert httpx.get(url + "/api/v1/state", headers=headers).status_code == 200
    # The printed URL: the page answers with the cookie, which lets the browser in after.
    opened = httpx.get(f"{url}/?token={token}")
    assert opened.status_code == 200 and "reStrike" in opened.text
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith(f"restrike_token_{port}={token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    jar = {f"restrike_token_{port}": token}
    assert httpx.get(url + "/api/v1/stats", cookies=jar).status_code == 200
    assert httpx.get(url + "/api/v1/access", cookies=jar).json()["token"] == token
    # Bound to all interfaces: an address literal is this machine; a name is not.
    auth = {"X-Restrike-Token": token}
    assert httpx.get(url + "/api/v1/state", headers={**auth, "Host": f"192.0.2.9:{port}"}
                     ).status_code == 200
    is_error(httpx.get(url + "/api/v1/state", headers={**auth, "Host": "evil.example"}), 421)
    ws = f"ws://127.0.0.1:{port}/ws/live"
    with pytest.raises(InvalidStatus) as refused, ws_connect(ws):
        pass
    assert refused.value.response.status_code == 403
    with ws_connect(f"{ws}?token={token}") as live:
        assert json.loads(live.recv(timeout=5))["type"] == "snapshot"
    with ws_connect(ws, additional_headers={"Cookie": f"restrike_token_{port}={token}"}) as live:
        assert json.loads(live.recv(timeout=5))["type"] == "snapshot"


def test_no_token_no_listening(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "http-token").mkdir(parents=True)  # cannot be read nor created
    station = LanStation(data)
    proc = station.launch()
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        station.stop()
        raise
    assert proc.returncode == 2, out
    assert "error: cannot read the operator token" in out and "http-token" in out
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", station.http_port),
                                                          timeout=2):
        pass
    # A configured token that is no token is refused the same way.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
    env["RESTRIKE_HTTP_TOKEN"] = "secret"
    result = subprocess.run([sys.executable, "-m", "restrike", "run", "--no-browser",
                             "--data-dir", str(tmp_path / "other"), "--http-host", "0.0.0.0",
                             "--http-port", str(free_port())],
                            capture_output=True, text=True, timeout=30, env=env)
    assert result.returncode == 2 and "http.token" in result.stderr
