"""Bad input never reaches a 500: each class of it answers 4xx with the documented body.

In process (httpx over ASGI) against a real station with the review component and the
playback router mounted (mpv not started: a bad path is refused before the player is
asked). tests/api/test_schemathesis.py fuzzes the same routes through the real server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from restrike.api import create_app
from restrike.assembly import assemble
from restrike.http.errors import ErrorBody
from restrike.playback import MpvPlayer
from restrike.playback.api import make_router as playback_router
from restrike.store import Store
from tests.station.fixtures import station_settings

HUGE = 2**70


@pytest.fixture
async def rec(tmp_path: Path) -> Path:
    root = tmp_path / "rec"
    root.mkdir()
    (root / "clip.mkv").write_bytes(b"video")
    (root / "notes.txt").write_text("not a video")
    (tmp_path / "secret.mkv").write_bytes(b"outside")
    return root


@pytest.fixture
async def http(tmp_path: Path, rec: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = station_settings(tmp_path / "data", **{"review.recordings_root": str(rec)})
    parts = assemble(settings, serve_http=False)
    station = parts.station
    await station.start()
    station.add_router(playback_router(MpvPlayer(), allowed_roots=[rec]))
    app = create_app(parts.view)
    await app.state.hub.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://127.0.0.1") as client:
            yield client
    finally:
        await app.state.hub.stop()
        app.state.readers.close()
        await station.stop()


def refused(response: httpx.Response, status: int, field: str | None = None) -> ErrorBody:
    """The response is ``status`` with the documented body; 422s name ``field``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = ErrorBody.model_validate(response.json())
    assert body.error and body.detail
    if field is not None:
        assert field in [f.field for f in body.fields], response.text
        assert str(body.detail).startswith(f"{field}: ") or f"; {field}: " in str(body.detail)
    return body


async def test_huge_integers_are_422_naming_the_parameter(http: httpx.AsyncClient) -> None:
    refused(await http.get(f"/api/v1/matches/{HUGE}"), 422, "match_id")
    refused(await http.get("/api/v1/matches/0"), 422, "match_id")
    refused(await http.get("/api/v1/matches/-3"), 422, "match_id")
    refused(await http.get("/api/v1/events", params={"before_id": HUGE}), 422, "before_id")
    refused(await http.get("/api/v1/events", params={"match": HUGE}), 422, "match")
    refused(await http.get("/api/v1/events", params={"limit": HUGE}), 422, "limit")
    refused(await http.get("/api/v1/clips", params={"limit": HUGE}), 422, "limit")
    refused(await http.get("/api/v1/logs", params={"limit": -HUGE}), 422, "limit")
    # The largest id SQLite can hold is a valid question with an answer.
    refused(await http.get(f"/api/v1/matches/{2**63 - 1}"), 404)
    r = await http.get("/api/v1/events", params={"before_id": 2**63 - 1, "match": 2**63 - 1})
    assert r.status_code == 200 and r.json()["events"] == []


async def test_the_reader_refuses_ids_sqlite_cannot_bind(tmp_path: Path) -> None:
    """Callers other than the API (the review archive, scripts) get the same 422 reason."""
    store = Store(tmp_path / "db.sqlite3")
    try:
        with store.reader() as reader:
            for call in (lambda: reader.match(HUGE), lambda: reader.events(before_id=HUGE),
                         lambda: reader.events(match=2**63)):
                with pytest.raises(ValueError, match="must be at most 9223372036854775807"):
                    call()
            assert reader.match(2**63 - 1) is None
    finally:
        store.close()


@pytest.mark.parametrize("day", ["2026-02-30", "2026-13-01", "2026-5-2", "0000-00-00",
                                 "1999-12-31", "3000-01-01", "yesterday", "2026-05-02T00:00"])
async def test_impossible_and_malformed_days_are_422(http: httpx.AsyncClient, day: str) -> None:
    for path in ("/api/v1/matches", "/api/v1/export", "/api/v1/clips", "/api/v1/recordings",
                 "/api/v1/chapters"):
        body = refused(await http.get(path, params={"day": day}), 422, "day")
        assert day in str(body.detail) or "from 2000-01-01 to 2999-12-31" in str(body.detail)
    refused(await http.post("/api/v1/day", json={"day": day}), 422, "day")


async def test_real_days_and_times_are_answered(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/v1/matches", params={"day": "2028-02-29"})).json() == {
        "matches": [], "count": 0}
    export = await http.get("/api/v1/export", params={"day": "2999-12-31"})
    assert export.status_code == 200 and export.text == ""
    for since in ("2026-05-01T10:00:00Z", "0001-01-01T00:00:00+23:59",
                  "9999-12-31T23:59:59.999999-23:59"):
        assert (await http.get("/api/v1/events", params={"since": since})).status_code == 200
    for since in ("", "null", "2026-02-30T10:00:00Z", "10:00", "\x00"):
        refused(await http.get("/api/v1/events", params={"since": since}), 422, "since")


