"""The API's shapes and error statuses, in process (httpx + ASGITransport)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx

from restrike.assembly import Assembly
from restrike.protocol import MatchState, state_to_json
from tests.helpers import wait_until
from tests.station.fixtures import match_datagrams, send_udp, settled


async def _feed_match(assembled: Assembly) -> None:
    datagrams = match_datagrams()
    send_udp(assembled.station.bound["udp"]["port"], datagrams)
    await wait_until(lambda: settled(assembled.view.stats(), len(datagrams)))


def _is_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) >= {"error", "detail"}
    assert isinstance(body["error"], str) and body["detail"]
    return body


async def test_health_lists_components(api: httpx.AsyncClient) -> None:
    r = await api.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True
    assert {"store", "ingest"} <= set(body["components"])
    assert all(c["ok"] for c in body["components"].values())


async def test_state_is_the_empty_board_then_the_match(api: httpx.AsyncClient,
                                                       assembled: Assembly) -> None:
    r = await api.get("/api/v1/state")
    assert r.status_code == 200
    assert r.json() == state_to_json(MatchState())
    await _feed_match(assembled)
    state = (await api.get("/api/v1/state")).json()
    assert state["scores"] == [3, 1]
    assert state["warnings"] == [0, 1]
    assert state["athletes"][0]["long_name"] == "KIM Minsu"
    assert state["winner"]["color"] == "BLUE"


async def test_events_newest_first_with_filters(api: httpx.AsyncClient,
                                                assembled: Assembly) -> None:
    await _feed_match(assembled)
    body = (await api.get("/api/v1/events", params={"limit": 5})).json()
    assert body["count"] == 5
    events = body["events"]
    ids = [e["id"] for e in events]
    assert ids == sorted(ids, reverse=True)
    first = events[0]
    assert set(first) >= {"id", "received_at", "source", "code", "kind", "athlete", "args",
                          "raw", "error"}
    assert first["received_at"].endswith("Z") and "." in first["received_at"]
    assert first["source"].startswith("127.0.0.1:")
    points = (await api.get("/api/v1/events", params={"kind": "point"})).json()["events"]
    assert [p["code"] for p in points] == ["pt2", "pt1"]
    page = (await api.get("/api/v1/events",
                          params={"limit": 2, "before_id": ids[-1]})).json()["events"]
    assert all(e["id"] < ids[-1] for e in page)
    future = datetime.now(UTC).replace(year=datetime.now(UTC).year + 1).isoformat()
    assert (await api.get("/api/v1/events", params={"since": future})).json()["count"] == 0
    match_id = points[0]["match"]
    in_match = (await api.get("/api/v1/events", params={"match": match_id, "limit": 1000}))
    assert in_match.json()["count"] >= len(match_datagrams())


async def test_events_bad_filters_are_422_json(api: httpx.AsyncClient) -> None:
    for params in ({"limit": 0}, {"limit": 1001}, {"limit": "x"}, {"match": 0},
                   {"since": "yesterday"}, {"kind": "no such kind!"}, {"before_id": -1}):
        body = _is_error(await api.get("/api/v1/events", params=params), 422)
        assert body["detail"]


async def test_matches_and_match(api: httpx.AsyncClient, assembled: Assembly) -> None:
    await _feed_match(assembled)
    body = (await api.get("/api/v1/matches")).json()
    assert body["count"] == 1
    match = body["matches"][0]
    assert match["number"] == "101"
    one = await api.get(f"/api/v1/matches/{match['id']}")
    assert one.status_code == 200
    assert one.json()["events"]
    _is_error(await api.get("/api/v1/matches/99999"), 404)
    _is_error(await api.get("/api/v1/matches/abc"), 422)
    _is_error(await api.get("/api/v1/matches", params={"day": "2026-13-40"}), 422)


async def test_stats_shape(api: httpx.AsyncClient, assembled: Assembly) -> None:
    await _feed_match(assembled)
    stats = (await api.get("/api/v1/stats")).json()
    for key in ("datagrams_received", "messages", "invalid", "unknown", "stored",
                "queue_depth", "dropped"):
        assert isinstance(stats[key], int), key
    assert stats["datagrams_received"] == stats["stored"] == len(match_datagrams())


async def test_export_streams_the_capture(api: httpx.AsyncClient, assembled: Assembly) -> None:
    await _feed_match(assembled)
    today = datetime.now().date().isoformat()
    r = await api.get("/api/v1/export", params={"day": today})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert len(lines) == len(match_datagrams())
    assert set(lines[0]) == {"t", "data"}
    _is_error(await api.get("/api/v1/export", params={"day": "28/11/2026"}), 422)
    _is_error(await api.get("/api/v1/export"), 422)


async def test_tournament_and_day(api: httpx.AsyncClient, assembled: Assembly) -> None:
    r = await api.post("/api/v1/tournament", json={"name": "World Championships"})
    assert r.status_code == 200, r.text
    r = await api.post("/api/v1/day", json={"day": "2026-05-02"})
    assert r.status_code == 200, r.text
    _is_error(await api.post("/api/v1/day", json={"day": "tomorrow"}), 422)
    _is_error(await api.post("/api/v1/tournament", json={"name": ""}), 422)
    _is_error(await api.post("/api/v1/tournament", content=b"not json",
                             headers={"content-type": "application/json"}), 422)
    await _feed_match(assembled)

    async def has_tournament() -> bool:
        names = [t["name"] for t in (await api.get("/api/v1/tournaments")).json()
                 ["tournaments"]]
        return "World Championships" in names

    await wait_until(has_tournament)


async def test_resync_without_pss_is_409(api: httpx.AsyncClient) -> None:
    _is_error(await api.post("/api/v1/resync"), 409)


async def test_unknown_route_and_method(api: httpx.AsyncClient) -> None:
    body = _is_error(await api.get("/api/v1/nothing-here"), 404)
    assert "/api/v1/nothing-here" in body["detail"]
    _is_error(await api.delete("/api/v1/state"), 405)


async def test_diagnostics(api: httpx.AsyncClient) -> None:
    body = (await api.get("/api/v1/diagnostics")).json()
    assert body["versions"]["restrike"]
    assert body["versions"]["protocol"]["version"] == "2.3"
    assert body["process"]["rss_bytes"] > 0
    assert "cpu_percent" in body["process"]
    assert "udp" in body["bound"]
    assert "pipeline_backlog" in body["queues"]
    assert body["health"]["components"]


async def test_logs_tail(api: httpx.AsyncClient) -> None:
    import logging

    from restrike.logs import ring_buffer

    logger = logging.getLogger("restrike.test")
    logger.addHandler(ring_buffer())
    try:
        logger.warning("hello from the test %d", 42)
        logger.info("too low to show")
    finally:
        logger.removeHandler(ring_buffer())
    body = (await api.get("/api/v1/logs", params={"level": "warning", "limit": 5})).json()
    assert all(r["level"] in ("WARNING", "ERROR", "CRITICAL") for r in body["records"])
    assert any(r["message"] == "hello from the test 42" for r in body["records"])
    _is_error(await api.get("/api/v1/logs", params={"level": "loud"}), 422)


async def test_openapi_lists_the_routes(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    for path in ("/api/health", "/api/v1/state", "/api/v1/events", "/api/v1/matches",
                 "/api/v1/matches/{match_id}", "/api/v1/stats", "/api/v1/export",
                 "/api/v1/tournament", "/api/v1/day", "/api/v1/diagnostics", "/api/v1/logs",
                 "/api/v1/resync"):
        assert path in paths, path


async def test_store_writes_without_an_open_store_are_503(api: httpx.AsyncClient,
                                                          assembled: Assembly,
                                                          monkeypatch: Any) -> None:
    # A blank name passes the body model; the store refuses it: 422, not a 500.
    _is_error(await api.post("/api/v1/tournament", json={"name": "   "}), 422)
    monkeypatch.setattr(assembled.store, "store", None)
    for path, body in (("/api/v1/tournament", {"name": "Open"}),
                       ("/api/v1/day", {"day": "2026-05-02"})):
        detail = _is_error(await api.post(path, json=body), 503)["detail"]
        assert "store is not open" in detail
    _is_error(await api.get("/api/v1/export", params={"day": "2026-05-02"}), 503)


def test_redact_looks_inside_lists() -> None:
    from pathlib import Path

    from restrike.secrets import redact

    out = redact({"obs": [{"name": "rec", "password": "hunter2", "dir": Path("/x")}],
                  "nested": {"rows": [[{"token": "t0k"}]], "api_key": ("a", "b")},
                  "empty_password": ""})
    assert out["obs"] == [{"name": "rec", "password": "***", "dir": "/x"}]
    assert out["nested"] == {"rows": [[{"token": "***"}]], "api_key": "***"}
    assert out["empty_password"] == ""


async def test_obs_password_never_in_diagnostics(api: httpx.AsyncClient,
                                                 assembled: Assembly,
                                                 monkeypatch: Any) -> None:
    # As if the settings renderer had stopped masking: the raw password in the list.
    effective = assembled.view.effective
    for key in list(effective):
        monkeypatch.delitem(effective, key)
    monkeypatch.setitem(effective, "values", {"obs": [
        {"name": "rec", "url": "ws://127.0.0.1:4455", "password": "hunter2-secret"}]})
    body = await api.get("/api/v1/diagnostics")
    assert body.status_code == 200
    assert "hunter2-secret" not in body.text
    assert "rec" in json.dumps(body.json()["config"])
