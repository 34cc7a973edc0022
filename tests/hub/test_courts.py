"""Three real stations stream to one real hub on a real PostgreSQL: the hub killed
mid-tournament and restarted, a station killed with kill -9 while sending — afterwards
every court's rows at the hub are the station's, exactly once, and the tournament's
analytics at the hub equal a recomputation from the stations' own stores."""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from restrike.analytics import (
    AthleteRef,
    Event,
    MatchRef,
    athlete_report,
    fold_match,
    group_report,
    match_report,
)
from restrike.hub.server.analytics import athlete_id
from restrike.hub.server.ids import tournament_id
from tests.hub.conftest import HubProcess, hub_station
from tests.station.fixtures import StationProcess, match_datagrams, send_udp

pytestmark = [pytest.mark.peers, pytest.mark.slow, pytest.mark.timeout(600)]

COURTS = ("Court 1", "Court 2", "Court 3")
#: A station is up when /api/health answers (503 too: another plugin may have failed;
#: the hub link's own health is checked where it matters).
READY = (200, 503)


def wait_for(check: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start_all(stations: list[StationProcess], hub: HubProcess | None = None) -> None:
    """Launch the stations (and the hub) together, then wait for each: they start in
    parallel instead of one after the other."""
    if hub is not None:
        hub.launch()
    for station in stations:
        station.launch()
    if hub is not None:
        hub.wait()
    for station in stations:
        wait_for(functools.partial(up, station), f"{station.url} to answer", timeout=90)


def up(station: StationProcess) -> bool:
    """True once the station answers; AssertionError with its output if it exited."""
    assert station.proc is not None
    if station.proc.poll() is not None:
        station.stop()
        raise AssertionError(f"the station exited:\n{station.output}")
    try:
        return station.answer("/api/health") in READY
    except httpx.HTTPError:
        return False


def live_scores(hub: HubProcess) -> dict[str, Any]:
    return {c["court"]: c["state"].get("scores") for c in hub.get("/api/v1/courts")["courts"]}


def database(station: StationProcess) -> Path:
    """The station's SQLite file."""
    found = [p for p in station.data_dir.glob("restrike.*")
             if p.suffix in (".db", ".sqlite3")]
    assert len(found) == 1, found
    return found[0]


def station_ids(station: StationProcess) -> tuple[list[int], int]:
    """The station's datagram ids and event count, read from its SQLite file."""
    path = database(station)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM datagrams ORDER BY id")]
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    conn.close()
    return ids, events


def hub_ids(dsn: str, court: str) -> tuple[list[int], int]:
    with psycopg.connect(dsn) as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT d.id FROM datagrams d JOIN stations s USING (sid) WHERE s.court = %s "
            "ORDER BY d.id", (court,))]
        events = conn.execute("SELECT count(*) FROM events e JOIN stations s USING (sid) "
                              "WHERE s.court = %s", (court,)).fetchone()
    return ids, events[0] if events else 0


def in_step(dsn: str, stations: dict[str, StationProcess]) -> bool:
    return all(hub_ids(dsn, court) == station_ids(station)
               for court, station in stations.items())


def person(short: str, long: str | None, country: str) -> AthleteRef | None:
    """An athlete as the hub names one: its id made of long name and country."""
    return AthleteRef(athlete_id(long, country), short, long, country) if long else None


def station_rows(stations: list[StationProcess], tournament: str
                 ) -> list[tuple[MatchRef, dict[str, Any]]]:
    """The tournament's matches folded from the stations' own SQLite stores."""
    rows = []
    for number, station in enumerate(stations, start=1):
        path = database(station)
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            for m in conn.execute(
                    "SELECT m.id, m.number, m.match_id, d.id, d.date, b.long_name, b.country, "
                    "r.long_name, r.country, b.short_name, r.short_name, m.phase, m.category, "
                    "m.division FROM matches m "
                    "JOIN days d ON d.id = m.day_id "
                    "JOIN tournaments t ON t.id = d.tournament_id "
                    "LEFT JOIN athletes b ON b.id = m.blue_athlete_id "
                    "LEFT JOIN athletes r ON r.id = m.red_athlete_id WHERE t.name = ?",
                    (tournament,)).fetchall():
                events = conn.execute("SELECT id, received_at, kind, athlete, args FROM events "
                                      "WHERE match_id = ? ORDER BY id", (m[0],)).fetchall()
                folded = fold_match(Event(e[0], e[1], e[2], e[3], json.loads(e[4]))
                                    for e in events)
                ref = MatchRef(id=number * 10**9 + m[0], number=m[1], match_id=m[2],
                               phase=m[11], category=m[12], division=m[13],
                               tournament=tournament, day=m[4], day_id=number * 10**9 + m[3],
                               blue=person(m[9], m[5], m[6]), red=person(m[10], m[7], m[8]))
                rows.append((ref, folded.summary()))
        finally:
            conn.close()
    return rows


