"""Settings changed on the console while the station runs: applied at once, or "restart".

A real station (store, ingest, a real idle mpv, the review component) behind its
FastAPI app; the console's settings and protocol routes with the station's hooks.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from restrike.api import create_app
from restrike.cli.components import PlaybackComponent
from restrike.config import load_settings
from restrike.review.component import Review
from restrike.review.options import ReviewOptions
from restrike.station import Station, StationConfig
from tests.helpers import wait_until
from tests.peers.mpv import headless_settings, require_mpv
from tests.station.fixtures import send_udp

SHIPPED = resources.files("restrike.protocol").joinpath("wt-udp-2.3.wtp").read_text("utf-8")
NEW_CODE = "\nmessage zz9 court_note -- a code added by the court\n    note text -- free text\n"


async def _station(tmp_path: Path, env: dict[str, str] | None = None) -> Station:
    config = tmp_path / "restrike.toml"
    config.write_text("[review]\nquota = 1\n", encoding="utf-8")
    settings = load_settings(config, env=env or {}, cli={
        "station.data_dir": str(tmp_path / "data")})
    station = Station(StationConfig(data_dir=tmp_path / "data", udp_host="127.0.0.1",
                                    udp_port=0, http_port=0, serve_http=False,
                                    effective_settings=settings.describe()))
    station.add(PlaybackComponent(headless_settings()))
    options = ReviewOptions.from_settings(settings.review, settings.playback,
                                          data_dir=tmp_path / "data", hotkey=None)
    station.add(Review(options))
    await station.start()
    return station


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[Station, httpx.AsyncClient]]:
    require_mpv()
    station = await _station(tmp_path)
    app = create_app(station)
    await app.state.hub.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://station") as client:
            yield station, client
    finally:
        await app.state.hub.stop()
        app.state.readers.close()
        await station.stop()


async def _put(client: httpx.AsyncClient, values: dict[str, Any]) -> dict[str, Any]:
    r = await client.put("/api/v1/settings", json={"values": values})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_log_levels_apply_at_once(running: tuple[Station, httpx.AsyncClient]) -> None:
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
        running: tuple[Station, httpx.AsyncClient]) -> None:
    station, client = running
    body = await _put(client, {
        "review.clip_seconds": 12, "review.quota": 3, "review.ivr_scene": "REPLAY",
        "review.live_scene": "COURT", "review.review_seconds": 45, "review.mode": "tail",
        "review.marker_seconds": 4, "review.link_seconds": 10,
        "playback.start_offset": 7.5})
    assert body["restart"] == []
    assert set(body["applied"]) == set(body["saved"])
    review = station.get("review")
    assert isinstance(review, Review)
    o = review.options
    assert (o.clip_seconds, o.quota, o.ivr_scene, o.live_scene, o.review_seconds, o.mode,
            o.marker_seconds, o.link_seconds, o.start_offset) == (
        12, 3, "REPLAY", "COURT", 45, "tail", 4.0, 10.0, 7.5)
    assert o.workflow.clip_seconds == 12 and o.rules.quota == 3
    player = station.get("playback").player  # type: ignore[union-attr]
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
        running: tuple[Station, httpx.AsyncClient]) -> None:
    station, client = running
    player = station.get("playback").player  # type: ignore[union-attr]
    body = await _put(client, {"playback.fullscreen": True})
    assert body["applied"] == ["playback.fullscreen"]
    assert player.settings.fullscreen is True
    await wait_until(lambda: player.status().fullscreen, 5, "mpv fullscreen")
    await _put(client, {"playback.fullscreen": False})
    await wait_until(lambda: not player.status().fullscreen, 5, "mpv windowed")


async def test_the_rest_needs_a_restart(running: tuple[Station, httpx.AsyncClient],
                                        tmp_path: Path) -> None:
    station, client = running
    port = station.bound["udp"]["port"]
    player = station.get("playback").player  # type: ignore[union-attr]
    body = await _put(client, {"udp.port": 6123, "playback.screen": 1,
                               "review.hotkey": "F8", "playback.enabled": False,
                               "store.batch_rows": 100, "console.window": True})
    assert body["applied"] == []
    assert set(body["restart"]) == {"udp.port", "playback.screen", "review.hotkey",
                                    "playback.enabled", "store.batch_rows",
                                    "console.window"}
    assert station.bound["udp"]["port"] == port
    assert player.settings.screen is None and player.status().alive
    saved = tomllib.loads((tmp_path / "restrike.toml").read_text())
    assert saved["udp"]["port"] == 6123 and saved["review"]["hotkey"] == "F8"
    assert saved["playback"] == {"screen": 1, "enabled": False}


async def test_a_file_only_setting_is_refused_and_nothing_is_saved(
        running: tuple[Station, httpx.AsyncClient], tmp_path: Path) -> None:
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
    station = await _station(tmp_path, env={"RESTRIKE_REVIEW_QUOTA": "2"})
    app = create_app(station)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://station") as client:
            body = await _put(client, {"review.quota": 5, "review.clip_seconds": 9})
        assert body["applied"] == ["review.clip_seconds"]
        assert body["overridden"] == ["review.quota"]
        assert station.get("review").options.quota == 2  # type: ignore[union-attr]
    finally:
        app.state.readers.close()
        await station.stop()


async def test_protocol_is_validated_then_swapped_in_the_pipeline(
        running: tuple[Station, httpx.AsyncClient]) -> None:
    station, client = running
    port = station.bound["udp"]["port"]

    async def kinds() -> list[str]:
        body = (await client.get("/api/v1/events", params={"limit": 1})).json()
        rows = body["events"]
        return [r["kind"] for r in rows]

    send_udp(port, [b"zz9;first;"])
    assert await wait_until(kinds) == ["unknown"]
    broken = SHIPPED + "\nmessage zz9 court_note athlete=one\n"
    r = await client.put("/api/v1/protocol", json={"text": broken})
    assert r.status_code == 422 and r.json()["detail"]["line"] is not None
    assert station.ingest.pipeline is not None
    assert "zz9" not in station.ingest.pipeline.schema.messages
    r = await client.put("/api/v1/protocol", json={"text": SHIPPED + NEW_CODE})
    assert r.status_code == 200, r.text
    assert r.json()["restart"] is False
    assert station.schema is station.ingest.pipeline.schema is station.ingest.schema
    send_udp(port, [b"zz9;second;"])
    assert await wait_until(lambda: _is(kinds, "court_note"))
    # Back to the shipped definition: swapped too.
    r = await client.delete("/api/v1/protocol")
    assert r.status_code == 200 and r.json()["restart"] is False
    send_udp(port, [b"zz9;third;"])
    assert await wait_until(lambda: _is(kinds, "unknown"))


async def _is(kinds: Any, kind: str) -> bool:
    return bool(await kinds() == [kind])
