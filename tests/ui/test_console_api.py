"""The console router in-process: static files, overlays list, interfaces, settings,
protocol (view, check, save, upload, reset), OBS connection test."""

from __future__ import annotations

import socket
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from restrike.config import load_settings
from restrike.console import OVERLAYS, make_router


@pytest.fixture
def setup(tmp_path: Path):
    config = tmp_path / "restrike.toml"
    config.write_text('[udp]\nport = 6100\n\n[[obs]]\nname = "rec"\nurl = "ws://127.0.0.1:4455"\n'
                      'password = "secret"\nrole = "recording"\n', encoding="utf-8")
    settings = load_settings(config, env={}, cli={"http.port": 9999})
    app = FastAPI()
    app.include_router(make_router(settings=settings.describe(), data_dir=tmp_path / "data"))
    with TestClient(app) as client:
        yield client, config, tmp_path


def test_static_files_and_overlays(setup):
    client, _, _ = setup
    page = client.get("/")
    assert page.status_code == 200 and "reStrike VTA" in page.text
    js = client.get("/ui/js/live.js")
    assert js.headers["content-type"].startswith("text/javascript")
    assert js.headers["cache-control"] == "no-cache"
    for bad in ("/ui/../console/router.py", "/ui/%2e%2e/console/router.py", "/ui/nothing.js"):
        assert client.get(bad).status_code == 404, bad
    listed = client.get("/api/v1/overlays").json()
    assert listed["width"] == 1920 and len(listed["overlays"]) == len(OVERLAYS)
    for overlay in listed["overlays"]:
        assert client.get(overlay["path"]).status_code == 200
    assert client.get("/overlays/scoreboard").status_code == 200  # without .html


def test_interfaces_lists_loopback(setup):
    client, _, _ = setup
    rows = client.get("/api/v1/interfaces").json()
    assert any(r["address"] == "127.0.0.1" and r["loopback"] for r in rows)
    assert all(r["address"].count(".") == 3 for r in rows)


def test_settings_view_masks_secrets_and_shows_sources(setup):
    client, _, _ = setup
    data = client.get("/api/v1/settings").json()
    rows = {r["name"]: r for r in data["settings"]}
    assert rows["udp.port"]["value"] == 6100 and rows["udp.port"]["in_file"]
    assert rows["http.port"]["overridden"] and rows["http.port"]["running"] == 9999
    assert rows["log.level"]["live"] and not rows["udp.port"]["live"]
    assert data["obs"] == [{"name": "rec", "url": "ws://127.0.0.1:4455", "password": "********",
                            "role": "recording"}]


def test_settings_refusals_name_each_field(setup):
    client, config, _ = setup
    before = config.read_text()
    r = client.put("/api/v1/settings", json={"values": {
        "udp.port": 0, "log.level": "LOUD", "nope.key": 1, "udp.host": "eth99x"}})
    assert r.status_code == 422
    errors = {e["name"]: e["message"] for e in r.json()["detail"]["errors"]}
    assert set(errors) == {"udp.port", "log.level", "nope.key", "udp.host"}
    assert "between 1 and 65535" in errors["udp.port"]
    assert "unknown setting" in errors["nope.key"]
    assert "neither an IPv4 address nor a network interface" in errors["udp.host"]
    assert config.read_text() == before


