"""The plugin in a station (in process, real UDP and SQLite file): tags from a fed match,
the routes, live messages, a reel job cut from a recording."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from restrike.api import create_app
from restrike.assembly import Assembly, assemble
from restrike.bus import Broadcast
from tests.helpers import wait_until
from tests.station.fixtures import match_datagrams, send_udp, station_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tagged(tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[tuple[Assembly, httpx.AsyncClient, list[Any]]]:
    """A station (store, ingest, the plugins found) that received the fixtures' match;
    shared by the tests below, in order (each adds what the next may see)."""
    data = tmp_path_factory.mktemp("station") / "data"
    parts = assemble(station_settings(data), serve_http=False, review=False)
    told: list[Any] = []
    await parts.station.start()
    parts.station.bus.subscribe(Broadcast, lambda e: told.append(e) if e.type == "tags" else None)
    app = create_app(parts.view)
    await app.state.hub.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://station") as client:
            port = parts.station.bound["udp"]["port"]
            send_udp(port, match_datagrams())

            async def decided() -> bool:
                tags = (await client.get("/api/v1/tags")).json()["tags"]
                return any(t["kind"] == "decisive" for t in tags)

            await wait_until(decided, what="the match's tags")
            yield parts, client, told
    finally:
        await app.state.hub.stop()
        app.state.readers.close()
        await parts.station.stop()


async def test_a_fed_match_is_tagged_stored_and_told(tagged: Any) -> None:
    parts, client, told = tagged
    # In the order they were tagged: the list is ordered by time, and the penalty's
    # datagram may arrive a millisecond after the kick's.
    tags = sorted((await client.get("/api/v1/tags")).json()["tags"], key=lambda t: t["id"])
    assert [(t["kind"], t["side"], t["score_before"], t["score_after"]) for t in tags] == [
        ("head_kick", "blue", [0, 0], [3, 0]), ("lead_change", "blue", [0, 0], [3, 0]),
        ("penalty", "red", None, None),  # wg2;1 with no point following it
        ("decisive", "blue", None, [3, 0])]
    head = tags[0]
    assert head["clock"] == "1:59" and head["round"] == 1 and head["source"] == "auto"
    assert head["match"] is not None and head["event_id"] is not None
    assert head["recording"] is None  # no OBS recorded it
    events = (await client.get("/api/v1/events", params={"kind": "point"})).json()
    assert head["event_id"] in [e["id"] for e in events["events"]]
    assert {t["id"] for e in told for t in e.body.get("tags", [])} == {t["id"] for t in tags}
    health = parts.station.health()["components"]["analysis"]
    assert health["ok"] and health["state"] == "running" and health["tagged"] == 4


async def test_filters_and_bounded_parameters(tagged: Any) -> None:
    _parts, client, _told = tagged
    match = (await client.get("/api/v1/tags")).json()["tags"][0]["match"]
    got = await client.get("/api/v1/tags", params={"kind": "head_kick,decisive",
                                                   "match": match})
    assert [t["kind"] for t in got.json()["tags"]] == ["head_kick", "decisive"]
    assert (await client.get("/api/v1/tags", params={"match": match + 1})).json() == {
        "tags": []}
    today = time.strftime("%Y-%m-%d")
    assert len((await client.get("/api/v1/tags", params={"day": today})).json()["tags"]) == 4
    for params in ({"limit": 0}, {"limit": 10_001}, {"match": -1}, {"day": "2026-02-30"},
                   {"kind": "DROP TABLE"}, {"source": "robot"}, {"match": "x"}):
        answer = await client.get("/api/v1/tags", params=params)
        assert answer.status_code == 422, params
        assert set(answer.json()) >= {"error", "detail"}


async def test_manual_tags_are_added_and_deleted(tagged: Any) -> None:
    _parts, client, told = tagged
    tags = (await client.get("/api/v1/tags")).json()["tags"]
    made = await client.post("/api/v1/tags", json={"event_id": tags[0]["event_id"],
                                                   "kind": "coach_note", "note": "look",
                                                   "athlete": 2})
    assert made.status_code == 201, made.text
    tag = made.json()
    assert tag["source"] == "manual" and tag["side"] == "red"
    assert abs(tag["at"] - tags[0]["at"]) < 0.001  # the event's time (the API shows ms)
    by_time = await client.post("/api/v1/tags", json={"at": "2030-01-01T10:00:00Z"})
    assert by_time.status_code == 201 and by_time.json()["kind"] == "manual"
    for body, status in (({"event_id": 10**9}, 404), ({}, 422),
                         ({"event_id": 1, "at": "2030-01-01T10:00:00Z"}, 422),
                         ({"at": "yesterday"}, 422), ({"kind": "Bad Kind", "event_id": 1}, 422),
                         ({"event_id": 1, "weight": 2}, 422), ({"event_id": 1, "x": 1}, 422)):
        answer = await client.post("/api/v1/tags", json=body)
        assert answer.status_code == status, (body, answer.text)
        assert set(answer.json()) >= {"error", "detail"}
    assert (await client.delete(f"/api/v1/tags/{tag['id']}")).json() == {"deleted": tag["id"]}
    assert (await client.delete(f"/api/v1/tags/{tag['id']}")).status_code == 404
    automatic = await client.delete(f"/api/v1/tags/{tags[0]['id']}")
    assert automatic.status_code == 409 and "automatic" in automatic.json()["detail"]
    assert (await client.delete("/api/v1/tags/0")).status_code == 422
    assert any(e.body.get("ids") == [tag["id"]] for e in told)


async def test_a_reel_job_cuts_the_recording_around_the_tags(
        tagged: Any, recording: Path, tools: Any) -> None:
    parts, client, _told = tagged
    tags = (await client.get("/api/v1/tags")).json()["tags"]
    number = tags[0]["match_number"]
    refused = await client.post("/api/v1/highlights", json={"match": number, "day": "2027-01-15"})
    assert refused.status_code == 422
    for angle in ("", "cam\x01"):  # an angle's name is text on one line
        bad = await client.post("/api/v1/highlights", json={"match": number, "angle": angle})
        assert bad.status_code == 422, bad.text
    failed = await client.post("/api/v1/highlights", json={"match": number})
    assert failed.status_code == 202

    async def finished(job_id: int) -> dict[str, Any] | None:
        job: dict[str, Any] = (await client.get(f"/api/v1/highlights/{job_id}")).json()
        return job if job["state"] in ("done", "failed") else None

    job = await wait_until(lambda: finished(failed.json()["id"]), 60, "the job to fail")
    assert job["state"] == "failed" and f"match {number} has no recording" in job["error"]
    # OBS recorded the match from 10 s before its first tag: the tags are 10 s into the file.
    first = tags[0]["at"]

    def add_recording(conn: Any) -> None:
        conn.execute("INSERT INTO recording_sessions (day, output, obs_name, match, path, "
                     "started_at) VALUES ('x', 'recording', 'obs', ?, ?, ?)",
                     (number, str(recording), first - 10))

    parts.store.store.call(add_recording).result(30)
    tags = (await client.get("/api/v1/tags")).json()["tags"]
    assert tags[0]["recording"] == {"path": str(recording), "offset": 10.0}
    made = await client.post("/api/v1/highlights", json={"match": number, "before": 1,
                                                         "after": 1, "title_seconds": 1})
    job = await wait_until(lambda: finished(made.json()["id"]), 60, "the reel")
    assert job["state"] == "done", job
    assert job["request"]["angle"] == "best"  # no multi-angle clip here: the recording
    assert job["result"]["matches"] == 1 and job["result"]["segments"] >= 1
    reel = await client.get(f"/api/v1/highlights/{job['id']}/file")
    assert reel.status_code == 200 and reel.headers["content-type"] == "video/mp4"
    assert tools.probe(Path(job["output"])).duration == pytest.approx(
        job["result"]["duration"], abs=0.05)
    assert (await client.get("/api/v1/highlights/999")).status_code == 404
    listed = (await client.get("/api/v1/highlights")).json()["jobs"]
    assert [j["id"] for j in listed] == [made.json()["id"], failed.json()["id"]]
