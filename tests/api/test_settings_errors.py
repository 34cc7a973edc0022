"""The settings routes' errors in the documented body: a folder the settings cannot be
written in is 503 naming it (never 500), the OBS test refuses a non-WebSocket URL
before connecting, and the OpenAPI document says both.

The data folder is made unwritable in a way that holds for root too (root ignores
chmod): its path runs through a regular file.
"""

from __future__ import annotations

import errno
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from restrike.api.errors import install_error_handlers
from restrike.console import make_router, settings_api


def _client(**router: object) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(make_router(**router))  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def blocked_data_dir(tmp_path: Path) -> Path:
    (tmp_path / "blocker").write_text("not a folder\n", encoding="utf-8")
    return tmp_path / "blocker" / "data"


def _assert_unwritable(r: object, folder: Path) -> None:
    assert r.status_code == 503, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"error", "detail"} and body["error"] == "service unavailable"
    assert f"the folder {folder} cannot be written" in body["detail"]
    assert "Not a directory" in body["detail"] and "nothing was saved" in body["detail"]


def test_no_settings_file_and_a_data_folder_that_cannot_be_written(
        blocked_data_dir: Path) -> None:
    with _client(data_dir=blocked_data_dir) as client:
        shown = client.get("/api/v1/settings")
        assert shown.status_code == 200  # the page still shows the settings
        r = client.put("/api/v1/settings", json={"values": {"review.quota": 2}})
        _assert_unwritable(r, blocked_data_dir)
        # A refused value is still the caller's 422, checked before anything is written.
        bad = client.put("/api/v1/settings", json={"values": {"nope.key": 1}})
        assert bad.status_code == 422 and bad.json()["detail"]["errors"][0]["name"] == "nope.key"
    assert not blocked_data_dir.parent.is_dir()


def test_the_settings_file_cannot_be_replaced(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The check passed, then writing the file itself fails (the disk filled up)."""
    config = tmp_path / "restrike.toml"
    config.write_text("[review]\nquota = 1\n", encoding="utf-8")

    def full(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(settings_api, "atomic_write", full)
    with _client(config_file=config) as client:
        r = client.put("/api/v1/settings", json={"values": {"review.quota": 2}})
    assert r.status_code == 503, r.text
    assert f"the folder {tmp_path} cannot be written (No space left on device)" in \
        r.json()["detail"]
    assert tomllib.loads(config.read_text(encoding="utf-8")) == {"review": {"quota": 1}}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(config_file=tmp_path / "restrike.toml", data_dir=tmp_path) as c:
        yield c


@pytest.mark.parametrize("url", ["http://127.0.0.1:4455", "127.0.0.1:4455", "ws:/x",
                                 " ws://127.0.0.1:4455", "WS://127.0.0.1:4455"])
def test_obs_test_refuses_an_address_that_is_not_a_websocket(client: TestClient,
                                                             url: str) -> None:
    r = client.post("/api/v1/settings/obs/test", json={"url": url})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid request"
    assert [f["field"] for f in body["fields"]] == ["url"]


@pytest.mark.parametrize(("url", "why"), [
    ("ws://", "names no host"), ("ws://:4455", "names no host"),
    ("ws://user:secret@:4455", "names no host"),
    ("ws://127.0.0.1:99999", "Port out of range"), ("ws://127.0.0.1:x", "integer"),
    ("ws://127.0.0.1:0", "port 0"), ("wss://[zz]:4455", "IPv4 or IPv6"),
    ("ws://[::1", "Invalid IPv6"), ("ws://..:4455", "not a host name"),
    ("ws://" + "a" * 70 + ".local:4455", "not a host name"),
    ("ws://127.0.0.1:4455#x", "#fragment"), ("ws://a b:4455", "spaces"),
    ("ws://\x00:4455", "control characters")])
def test_obs_test_refuses_a_websocket_address_it_cannot_connect_to(
        client: TestClient, url: str, why: str) -> None:
    """The schema's pattern lets these through; the WebSocket library and the resolver
    raised plain ValueErrors for several of them (500) and refused the rest as OBS
    being unreachable (502, schemathesis: "server error")."""
    r = client.post("/api/v1/settings/obs/test", json={"url": url})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert why in detail["message"] and detail["errors"][0]["name"] == "url"
    assert "secret" not in r.text


def test_obs_test_protocol_is_v5_or_v4(client: TestClient) -> None:
    r = client.post("/api/v1/settings/obs/test", json={"url": "ws://127.0.0.1:1",
                                                       "protocol": "v6"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "protocol"


def test_the_openapi_document_says_what_the_routes_check(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    body = doc["components"]["schemas"]["ObsTestBody"]["properties"]
    assert body["url"]["pattern"] == "^wss?://"
    assert body["protocol"]["enum"] == ["auto", "v5", "v4"]
    put = doc["paths"]["/api/v1/settings"]["put"]["responses"]
    assert {"403", "409", "422", "503"} <= set(put)
    assert put["503"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "cannot be written" in put["503"]["description"]