def recomputed(stations: list[StationProcess], tournament: str) -> dict[str, Any]:
    """The tournament's figures from the stations' own SQLite stores."""
    return group_report(station_rows(stations, tournament))


def match_recomputed(station: StationProcess, hub_row: dict[str, Any]) -> dict[str, Any]:
    """The hub's answer for a match (``hub_row``: the match in the hub's /api/v1/matches),
    recomputed from the station's own store: its events folded, named with the hub's ids."""
    conn = sqlite3.connect(f"file:{database(station)}?mode=ro", uri=True)
    try:
        events = conn.execute("SELECT id, received_at, kind, athlete, args FROM events "
                              "WHERE match_id = ? ORDER BY id",
                              (hub_row["station_id"],)).fetchall()
    finally:
        conn.close()
    folded = fold_match(Event(e[0], e[1], e[2], e[3], json.loads(e[4])) for e in events)
    blue, red = (person(a["short_name"], a["long_name"], a["country"]) if a else None
                 for a in (hub_row["blue"], hub_row["red"]))
    ref = MatchRef(id=hub_row["id"], number=hub_row["number"], match_id=hub_row["match_id"],
                   phase=hub_row["phase"], category=hub_row["category"],
                   division=hub_row["division"], tournament=hub_row["tournament"],
                   tournament_id=tournament_id(hub_row["tournament"]), day=hub_row["day"],
                   day_id=hub_row["day_id"], blue=blue, red=red)
    report = match_report(ref, folded.summary(), folded.timeline())
    return {**report, "match": {**report["match"], "court": hub_row["court"]}}


