"""Manual scoring in a real `restrike run` process: the feed stops, points are entered
from the API, the state and the stored events (source manual) are right, an undo
reverts exactly, the feed resumes and takes over; errors never 500."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from restrike.protocol import encode, parse
from tests.helpers import wait_until_sync
from tests.station.fixtures import StationProcess, send_udp

OPENING = [
    "pre;FightLoaded;",
    "at1;KIM;KIM Minsu;KOR;at2;DOE;John DOE;USA;",
    "mch;101;Round of 16;MEN -80kg;;#0000ff;#ffffff;#ff0000;#ffffff;9001;Senior;3;120;cntDown;",
    "rnd;1;",
    "clk;2:00;",
    "sc1;2;sc2;1;",
    "s11;2;s21;1;s12;0;s22;0;s13;0;s23;0;",
    "clk;1:40;stop;",
]
#: tkStrike back: it re-sends its totals (blue 2 + 3 points it saw while we were off).
MANUAL_EVENTS = ("SELECT d.source, e.code FROM events e JOIN datagrams d ON d.id = "
                 "e.datagram_id WHERE d.source LIKE 'manual:%' AND e.match_id = "
                 "(SELECT max(id) FROM matches) ORDER BY e.id")
RESUMED = ["sc1;5;sc2;1;", "s11;5;s21;1;s12;0;s22;0;s13;0;s23;0;", "wg1;0;wg2;0;"]


def datagrams(lines: list[str]) -> list[bytes]:
    return encode([m for line in lines for m in parse(line.encode())])


def post(station: StationProcess, path: str, body: Any = None, **kw: Any) -> httpx.Response:
    return httpx.post(station.url + path, json=body, timeout=10.0, **kw)


def state(station: StationProcess) -> dict[str, Any]:
    body: dict[str, Any] = station.get("/api/v1/state").json()
    return body


def stored(station: StationProcess, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    db = _db(station.data_dir)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(sql, params).fetchall()


def _db(data_dir: Path) -> Path:
    found = [p for p in data_dir.iterdir() if p.suffix in (".db", ".sqlite3")]
    assert found, list(data_dir.iterdir())
    return found[0]


def test_feed_fails_operator_scores_undoes_and_the_feed_takes_over(
        court: StationProcess) -> None:
    send_udp(court.udp_port, datagrams(OPENING))
    wait_until_sync(lambda: state(court)["clock"]["seconds"] == 100, 10, "the opening")
    assert state(court)["scores"] == [2, 1]

    # The feed is live (a datagram just now): refused without force.
    live = post(court, "/api/v1/manual", {"action": "points", "side": "blue", "value": 3})
    assert live.status_code == 409 and "live" in live.json()["detail"]

    # The feed stops; the operator scores once it is no longer live.
    wait_until_sync(lambda: not court.get("/api/v1/manual").json()["feed"]["live"], 10,
                    "the feed no longer live")
    answer = post(court, "/api/v1/manual", {"action": "points", "side": "blue", "value": 3})
    assert answer.status_code == 200, answer.text
    entry = answer.json()["entry"]
    assert entry["raw"] == "pt1;3;sc1;5;s11;5" and entry["undone_at"] is None
    assert answer.json()["state"]["scores"] == [5, 1]
    penalty = post(court, "/api/v1/manual", {"action": "penalty", "side": "blue"})
    assert penalty.status_code == 200, penalty.text
    assert state(court)["scores"] == [5, 2] and state(court)["warnings"] == [1, 0]
    winner = post(court, "/api/v1/manual", {"action": "winner", "color": "BLUE"})
    assert winner.status_code == 200 and state(court)["winner"]["color"] == "BLUE"

    # Stored like the court's datagrams, with the source manual:<entry id>.
    rows = stored(court, MANUAL_EVENTS)
    assert [code for _, code in rows] == ["pt1", "sc1", "s11", "wg1", "sc2", "s21", "win"]
    assert rows[0][0] == f"manual:{entry['id']}"
    events = court.get("/api/v1/events", kind="point").json()
    events = events["events"] if isinstance(events, dict) else events
    assert [e["source"] for e in events][:1] == [f"manual:{entry['id']}"]
    assert stored(court, "SELECT winner FROM matches ORDER BY id DESC LIMIT 1") == [("BLUE",)]

    # Undo the winner: no message could clear it; the revert does, and the match row too.
    before_winner = state(court)
    undone = post(court, "/api/v1/manual/undo")
    assert undone.status_code == 200, undone.text
    assert undone.json()["entry"]["id"] == winner.json()["entry"]["id"]
    after = state(court)
    assert after["winner"] is None
    assert {k: v for k, v in after.items() if k != "winner"} == \
        {k: v for k, v in before_winner.items() if k != "winner"}
    assert stored(court, "SELECT winner, ended_at FROM matches ORDER BY id DESC LIMIT 1") \
        == [(None, None)]
    # Undo the penalty: exactly the state after the points.
    assert post(court, "/api/v1/manual/undo").status_code == 200
    assert state(court)["scores"] == [5, 1] and state(court)["warnings"] == [0, 0]
    listing = court.get("/api/v1/manual").json()
    assert [e["undone_at"] is not None for e in listing["entries"]] == [True, True, False]
    assert listing["undoable"] == entry["id"]
    # The archive keeps the undone entries' events.
    assert len(stored(court, MANUAL_EVENTS)) == 7

    # The feed comes back: its totals take over, the console sees what differed.
    send_udp(court.udp_port, datagrams(["sc1;6;sc2;1;"]))
    wait_until_sync(lambda: state(court)["scores"] == [6, 1], 10, "the feed's score")
    merge = court.get("/api/v1/manual").json()["merge"]
    assert merge is not None
    assert {"field": "scores", "manual": [5, 1], "feed": [6, 1]} in merge["differences"]
    send_udp(court.udp_port, datagrams(RESUMED))
    wait_until_sync(lambda: state(court)["scores"] == [5, 1], 10, "the feed's re-sent score")
    assert court.get("/api/v1/manual").json()["merge"]["differences"] == []


def test_a_restart_keeps_undone_entries_out(court: StationProcess) -> None:
    """After a restart the state is rebuilt without the undone entries."""
    wait_until_sync(lambda: not court.get("/api/v1/manual").json()["feed"]["live"], 10,
                    "the feed no longer live")
    made = post(court, "/api/v1/manual", {"action": "round", "value": 2})
    assert made.status_code == 200, made.text
    assert post(court, "/api/v1/manual/undo").status_code == 200
    expected = state(court)
    assert expected["round"] == 1
    court.stop()
    court.start(timeout=60.0)  # a loaded machine: the second start may be slow
    wait_until_sync(lambda: state(court)["round"] == 1, 10, "the round without the undo")
    assert state(court)["scores"] == expected["scores"]


@pytest.mark.parametrize("body", [
    None, [], "x", {"action": "points"}, {"action": "points", "side": "blue", "value": 99},
    {"action": "nope"}, {"action": "points", "side": "green", "value": 1},
    {"action": "clock", "seconds": -1}, {"action": "winner", "color": "BLUE", "decision": 3},
    {"action": "round", "value": 2, "extra": 1}, {"action": "points", "side": "red",
                                                    "value": -5},
])
def test_bad_bodies_are_clear_errors(court: StationProcess, body: Any) -> None:
    answer = post(court, "/api/v1/manual", body)
    assert answer.status_code in (409, 422), answer.text
    assert set(answer.json()) >= {"error", "detail"}
