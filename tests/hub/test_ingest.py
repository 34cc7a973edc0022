"""How the hub stores uploads: exactly once on (station, id) whatever is sent again, a hub
that holds less than a batch follows answering where it is, and a court's catch-up through
the link's own Uploader (the next batch sent while the hub stores one) arriving whole and
in order, also when an upload among the overlapped ones fails.
Against the real hub process on a real PostgreSQL (the session's ``guarded`` hub)."""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from restrike.errors import HubError
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


@pytest.fixture(scope="module")
def court(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A court's store of 12 matches (480-odd datagrams), shared by the catch-ups."""
    match = match_datagrams()
    store = Store(tmp_path_factory.mktemp("court") / "court.sqlite3", batch_rows=200,
                  batch_ms=2.0)
    store.start()
    total = 12 * len(match)
    for n in range(total):
        data = match[n % len(match)]
        store.submit(Received(n, time.time(), "10.0.0.9:6000", data, parse(data)))
    deadline = time.monotonic() + 60
    while store.stats().stored_datagrams < total and time.monotonic() < deadline:
        time.sleep(0.05)
    yield store
    store.close()


def rows(store: Store, sql: str) -> list[Any]:
    """``sql``'s rows in the store (a row of one column as its value)."""
    reader = store.reader()
    try:
        return [r[0] if len(r) == 1 else tuple(r) for r in reader.query(sql)]
    finally:
        reader.close()


def catch_up(store: Store, client: HubClient, court_name: str) -> tuple[Uploader, int]:
    """Upload the whole store 40 datagrams at a time as the link does (a failed upload
    that reached no hub is tried again); the uploader and how many uploads it took."""
    reader = store.reader()
    uploader = Uploader(client, reader.call, court=court_name, station=uuid.uuid4().hex,
                        batch_rows=40)
    uploads = 0
    try:
        while True:
            try:
                batch, _moved = uploader.upload(None)
            except HubError as err:
                if err.status is not None:  # refused: trying again changes nothing
                    raise
                continue
            uploads += 1
            if not uploader.more(batch):
                return uploader, uploads
    finally:
        uploader.close()
        client.close()
        reader.close()


def test_a_catch_up_through_the_uploader_arrives_whole_and_in_order(
        guarded: HubProcess, court: Store) -> None:
    """The store uploaded 40 datagrams at a time (each next batch sent while the hub stores
    the one before, the one after read meanwhile): the hub holds the store's rows, each
    once, and each match as it ended."""
    uploader, uploads = catch_up(court, HubClient(guarded.url, "good-token"), "Mat 5")
    datagrams = rows(court, "SELECT id FROM datagrams ORDER BY id")
    events = rows(court, "SELECT id FROM events ORDER BY id")
    matches = rows(court, "SELECT id, ended_at, winner FROM matches ORDER BY id")
    assert uploads >= len(datagrams) // 40
    assert held(guarded, uploader.station) == (datagrams, events)
    assert uploader.cursor == datagrams[-1]
    with psycopg.connect(guarded.database) as conn:  # each match as it ended, though its
        at_hub = conn.execute(  # unchanged rows were not sent again
            "SELECT m.id, m.ended_at, m.winner FROM matches m JOIN stations s USING (sid) "
            "WHERE s.station = %s ORDER BY m.id", (uploader.station,)).fetchall()
    assert at_hub == matches and all(m[2] == "BLUE" for m in matches)


class Failing(HubClient):
    """Counts uploads over both of an uploader's connections and fails the ``fail``-th:
    before it is written (the hub never sees it) or, ``lost``, after the hub answered
    (it was stored, the station does not know). Notes the most uploads on their way."""

    def __init__(self, url: str, plan: dict[str, Any]) -> None:
        super().__init__(url, "good-token")
        self.plan = plan
        self.number = 0

    def twin(self) -> Failing:
        return Failing(self.url, self.plan)

    def send(self, data: bytes) -> None:
        with self.plan["lock"]:
            self.plan["sent"] += 1
            self.number = self.plan["sent"]
            failing = self.number == self.plan["fail"] and not self.plan["lost"]
            if not failing:
                self.plan["on_way"] += 1
                self.plan["most"] = max(self.plan["most"], self.plan["on_way"])
        if failing:
            raise HubError("the network went away before the upload")
        super().send(data)

    def answer(self) -> dict[str, Any]:
        try:
            reply = super().answer()
        finally:
            with self.plan["lock"]:
                self.plan["on_way"] -= 1
        if self.number == self.plan["fail"] and self.plan["lost"]:
            raise HubError("the network went away after the upload")
        return reply


@pytest.mark.parametrize("lost", [False, True], ids=["never-sent", "answer-lost"])
def test_a_failed_upload_among_overlapped_ones_loses_nothing_and_stores_nothing_twice(
        guarded: HubProcess, court: Store, lost: bool) -> None:
    """The 4th upload (the 3rd batch, sent while the 2nd is being stored) fails; the
    5th was on its way or follows: the hub ends up with every row of the store, once,
    in order, and the uploader at its last id."""
    plan: dict[str, Any] = {"lock": threading.Lock(), "sent": 0, "fail": 4, "lost": lost,
                            "on_way": 0, "most": 0}
    uploader, _uploads = catch_up(court, Failing(guarded.url, plan),
                                  f"Mat {12 + int(lost)}")
    datagrams = rows(court, "SELECT id FROM datagrams ORDER BY id")
    events = rows(court, "SELECT id FROM events ORDER BY id")
    assert plan["most"] == 2  # uploads did overlap
    assert plan["sent"] > len(datagrams) // 40 + 1  # the failed one was sent again
    assert held(guarded, uploader.station) == (datagrams, events)
    assert uploader.cursor == datagrams[-1]


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