def keys(value: Any) -> Any:
    """The shape of a JSON value: its keys, nested (lists by their first item)."""
    if isinstance(value, dict):
        return {k: keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [keys(value[0])] if value else []
    return None


def same_shape(station: Any, hub: Any) -> bool:
    """Every key of the station's answer is in the hub's, at the same place (the hub
    may add some, e.g. ``court``)."""
    if isinstance(station, dict):
        return isinstance(hub, dict) and all(k in hub and same_shape(v, hub[k])
                                             for k, v in station.items())
    if isinstance(station, list) and station:
        return isinstance(hub, list) and bool(hub) and same_shape(station[0], hub[0])
    return True


def check_read_api(hub: HubProcess, stations: dict[str, StationProcess]) -> None:
    """The hub answers the station's read paths in the station's shapes, with its own
    ids (unique at the hub), and each match's figures equal the station store's."""
    station = stations["Court 1"]
    mine = hub.get("/api/v1/matches")
    theirs = station.get("/api/v1/matches").json()
    assert same_shape(keys(theirs), keys(mine)) and mine["count"] == len(mine["matches"])
    assert len({m["id"] for m in mine["matches"]}) == len(mine["matches"])  # unique at hub
    for row in mine["matches"]:
        assert hub.get(f"/api/v1/analytics/matches/{row['id']}") == match_recomputed(
            stations[row["court"]], row)
        whole = hub.get(f"/api/v1/matches/{row['id']}")
        assert {e["match"] for e in whole["events"]} == {row["id"]}
    one = next(m for m in mine["matches"] if m["court"] == "Court 1")
    assert same_shape(keys(station.get(f"/api/v1/matches/{one['station_id']}").json()),
                      keys(hub.get(f"/api/v1/matches/{one['id']}")))
    assert same_shape(keys(station.get(
        f"/api/v1/analytics/matches/{one['station_id']}").json()),
        keys(hub.get(f"/api/v1/analytics/matches/{one['id']}")))
    events = hub.get("/api/v1/events", match=one["id"], limit=1000)["events"]
    assert events and all(e["court"] == "Court 1" and e["match"] == one["id"]
                          for e in events)
    assert same_shape(keys(station.get("/api/v1/events").json()),
                      keys(hub.get("/api/v1/events")))
    # The station's paging: next_before_id back as before_id, until it is null.
    full = hub.get("/api/v1/events", court="Court 1", limit=1000)["events"]
    paged: list[dict[str, Any]] = []
    before = None
    while True:
        page = hub.get("/api/v1/events", court="Court 1", limit=25,
                       **({"before_id": before} if before else {}))
        paged += page["events"]
        before = page["next_before_id"]
        if before is None:
            break
    assert len(full) > 25 and [e["id"] for e in paged] == [e["id"] for e in full]
    times = sorted({e["received_at"] for e in full})
    assert len(times) > 1, times
    since = times[len(times) // 2]
    later = hub.get("/api/v1/events", court="Court 1", since=since, limit=1000)["events"]
    assert later == [e for e in full if e["received_at"] >= since] and len(later) < len(full)
    for params in ({"before_id": 1}, {"since": "yesterday"}):
        answer = httpx.get(hub.url + "/api/v1/events", params=params, timeout=10)
        assert answer.status_code == 422 and set(answer.json()) >= {"error", "detail"}
    [listed] = hub.get("/api/v1/tournaments")["tournaments"]
    assert listed["id"] == tournament_id("Hub Open")
    assert same_shape(keys(station.get("/api/v1/tournaments").json()),
                      keys(hub.get("/api/v1/tournaments")))
    by_id = hub.get(f"/api/v1/analytics/tournaments/{listed['id']}")
    assert by_id == hub.get("/api/v1/analytics/tournaments/Hub Open")
    assert by_id["tournament"] == {"id": listed["id"], "name": "Hub Open"}
    [local] = station.get("/api/v1/tournaments").json()["tournaments"]
    assert same_shape(keys(station.get(f"/api/v1/analytics/tournaments/{local['id']}").json()),
                      keys(by_id))
    assert same_shape(keys(station.get(f"/api/v1/analytics/days/{one['day']}").json()),
                      keys(hub.get(f"/api/v1/analytics/days/{one['day']}")))
    for path in ("/api/v1/analytics/matches/1", f"/api/v1/matches/{1 << 52}",
                 "/api/v1/analytics/tournaments/Nowhere Cup"):
        answer = httpx.get(hub.url + path, timeout=10)
        assert answer.status_code == 404 and set(answer.json()) >= {"error", "detail"}
    answer = httpx.get(hub.url + f"/api/v1/analytics/matches/{1 << 54}", timeout=10)
    assert answer.status_code == 422


def without_match_ids(report: dict[str, Any]) -> dict[str, Any]:
    """An athlete's report with the match ids left out (the hub's are its own)."""
    def line(m: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if m is None else {k: v for k, v in m.items() if k != "match"}

    return {**report, "trend": [line(m) for m in report["trend"]],
            "unfinished": [line(m) for m in report["unfinished"]],
            "best_match": line(report["best_match"])}


def test_three_courts_through_a_hub_outage_and_a_station_kill(
        tmp_path: Path, hub_database: str) -> None:
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("# court = token\n" + "".join(
        f"{court} = secret-{n}\n" for n, court in enumerate(COURTS)), encoding="utf-8")
    hub = HubProcess(hub_database, tokens=tokens)
    stations = {court: hub_station(tmp_path / f"s{n}", court, hub.url, f"secret-{n}")
                for n, court in enumerate(COURTS)}
    try:
        start_all(list(stations.values()), hub)
        match = match_datagrams()
        for station in stations.values():
            send_udp(station.udp_port, match)
        wait_for(lambda: in_step(hub_database, stations) and
                 all(len(station_ids(s)[0]) == len(match) for s in stations.values()),
                 "the first match at the hub")
        # The live state follows the rows: the upload that carried the last datagram may
        # have read the state before the station applied it; the next one brings it.
        wait_for(lambda: live_scores(hub) == {court: [3, 1] for court in COURTS},
                 "every court's final score at the hub")
        courts = {c["court"]: c for c in hub.get("/api/v1/courts")["courts"]}
        assert set(courts) == set(COURTS)
        assert all(c["connected"] and c["datagrams"] == len(match) for c in courts.values())

        # Asked now, the analytics are cached; what follows must make them again.
        early = hub.get("/api/v1/analytics/tournaments/Hub Open")
        assert early["matches_planned"] == len(COURTS)
        assert hub.get("/api/v1/analytics/athletes", search="kim")["athletes"][0][
            "matches"] == len(COURTS)
        hub.kill()  # mid-tournament: the stations keep storing
        for station in stations.values():
            send_udp(station.udp_port, match)
        wait_for(lambda: all(len(station_ids(s)[0]) == 2 * len(match)
                             for s in stations.values()), "the stations to store")
        health = stations["Court 2"].get("/api/health").json()["components"]["hub"]
        assert health["state"] == "unreachable" and health["ok"]
        hub.start()
        wait_for(lambda: in_step(hub_database, stations), "the catch-up after the outage")

        victim = stations["Court 2"]
        sender = threading.Thread(target=send_udp, args=(victim.udp_port, match * 20),
                                  kwargs={"pause": 0.002}, name="test-sender")
        sender.start()
        wait_for(lambda: len(station_ids(victim)[0]) > 2 * len(match) + 40, "more rows")
        victim.kill()
        sender.join()
        start_all([victim])
        send_udp(victim.udp_port, match)
        wait_for(lambda: in_step(hub_database, stations), "the catch-up after kill -9")
        for court, station in stations.items():
            ids, events = hub_ids(hub_database, court)
            assert len(ids) == len(set(ids)) and ids == station_ids(station)[0]
            assert events == station_ids(station)[1]

        report = hub.get("/api/v1/analytics/tournaments/Hub Open")
        expected = recomputed(list(stations.values()), "Hub Open")
        days = {m["day"] for m in hub.get("/api/v1/matches")["matches"]}
        assert len(days) == 1  # one tournament on one date: the day's figures are the same
        day = hub.get(f"/api/v1/analytics/days/{days.pop()}")
        for key in ("matches_planned", "matches_completed", "decisions", "events",
                    "top_athletes", "top_countries", "scoring"):
            assert report[key] == expected[key], key
            assert day[key] == expected[key], key
        assert report["courts"] == list(COURTS) == day["courts"]
        assert {(d["court"], d["tournament"]) for d in day["days"]} == {
            (court, "Hub Open") for court in COURTS}
        # The same athlete on three courts is one athlete, with the stations' figures.
        found = hub.get("/api/v1/analytics/athletes", search="minsu")["athletes"]
        assert [(a["long_name"], a["country"]) for a in found] == [("KIM Minsu", "KOR")]
        kim = AthleteRef(found[0]["id"], found[0]["short_name"], "KIM Minsu", "KOR")
        assert kim.id == athlete_id("KIM Minsu", "KOR")
        rows = station_rows(list(stations.values()), "Hub Open")
        theirs = athlete_report(kim, [r for r in rows if kim.id in (
            r[0].blue and r[0].blue.id, r[0].red and r[0].red.id)])
        assert found[0]["matches"] == theirs["matches"] >= len(COURTS)
        assert (found[0]["wins"], found[0]["points_for"], found[0]["points_against"]) == (
            theirs["wins"], theirs["points_for"], theirs["points_against"])
        mine = hub.get(f"/api/v1/analytics/athletes/{kim.id}")
        assert mine.pop("courts") == list(COURTS)
        assert without_match_ids(mine) == without_match_ids(theirs)
        assert httpx.get(f"{hub.url}/api/v1/analytics/athletes/{found[0]['id'] + 1}",
                         timeout=10).status_code == 404
        assert hub.get("/api/v1/analytics/athletes", search="nobody")["athletes"] == []
        tournaments = hub.get("/api/v1/tournaments")["tournaments"]
        assert [(t["name"], t["courts"]) for t in tournaments] == [("Hub Open", list(COURTS))]
        finished = hub.get("/api/v1/matches", finished="true")["matches"]
        assert {m["court"] for m in finished} == set(COURTS)
        assert all(m["winner"] == "BLUE" and m["blue"]["long_name"] == "KIM Minsu"
                   for m in finished)
        check_read_api(hub, stations)
    finally:
        for station in stations.values():
            station.stop()
        hub.stop()
