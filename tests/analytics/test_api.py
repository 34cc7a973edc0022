"""``/api/v1/analytics/...`` of an in-process station over a real SQLite file that was
written before (the analytics fold it in the background at start), plus its bad input:
unknown ids are 404 naming the id, malformed values 422, an empty tournament zeros."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from restrike.api.app import create_app
from restrike.assembly import assemble
from restrike.store.component import DB_FILE
from tests.analytics.feed import build_feed, store_feed
from tests.helpers import wait_until
from tests.station.fixtures import station_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

FEED = build_feed(11, 4, reload=True, unfinished=True)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    data = tmp_path_factory.mktemp("analytics-api") / "data"
    data.mkdir()
    store_feed(data / DB_FILE, FEED.datagrams)
    parts = assemble(station_settings(data), serve_http=False, review=False)
    await parts.station.start()
    app = create_app(parts.view)
    await app.state.hub.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://station") as client:
            async def folded() -> bool:
                health = (await client.get("/api/health")).json()["components"]["analytics"]
                return bool(health["state"] == "running" and health["matches_folded"] >= 5)

            await wait_until(folded, 30, "the stored matches folded")
            yield client
    finally:
        await app.state.hub.stop()
        app.state.readers.close()
        await parts.station.stop()


async def _ok(api: httpx.AsyncClient, path: str, **params: Any) -> Any:
    answer = await api.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_match(api: httpx.AsyncClient) -> None:
    matches = (await _ok(api, "/api/v1/matches"))["matches"]
    assert len(matches) == 5  # four matches, the first loaded twice
    last = matches[0]
    done = matches[1]
    body = await _ok(api, f"/api/v1/analytics/matches/{done['id']}")
    truth = FEED.summaries[2]
    blue, red = body["athletes"]
    assert body["match"]["number"] == done["number"] == truth.number
    assert body["match"]["tournament"] == done["tournament"] and body["match"]["finished"]
    assert blue["athlete"]["long_name"] == done["blue"]["long_name"]
    assert (blue["score"], red["score"]) == truth.scores
    assert body["winner"] == done["winner"] and body["decision"] == truth.decision
    assert set(blue["techniques"]) == {"punch", "body", "head", "technical_body",
                                       "technical_head"}
    assert sum(t["points"] for t in blue["techniques"].values()) + blue["gam_jeom_points"] \
        + sum(e["points"] for e in body["timeline"] if e["cause"] == "correction"
              and e["athlete"] == "blue") == blue["score"]
    assert body["timeline"][-1]["score"] == {"blue": blue["score"], "red": red["score"]}
    assert body["duration"]["fight_seconds"] > 0 and body["intensity"] > 0
    assert body["events"]["total"] == sum(body["events"]["by_kind"].values())
    unfinished = await _ok(api, f"/api/v1/analytics/matches/{last['id']}")
    assert unfinished["winner"] is None and not unfinished["match"]["finished"]


async def test_athletes_search_ignores_case_and_accents(api: httpx.AsyncClient) -> None:
    everyone = (await _ok(api, "/api/v1/analytics/athletes"))["athletes"]
    assert len(everyone) == 8  # four matches of two new athletes
    someone = everyone[0]
    folded = someone["long_name"].swapcase()
    found = (await _ok(api, "/api/v1/analytics/athletes", search=folded))["athletes"]
    assert someone["id"] in [a["id"] for a in found]
    accented = [a for a in everyone if any(ord(c) > 127 for c in a["long_name"])]
    for athlete in accented:
        plain = "".join(c for c in unicodedata.normalize("NFKD", athlete["long_name"])
                        if not unicodedata.combining(c)).upper()
        found = (await _ok(api, "/api/v1/analytics/athletes", search=plain))["athletes"]
        assert athlete["id"] in [a["id"] for a in found], plain
    assert {"matches", "wins", "losses", "win_rate", "points_for"} <= set(someone)
    assert (await _ok(api, "/api/v1/analytics/athletes", search="zzzz-nobody"))[
        "athletes"] == []


async def test_athlete_counts_finished_matches_only(api: httpx.AsyncClient) -> None:
    matches = (await _ok(api, "/api/v1/matches"))["matches"]
    first = matches[-1]  # the match loaded twice: its first, unfinished load
    athlete_id = first["blue"]["id"]
    body = await _ok(api, f"/api/v1/analytics/athletes/{athlete_id}")
    assert body["athlete"]["id"] == athlete_id
    assert body["matches"] == 1 and len(body["trend"]) == 1  # one match, not two loads
    won = FEED.summaries[0].winner == 1
    assert (body["wins"], body["losses"], body["win_rate"]) == (int(won), int(not won),
                                                                float(won))
    assert body["points_for"] == FEED.summaries[0].scores[0]
    assert body["points_against"] == FEED.summaries[0].scores[1]
    assert body["unfinished"] == []
    found = (await _ok(api, "/api/v1/analytics/athletes",
                       search=first["blue"]["long_name"]))["athletes"]
    row = next(a for a in found if a["id"] == athlete_id)
    assert (row["matches"], row["wins"], row["points_for"]) == (
        1, int(won), FEED.summaries[0].scores[0])  # the headline counts the match once
    last = matches[0]
    unfinished = await _ok(api, f"/api/v1/analytics/athletes/{last['red']['id']}")
    assert unfinished["matches"] == 0 and unfinished["win_rate"] == 0.0
    assert [m["match"] for m in unfinished["unfinished"]] == [last["id"]]


async def test_tournament_and_day(api: httpx.AsyncClient) -> None:
    tournament = (await _ok(api, "/api/v1/tournaments"))["tournaments"][0]
    body = await _ok(api, f"/api/v1/analytics/tournaments/{tournament['id']}")
    assert body["tournament"]["name"] == tournament["name"]
    assert (body["matches_planned"], body["matches_completed"]) == (4, 3)
    assert body["completion_rate"] == 0.75
    assert len(body["top_athletes"]) == 6 and body["top_athletes"][0]["points"] == max(
        max(s.scores) for s in FEED.summaries[:3])
    assert sum(c["wins"] for c in body["top_countries"]) <= 3
    assert body["peak_hour"] in [h["hour"] for h in body["hourly"]]
    assert sum(h["events"] for h in body["hourly"]) == body["events"]["total"]
    day = await _ok(api, f"/api/v1/analytics/days/{body['days'][0]['date']}")
    assert {k: v for k, v in day.items() if k not in ("day", "days")} == {
        k: v for k, v in body.items() if k not in ("tournament", "days")}


async def test_an_empty_day_is_zeros(api: httpx.AsyncClient) -> None:
    body = await _ok(api, "/api/v1/analytics/days/2001-01-01")
    assert body["matches_planned"] == body["matches_completed"] == 0
    assert body["top_athletes"] == [] and body["peak_hour"] is None
    assert body["average_intensity"] == 0.0 and body["events"]["total"] == 0


@pytest.mark.parametrize(("path", "named"), [
    ("/api/v1/analytics/matches/999999", "999999"),
    ("/api/v1/analytics/athletes/424242", "424242"),
    ("/api/v1/analytics/tournaments/77777", "77777"),
])
async def test_unknown_ids_are_404_naming_the_id(api: httpx.AsyncClient, path: str,
                                                 named: str) -> None:
    answer = await api.get(path)
    assert answer.status_code == 404
    assert answer.json()["error"] == "not found" and named in answer.json()["detail"]


@pytest.mark.parametrize("path", [
    "/api/v1/analytics/days/2026-02-30", "/api/v1/analytics/days/yesterday",
    "/api/v1/analytics/days/99999-01-01", "/api/v1/analytics/matches/0",
    "/api/v1/analytics/matches/abc", "/api/v1/analytics/matches/99999999999999999999",
    "/api/v1/analytics/athletes?limit=0", "/api/v1/analytics/athletes?search=%00",
    "/api/v1/analytics/athletes?search=" + "x" * 101,
])
async def test_bad_input_is_422(api: httpx.AsyncClient, path: str) -> None:
    answer = await api.get(path)
    assert answer.status_code == 422, answer.text
    assert {"error", "detail"} <= set(answer.json())


async def test_routes_are_documented(api: httpx.AsyncClient) -> None:
    paths = (await _ok(api, "/openapi.json"))["paths"]
    for path, codes in (("/matches/{match_id}", {"404", "422", "503"}),
                        ("/athletes", {"422", "503"}),
                        ("/athletes/{athlete_id}", {"404", "422", "503"}),
                        ("/tournaments/{tournament_id}", {"404", "422", "503"}),
                        ("/days/{day}", {"422", "503"})):
        assert codes <= set(paths["/api/v1/analytics" + path]["get"]["responses"]), path

