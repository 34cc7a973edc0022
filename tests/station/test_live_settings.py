"""Settings changed on the console while the station runs: applied at once, or "restart".

A real station as the composition root builds it (store, ingest, a real idle mpv, the
review component) behind its FastAPI app; the console's settings and protocol routes
with the station's hooks. Nothing edits a part: the changes travel on the bus.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import tomllib
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from restrike.api import create_app
from restrike.assembly import Assembly, assemble
from restrike.bus import SchemaChanged, SettingsChanged
from restrike.config import load_settings
from tests.helpers import wait_until
from tests.peers.mpv import HEADLESS, require_mpv
from tests.station.fixtures import send_udp

SHIPPED = resources.files("restrike.protocol").joinpath("wt-udp-2.3.wtp").read_text("utf-8")
NEW_CODE = "\nmessage zz9 court_note -- a code added by the court\n    note text -- free text\n"


async def _station(tmp_path: Path, env: dict[str, str] | None = None) -> Assembly:
    config = tmp_path / "restrike.toml"
    config.write_text('[review]\nquota = 1\nhotkey = ""\n', encoding="utf-8")
    settings = load_settings(config, env=env or {}, cli={
        "station.data_dir": str(tmp_path / "data"), "udp.host": "127.0.0.1"})
    settings = dataclasses.replace(settings, udp=dataclasses.replace(settings.udp, port=0))
    parts = assemble(settings, serve_http=False, playback_driving=HEADLESS)
    await parts.station.start()
    return parts


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[Assembly, httpx.AsyncClient]]:
    require_mpv()
    parts = await _station(tmp_path)
    app = create_app(parts.view)
    await app.state.hub.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://station") as client:
            yield parts, client
    finally:
        await app.state.hub.stop()
        app.state.readers.close()
        await parts.station.stop()


async def _put(client: httpx.AsyncClient, values: dict[str, Any]) -> dict[str, Any]:
    r = await client.put("/api/v1/settings", json={"values": values})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_log_levels_apply_at_once(running: tuple[Assembly, httpx.AsyncClient]) -> None:
    _, client = running
    root = logging.getLogger()
    before = root.level
    try:
        body = await _put(client, {"log.level": "ERROR",
                                   "log.levels": {"restrike.test_live": "DEBUG"}})
        assert set(body["applied"]) == {"log.level", "log.levels"} and body["restart"] == []
        assert root.level == logging.ERROR
        assert logging.getLogger("restrike.test_live").level == logging.DEBUG
    finally:
        root.setLevel(before)
        logging.getLogger("restrike.test_live").setLevel(logging.NOTSET)


async def test_review_and_playback_options_apply_at_once(
        running: tuple[Assembly, httpx.AsyncClient]) -> None:
    parts, client = running
    body = await _put(client, {
        "review.clip_seconds": 12, "review.quota": 3, "review.ivr_scene": "REPLAY",
        "review.live_scene": "COURT", "review.review_seconds": 45, "review.mode": "tail",
        "review.marker_seconds": 4, "review.link_seconds": 10,
        "playback.start_offset": 7.5})
    assert body["restart"] == []
    assert set(body["applied"]) == set(body["saved"])
    review = parts.review
    assert review is not None
    o = review.options
    assert (o.clip_seconds, o.quota, o.ivr_scene, o.live_scene, o.review_seconds, o.mode,
            o.marker_seconds, o.link_seconds, o.start_offset) == (
        12, 3, "REPLAY", "COURT", 45, "tail", 4.0, 10.0, 7.5)
    assert o.workflow.clip_seconds == 12 and o.rules.quota == 3
    player = _player(parts)
    assert player.settings.start_offset == 7.5
    shown = (await client.get("/api/v1/review")).json()
    assert shown["mode"] == "tail" and shown["quota"] == [3, 3]
    # The page's "running" value follows.
    rows = {r["name"]: r for r in (await client.get("/api/v1/settings")).json()["settings"]}
    assert rows["review.quota"]["running"] == 3 and rows["review.quota"]["live"]
    assert rows["review.mode"]["running"] == "tail"
    # Removed from the file: back to the default, live too.
    body = await _put(client, {"review.quota": None})
    assert body["applied"] == ["review.quota"] and review.options.quota == 1


async def test_fullscreen_applies_in_the_running_mpv(
        running: tuple[Assembly, httpx.AsyncClient]) -> None:
    parts, client = running
    player = _player(parts)
    body = await _put(client, {"playback.fullscreen": True})
    assert body["applied"] == ["playback.fullscreen"]
    assert player.settings.fullscreen is True
    await wait_until(lambda: player.status().fullscreen, 5, "mpv fullscreen")
    await _put(client, {"playback.fullscreen": False})
    await wait_until(lambda: not player.status().fullscreen, 5, "mpv windowed")


async def test_the_rest_needs_a_restart(running: tuple[Assembly, httpx.AsyncClient],
                                        tmp_path: Path) -> None:
    parts, client = running
    port = parts.station.bound["udp"]["port"]
    player = _player(parts)
    body = await _put(client, {"udp.port": 6123, "playback.screen": 1,
                               "review.hotkey": "F8", "playback.enabled": False,
                               "store.batch_rows": 100, "console.window": True})
    assert body["applied"] == []
    assert set(body["restart"]) == {"udp.port", "playback.screen", "review.hotkey",
                                    "playback.enabled", "store.batch_rows",
                                    "console.window"}
    assert parts.station.bound["udp"]["port"] == port
    assert player.settings.screen is None and player.status().alive
    saved = tomllib.loads((tmp_path / "restrike.toml").read_text())
    assert saved["udp"]["port"] == 6123 and saved["review"]["hotkey"] == "F8"
    assert saved["playback"] == {"screen": 1, "enabled": False}


async def test_a_file_only_setting_is_refused_and_nothing_is_saved(
        running: tuple[Assembly, httpx.AsyncClient], tmp_path: Path) -> None:
    _, client = running
    before = (tmp_path / "restrike.toml").read_text()
    r = await client.put("/api/v1/settings", json={"values": {
        "review.hotkey": "F8", "playback.mpv_path": "/opt/mpv",
        "playback.extra_args": ["--ontop"]}})
    assert r.status_code == 403, r.text
    refused = {e["name"] for e in r.json()["detail"]["errors"]}
    assert refused == {"playback.mpv_path", "playback.extra_args"}
    assert (tmp_path / "restrike.toml").read_text() == before


async def test_environment_wins_over_a_saved_change(tmp_path: Path) -> None:
    require_mpv()
    parts = await _station(tmp_path, env={"RESTRIKE_REVIEW_QUOTA": "2"})
    app = create_app(parts.view)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://station") as client:
            body = await _put(client, {"review.quota": 5, "review.clip_seconds": 9})
        assert body["applied"] == ["review.clip_seconds"]
        assert body["overridden"] == ["review.quota"]
        assert parts.review is not None and parts.review.options.quota == 2
    finally:
        app.state.readers.close()
        await parts.station.stop()


async def test_protocol_is_validated_then_swapped_in_the_pipeline(
        running: tuple[Assembly, httpx.AsyncClient]) -> None:
    parts, client = running
    port = parts.station.bound["udp"]["port"]

    async def kinds() -> list[str]:
        body = (await client.get("/api/v1/events", params={"limit": 1})).json()
        rows = body["events"]
        return [r["kind"] for r in rows]

    send_udp(port, [b"zz9;first;"])
    assert await wait_until(kinds) == ["unknown"]
    broken = SHIPPED + "\nmessage zz9 court_note athlete=one\n"
    r = await client.put("/api/v1/protocol", json={"text": broken})
    assert r.status_code == 422 and r.json()["detail"]["line"] is not None
    assert parts.ingest.pipeline is not None
    assert "zz9" not in parts.ingest.pipeline.schema.messages
    r = await client.put("/api/v1/protocol", json={"text": SHIPPED + NEW_CODE})
    assert r.status_code == 200, r.text
    assert r.json()["restart"] is False
    assert parts.ingest.pipeline.schema is parts.ingest.schema
    send_udp(port, [b"zz9;second;"])
    assert await wait_until(lambda: _is(kinds, "court_note"))
    # Back to the shipped definition: swapped too.
    r = await client.delete("/api/v1/protocol")
    assert r.status_code == 200 and r.json()["restart"] is False
    send_udp(port, [b"zz9;third;"])
    assert await wait_until(lambda: _is(kinds, "unknown"))


def _player(parts: Assembly) -> Any:
    assert parts.playback is not None
    return parts.playback.player


async def _is(kinds: Any, kind: str) -> bool:
    return bool(await kinds() == [kind])


async def test_changes_travel_as_bus_events(
        running: tuple[Assembly, httpx.AsyncClient]) -> None:
    parts, client = running
    bus = parts.station.bus
    settings: list[SettingsChanged] = []
    schemas: list[SchemaChanged] = []
    bus.subscribe(SettingsChanged, settings.append)
    bus.subscribe(SchemaChanged, schemas.append)
    await _put(client, {"review.quota": 2, "playback.start_offset": 4.5, "udp.port": 6200})
    assert [e.values for e in settings] == [{"review.quota": 2, "playback.start_offset": 4.5}]
    r = await client.put("/api/v1/protocol", json={"text": SHIPPED + NEW_CODE})
    assert r.status_code == 200, r.text
    # (A new custom file is also selected as station.protocol_file: published again.)
    assert schemas and all("zz9" in e.schema.messages for e in schemas)
    assert parts.ingest.schema is schemas[-1].schema


async def test_only_what_a_part_of_this_station_applies_is_live(tmp_path: Path) -> None:
    """No review and no player here: their settings wait for a restart; the protocol
    (the ingest's) still applies at once."""
    config = tmp_path / "restrike.toml"
    config.write_text("", encoding="utf-8")
    settings = load_settings(config, env={}, cli={
        "station.data_dir": str(tmp_path / "data"), "udp.host": "127.0.0.1",
        "playback.enabled": False})
    settings = dataclasses.replace(settings, udp=dataclasses.replace(settings.udp, port=0))
    parts = assemble(settings, serve_http=False, review=False)
    await parts.station.start()
    app = create_app(parts.view)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://station") as client:
            rows = {r["name"]: r["live"]
                    for r in (await client.get("/api/v1/settings")).json()["settings"]}
            assert not rows["review.quota"] and not rows["playback.fullscreen"]
            assert rows["station.protocol_file"] and rows["log.level"]
            body = await _put(client, {"review.quota": 3, "playback.start_offset": 2.0})
            assert body["applied"] == [] and set(body["restart"]) == set(body["saved"])
        # station.protocol_file is file-or-CLI-only over HTTP: the protocol page's own
        # code applies it, from a worker thread like this.
        apply = app.state.live_settings.apply
        custom = tmp_path / "court.wtp"
        custom.write_text(SHIPPED + NEW_CODE, encoding="utf-8")
        applied = await asyncio.to_thread(apply, {"station.protocol_file": str(custom)})
        assert applied == ["station.protocol_file"] and "zz9" in parts.ingest.schema.messages
        broken = tmp_path / "broken.wtp"
        broken.write_text("message zz9\n", encoding="utf-8")
        assert await asyncio.to_thread(apply, {"station.protocol_file": str(broken)}) == []
        assert "zz9" in parts.ingest.schema.messages
    finally:
        app.state.readers.close()
        await parts.station.stop()
