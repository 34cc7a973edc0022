"""How the hub stores uploads: exactly once on (station, id) whatever is sent again, a hub
that holds less than a batch follows answering where it is, and a court's catch-up through
the link's own Uploader (reading ahead while the hub stores) arriving whole and in order.
Against the real hub process on a real PostgreSQL (the session's ``guarded`` hub)."""

from __future__ import annotations

import base64
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from restrike.hub.client import HubClient
from restrike.hub.server.app import SHARED_BATCH
from restrike.hub.uploader import Uploader
from restrike.protocol import parse
from restrike.store import Received, Store
from tests.hub.conftest import HubProcess, upload
from tests.station.fixtures import match_datagrams

pytestmark = [pytest.mark.peers, pytest.mark.timeout(300)]


def datagram(n: int) -> list[Any]:
    return [n, 1000.0 + n, "10.0.0.9:6000", base64.b64encode(b"pt1;3;").decode(), None, n]


def event(n: int, of: int) -> list[Any]:
    return [n, of, None, 0, 1000.0 + of, "pt1", "point", 1, '{"points": 3}', "pt1;3", None,
            False]


def held(hub: HubProcess, station: str) -> tuple[list[int], list[int]]:
    """The datagram and event ids the hub holds of ``station``."""
    with psycopg.connect(hub.database) as conn:
        sid = conn.execute("SELECT sid FROM stations WHERE station = %s", (station,)
                           ).fetchone()
        if sid is None:
            return [], []
        datagrams = [r[0] for r in conn.execute(
            "SELECT id FROM datagrams WHERE sid = %s ORDER BY id", sid)]
        events = [r[0] for r in conn.execute(
            "SELECT id FROM events WHERE sid = %s ORDER BY id", sid)]
    return datagrams, events


def test_rows_sent_again_are_held_once(guarded: HubProcess) -> None:
    station = uuid.uuid4().hex
    rows: dict[str, Any] = {"datagrams": [datagram(n) for n in (1, 2, 3)],
            "events": [event(1, 1), event(2, 3)]}
    first = upload(guarded, "Mat 1", station=station, after=0, **rows).json()
    assert (first["last_id"], first["last_event"], first["stored"]) == (3, 2, 3)
    again = upload(guarded, "Mat 1", station=station, after=0, **rows).json()  # a retry
    assert (again["last_id"], again["last_event"], again["stored"]) == (3, 2, 0)
    overlapping = upload(guarded, "Mat 1", station=station, after=1,
                         datagrams=[datagram(n) for n in (2, 3, 4, 5)],
                         events=[event(2, 3), event(3, 5)]).json()
    assert (overlapping["last_id"], overlapping["last_event"], overlapping["stored"]) == \
        (5, 3, 2)
    assert held(guarded, station) == ([1, 2, 3, 4, 5], [1, 2, 3])


def test_a_hub_holding_less_than_the_batch_follows_stores_nothing(
        guarded: HubProcess) -> None:
    """A hub restored from an older backup: the station's batch starts after row 10, the
    hub holds up to 2 — it answers 2 and keeps no gap."""
    station = uuid.uuid4().hex
    upload(guarded, "Mat 2", station=station, after=0,
           datagrams=[datagram(1), datagram(2)])
    reply = upload(guarded, "Mat 2", station=station, after=10,
                   datagrams=[datagram(11), datagram(12)], events=[event(5, 11)]).json()
    assert (reply["last_id"], reply["stored"]) == (2, 0)
    assert held(guarded, station) == ([1, 2], [])


def test_a_court_catching_up_while_others_are_live_is_asked_for_smaller_uploads(
        guarded: HubProcess) -> None:
    upload(guarded, "Mat 3", after=0, datagrams=[datagram(1)])
    reply = upload(guarded, "Mat 4", after=0, datagrams=[datagram(1)]).json()
    assert reply["batch_rows"] == SHARED_BATCH


def test_a_catch_up_through_the_uploader_arrives_whole_and_in_order(
        guarded: HubProcess, tmp_path: Path) -> None:
    """A store of 12 matches uploaded 40 datagrams at a time (each next batch read while the
    hub stores the one before): the hub holds the store's rows, each once."""
    match = match_datagrams()
    store = Store(tmp_path / "court.sqlite3", batch_rows=200, batch_ms=2.0)
    store.start()
    try:
        total = 12 * len(match)
        for n in range(total):
            data = match[n % len(match)]
            store.submit(Received(n, time.time(), "10.0.0.9:6000", data, parse(data)))
        deadline = time.monotonic() + 60
        while store.stats().stored_datagrams < total and time.monotonic() < deadline:
            time.sleep(0.05)
        reader = store.reader()
        station = uuid.uuid4().hex
        client = HubClient(guarded.url, "good-token")
        uploader = Uploader(client, reader.call,
                            court="Mat 5", station=station, batch_rows=40)
        try:
            uploads = 0
            while True:
                batch, _moved = uploader.upload(None)
                uploads += 1
                if not uploader.more(batch):
                    break
        finally:
            uploader.close()
            client.close()
        ids = reader.query("SELECT id FROM datagrams ORDER BY id")
        events = reader.query("SELECT id FROM events ORDER BY id")
        matches = reader.query("SELECT id, ended_at, winner FROM matches ORDER BY id")
        reader.close()
    finally:
        store.close()
    assert uploads >= total // 40
    assert held(guarded, station) == ([r[0] for r in ids], [r[0] for r in events])
    assert uploader.cursor == ids[-1][0]
    with psycopg.connect(guarded.database) as conn:  # each match as it ended, though its
        at_hub = conn.execute(  # unchanged rows were not sent again
            "SELECT m.id, m.ended_at, m.winner FROM matches m JOIN stations s USING (sid) "
            "WHERE s.station = %s ORDER BY m.id", (station,)).fetchall()
    assert at_hub == matches and all(m[2] == "BLUE" for m in matches)


def test_an_athlete_is_one_person_with_its_newest_short_name(guarded: HubProcess) -> None:
    """The same athlete from two courts is one row of ``people``; a new short name is
    written, the same one again changes nothing."""
    long = f"RENAME {uuid.uuid4().hex[:8]}"
    stations = {"Mat 10": uuid.uuid4().hex, "Mat 11": uuid.uuid4().hex}
    for court, short in (("Mat 10", "R. One"), ("Mat 11", "R. Two"), ("Mat 10", "R. Two")):
        answer = upload(guarded, court, station=stations[court],
                        athletes=[[7, short, long, "KOR"]])
        assert answer.status_code == 200, answer.text
        found = guarded.get("/api/v1/analytics/athletes", search=long)["athletes"]
        assert [(a["short_name"], a["long_name"]) for a in found] == [(short, long)]