def test_settings_saved_and_applied(setup):
    client, config, _ = setup
    r = client.put("/api/v1/settings", json={"values": {
        "review.quota": 2, "log.level": "WARNING", "playback.fullscreen": True,
        "log.levels": {"restrike.obs": "DEBUG"}}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body["applied"]) == {"log.level", "log.levels"}
    assert body["restart"] == ["review.quota", "playback.fullscreen"]
    saved = tomllib.loads(config.read_text())
    assert saved["review"]["quota"] == 2 and saved["udp"]["port"] == 6100
    assert saved["obs"][0]["password"] == "secret"  # untouched entries keep their secret
    assert load_settings(config, env={}).log.levels == {"restrike.obs": "DEBUG"}
    # Put the process back as it was.
    client.put("/api/v1/settings", json={"values": {"log.level": "INFO", "log.levels": {}}})


def test_obs_connections_keep_masked_passwords(setup):
    client, config, _ = setup
    listed = client.get("/api/v1/settings").json()["obs"]
    listed.append({"name": "stream", "url": "ws://127.0.0.1:4456", "role": "streaming"})
    r = client.put("/api/v1/settings", json={"values": {"obs": listed}})
    assert r.status_code == 200, r.text
    saved = tomllib.loads(config.read_text())["obs"]
    assert [o["name"] for o in saved] == ["rec", "stream"]
    assert saved[0]["password"] == "secret" and "password" not in saved[1]
    dup = client.put("/api/v1/settings", json={"values": {"obs": [*listed, listed[0]]}})
    assert dup.status_code == 422 and "used twice" in dup.json()["detail"]["message"]


def test_obs_test_reports_an_unreachable_obs(setup):
    client, _, _ = setup
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = client.post("/api/v1/settings/obs/test", json={"url": f"ws://127.0.0.1:{port}"})
    assert r.status_code == 200 and r.json()["ok"] is False
    assert r.json()["reason"] == "unreachable" and "cannot reach OBS" in r.json()["detail"]
    bad = client.post("/api/v1/settings/obs/test", json={"url": "http://x"})
    assert bad.status_code == 422


def test_protocol_view_check_save_upload_reset(setup):
    client, config, tmp = setup
    shipped = client.get("/api/v1/protocol").json()
    assert shipped["custom"] is False and shipped["messages"] > 40
    lines = shipped["text"].split("\n")
    broken = "\n".join([*lines[:9], "message pt9 point athlete=one", *lines[9:]])
    r = client.put("/api/v1/protocol", params={"check": 1}, json={"text": broken})
    assert r.status_code == 422 and r.json()["detail"]["line"] == 10
    r = client.post("/api/v1/protocol", content=broken.encode(),
                    headers={"Content-Type": "text/plain"})
    assert r.status_code == 422 and r.json()["detail"]["line"] == 10
    assert not (tmp / "data" / "protocol.wtp").exists()
    r = client.post("/api/v1/protocol", content=shipped["text"].replace("\n", "\r\n").encode(),
                    headers={"Content-Type": "text/plain"})
    assert r.status_code == 200 and r.json()["restart"] is True
    custom = tmp / "data" / "protocol.wtp"
    assert custom.read_text() == shipped["text"]
    assert tomllib.loads(config.read_text())["station"]["protocol_file"] == str(custom)
    assert client.get("/api/v1/protocol").json()["custom"] is True
    assert client.delete("/api/v1/protocol").json()["custom"] is False
    assert "protocol_file" not in tomllib.loads(config.read_text()).get("station", {})
    assert client.post("/api/v1/protocol", content=b"\xff\xfe\x00bad").status_code == 422


def test_station_apply_hook(tmp_path: Path):
    config = tmp_path / "restrike.toml"
    seen: list[Mapping[str, object]] = []

    def apply(changed: Mapping[str, object]) -> list[str]:
        seen.append(changed)
        return ["review.quota"]

    app = FastAPI()
    app.include_router(make_router(config_file=config, apply=apply, live={"review.quota"}))
    with TestClient(app) as client:
        rows = {r["name"]: r for r in client.get("/api/v1/settings").json()["settings"]}
        assert rows["review.quota"]["live"] and not rows["review.clip_seconds"]["live"]
        body = client.put("/api/v1/settings", json={"values": {
            "review.quota": 3, "review.clip_seconds": 15}}).json()
    assert seen == [{"review.quota": 3, "review.clip_seconds": 15}]
    assert body["applied"] == ["review.quota"] and body["restart"] == ["review.clip_seconds"]
    assert tomllib.loads(config.read_text())["review"] == {"quota": 3, "clip_seconds": 15}


def test_protocol_upload_saves_off_the_event_loop(tmp_path: Path):
    import asyncio
    import threading

    from restrike.console.protocol_api import ProtocolFiles, make_protocol_router

    seen: list[tuple[str, bool]] = []

    def reload(_schema) -> bool:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        seen.append((threading.current_thread().name, on_loop))
        return True

    files = ProtocolFiles(None, tmp_path, reload=reload)
    app = FastAPI()
    app.include_router(make_protocol_router(files))
    with TestClient(app) as client:
        text = client.get("/api/v1/protocol").json()["text"]
        assert client.post("/api/v1/protocol", content=text.encode()).status_code == 200
        assert client.put("/api/v1/protocol", json={"text": text}).status_code == 200
    assert [on_loop for _, on_loop in seen] == [False, False]


def test_protocol_save_and_reset_do_not_interleave(tmp_path: Path):
    import threading

    from restrike.console.protocol_api import ProtocolFiles, _shipped_text

    entered, release = threading.Event(), threading.Event()
    selected: list[Path | None] = []

    def select(path: Path | None) -> None:
        selected.append(path)
        if path is not None:
            entered.set()
            assert release.wait(5)

    files = ProtocolFiles(None, tmp_path, select=select)
    saver = threading.Thread(target=files.save, args=(_shipped_text(),))
    saver.start()
    assert entered.wait(5)
    resetter = threading.Thread(target=files.reset)
    resetter.start()
    resetter.join(0.2)
    assert resetter.is_alive()  # waits for the save to finish
    release.set()
    saver.join(5)
    resetter.join(5)
    assert selected == [tmp_path / "protocol.wtp", None] and files.active is None
