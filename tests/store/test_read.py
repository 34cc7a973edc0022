"""Reader queries: filters, ordering, paging, bad values, capture export, live rebuild."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from restrike.protocol import MatchState, parse, reduce, state_to_json
from restrike.protocol.capture import Datagram, read_capture
from restrike.store import Reader, Store
from tests.store.conftest import MATCH_1, MATCH_2, datagrams, feed

T0 = datetime(2026, 5, 2, 10, 0, 0).astimezone().timestamp()  # local 10:00


@pytest.fixture
def filled(db: Path) -> Path:
    store = Store(db, batch_rows=5)
    store.start()
    feed(store, datagrams(*MATCH_1), start=T0, step=1.0)
    feed(store, [b"pt1;abc\r\n"], start=T0 + 100, first_seq=50)
    feed(store, datagrams(*MATCH_2), start=T0 + 200, step=1.0, first_seq=60)
    store.close()
    return db


def test_events_are_newest_first_with_the_api_shape(filled: Path) -> None:
    with Reader(filled) as reader:
        events = reader.events(limit=5)
    assert [e["id"] for e in events] == sorted((e["id"] for e in events), reverse=True)
    assert set(events[0]) >= {"id", "received_at", "source", "code", "kind", "athlete", "args",
                              "raw", "error", "match"}
    assert events[0]["received_at"].endswith("Z") and len(events[0]["received_at"]) == 24
    assert events[0]["code"] == "pt2" and events[0]["args"] == {"technique": 1}


def test_filters(filled: Path) -> None:
    with Reader(filled) as reader:
        second, first = reader.matches()
        in_first = reader.events(match=first["id"], limit=1000)
        assert in_first and {e["match"] for e in in_first} == {first["id"]}
        points = reader.events(kind="point")
        assert [e["code"] for e in points] == ["pt2", "pt1"]
        assert [e["kind"] for e in reader.events(kind="invalid")] == ["invalid"]
        since = reader.events(since=datetime.fromtimestamp(T0 + 200).astimezone().isoformat(),
                              limit=1000)
        assert since and {e["match"] for e in since} == {second["id"]}
        utc = since[-1]["received_at"]
        assert reader.events(since=utc, limit=1000) == since
        both = reader.events(match=second["id"], kind="point")
        assert [e["code"] for e in both] == ["pt2"]


def test_paging_with_before_id(filled: Path) -> None:
    with Reader(filled) as reader:
        everything = reader.events(limit=1000)
        pages = []
        before = None
        while True:
            page = reader.events(limit=7, before_id=before)
            if not page:
                break
            pages.extend(page)
            before = page[-1]["id"]
        assert pages == everything


@pytest.mark.parametrize("kwargs, message", [
    ({"since": "yesterday"}, "since"),
    ({"since": "2026-13-01T00:00:00Z"}, "since"),
    ({"kind": "po int"}, "kind"),
    ({"limit": 0}, "limit"),
    ({"limit": 10_001}, "limit"),
    ({"match": -1}, "match"),
    ({"before_id": 0}, "before_id"),
])
def test_bad_filters_raise_value_error(filled: Path, kwargs: dict[str, object],
                                       message: str) -> None:
    with Reader(filled) as reader, pytest.raises(ValueError, match=message):
        reader.events(**kwargs)  # type: ignore[arg-type]


def test_bad_day_raises_value_error(filled: Path) -> None:
    with Reader(filled) as reader:
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            reader.matches(day="May 2")
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            list(reader.export_capture("2026-02-30"))


def test_export_round_trips_through_read_capture_and_parse(filled: Path) -> None:
    sent = [*datagrams(*MATCH_1), b"pt1;abc\r\n", *datagrams(*MATCH_2)]
    with Reader(filled) as reader:
        lines = list(reader.export_capture("2026-05-02"))
        assert list(reader.export_capture("2026-05-03")) == []
    entries = list(read_capture(line.encode() for line in lines))
    assert all(isinstance(e, Datagram) for e in entries)
    got = [e for e in entries if isinstance(e, Datagram)]
    assert [e.data for e in got] == sent
    assert got[0].t == pytest.approx(T0, abs=1e-5)
    assert [parse(e.data) for e in got] == [parse(d) for d in sent]


def test_current_match_datagrams_rebuild_the_live_state(filled: Path) -> None:
    with Reader(filled) as reader:
        rebuilt = list(reader.current_match_datagrams())
    assert rebuilt[0][1].startswith(b"pre;FightLoaded")
    assert [d for _, d in rebuilt] == datagrams(*MATCH_2)
    state = MatchState()
    for t, data in rebuilt:
        for msg in parse(data):
            state = reduce(state, msg, t)
    expected = MatchState()
    for i, data in enumerate(datagrams(*MATCH_2)):
        for msg in parse(data):
            expected = reduce(expected, msg, T0 + 200 + i)
    assert state_to_json(state) == state_to_json(expected)


def test_counts(filled: Path) -> None:
    with Reader(filled) as reader:
        counts = reader.counts()
    assert counts["datagrams"] == len(datagrams(*MATCH_1)) + 1 + len(datagrams(*MATCH_2))
    assert counts["invalid"] == 1 and counts["unknown"] == 0
    assert counts["matches"] == 2 and counts["athletes"] == 3
    assert counts["days"] == 1 and counts["tournaments"] == 1