async def test_nul_and_control_characters_are_422(http: httpx.AsyncClient, rec: Path) -> None:
    clip = str(rec / "clip.mkv")
    refused(await http.get("/api/v1/files", params={"path": clip + "\x00.txt"}), 422, "path")
    refused(await http.post("/api/v1/replay/open", json={"path": clip + "\x00"}), 422, "path")
    refused(await http.post("/api/v1/playback/open", json={"path": "\x00" + clip}), 422,
            "path")
    refused(await http.post("/api/v1/tournament", json={"name": "Open\x00"}), 422, "name")
    refused(await http.post("/api/v1/replay", json={"requested_by": "a\nb"}), 422,
            "requested_by")
    refused(await http.post("/api/v1/replay/scene", json={"scene": "IVR\x00"}), 422, "scene")
    refused(await http.get("/api/v1/events", params={"kind": "point\x00"}), 422, "kind")
    refused(await http.get("/flags/%00.svg"), 404)
    refused(await http.get("/ui/%00"), 404)
    # A name longer than the file system takes (ENAMETOOLONG) is not found, not a 500.
    for path in ("/ui/" + "a" * 300, "/overlays/" + "a" * 300, "/flags/" + "A" * 300 + ".svg"):
        refused(await http.get(path), 404)


async def test_files_open_only_videos_inside_the_roots(http: httpx.AsyncClient, rec: Path
                                                       ) -> None:
    """``/api/v1/files``, ``/replay/open`` and ``/playback/open``: one rule."""
    cases = [
        (str(rec / ".." / "secret.mkv"), 403, "outside the allowed folders"),
        ("/etc/passwd", 403, "outside the allowed folders"),
        (str(rec / "notes.txt"), 403, "only video files"),
        (str(rec / "missing.mkv"), 404, "no such file"),
        (str(rec / ("x" * 300 + ".mkv")), 404, "no such file"),
        ("rec/clip.mkv", 422, "must be absolute"),
    ]
    for path, status, reason in cases:
        answers = [await http.get("/api/v1/files", params={"path": path}),
                   await http.post("/api/v1/replay/open", json={"path": path}),
                   await http.post("/api/v1/playback/open", json={"path": path})]
        for answer in answers:
            assert reason in str(refused(answer, status).detail), (path, answer.text)
    served = await http.get("/api/v1/files", params={"path": str(rec / "clip.mkv")})
    assert served.status_code == 200 and served.content == b"video"
    assert served.headers["content-type"] == "video/x-matroska"
    # A video inside the roots gets as far as the player, which is not running here.
    refused(await http.post("/api/v1/playback/open", json={"path": str(rec / "clip.mkv")}),
            503)


async def test_bodies_that_are_not_json_or_not_the_model(http: httpx.AsyncClient) -> None:
    headers = {"content-type": "application/json"}
    body = refused(await http.post("/api/v1/tournament", content=b"{nope", headers=headers),
                   422, "body")
    assert "not valid JSON" in str(body.detail)
    refused(await http.post("/api/v1/tournament", json=["a"]), 422)
    refused(await http.post("/api/v1/day", json={"day": "2026-05-02", "x": 1}), 422, "x")
    refused(await http.post("/api/v1/replay/open", json={"path": "/a.mkv", "start": 1e300}),
            422, "start")
    refused(await http.post("/api/v1/playback/seek", json={"seconds": 1e300}), 422, "seconds")


async def test_unknown_routes_and_methods(http: httpx.AsyncClient) -> None:
    assert "no such route" in str(refused(await http.get("/api/v1/nothing"), 404).detail)
    answer = await http.request("PATCH", "/api/v1/protocol")
    refused(answer, 405)
    assert answer.headers["allow"] == "GET, POST, PUT, DELETE"
    assert (await http.request("OPTIONS", "/api/v1/matches")).headers["allow"] == "GET"


async def test_openapi_documents_every_error_with_the_one_body(http: httpx.AsyncClient
                                                               ) -> None:
    document: dict[str, Any] = (await http.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorBody"]["required"]) == {"error", "detail"}
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            expected = {"400", "401", "421"}
            if method in ("post", "put", "patch", "delete"):
                expected |= {"403", "413", "415"}
            assert expected <= set(answers), (method, path)
            for code, answer in answers.items():
                if int(code) >= 400 and (path, code) != ("/api/health", "503"):
                    assert answer["content"] == {"application/json": {"schema": ref}}, (
                        method, path, code)
    unhealthy = document["paths"]["/api/health"]["get"]["responses"]["503"]
    assert unhealthy["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Health"}
    files = document["paths"]["/api/v1/files"]["get"]["responses"]
    assert {"403", "404", "422"} <= set(files) and "video/mp4" in files["200"]["content"]
    match_id = document["paths"]["/api/v1/matches/{match_id}"]["get"]["parameters"][0]
    assert match_id["schema"]["maximum"] == 2**63 - 1
