"""The summaries the station keeps up to date, commit by commit, are the figures a
from-scratch recomputation over the stored events gives — and those match what the
simulator played (its own record of each match).

Random tournaments from the simulator's generator (with a match loaded twice, an
unfinished match, clock corrections, cancelled challenges and a referee's score
correction) are parsed and written to a real SQLite store in random slices; after
each slice the real `Updater` folds what was committed (sometimes a fresh updater,
as after a restart, which must rebuild its folds from the store).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from restrike.analytics import group_partial, group_report
from restrike.analytics.days import day_partials
from restrike.analytics.fold import fold_match
from restrike.analytics.queries import match_body, tournament_body
from restrike.analytics.tables import STEPS, match_events, match_refs
from restrike.analytics.updater import Updater
from restrike.protocol import parse
from restrike.store import Received, Store
from tests.analytics.access import Access
from tests.analytics.feed import Feed, build_feed


async def _feed_in_slices(path: Path, feed: Feed, cuts: list[float], restarts: list[bool]
                          ) -> list[dict[str, Any]]:
    store = Store(path)
    store.start()
    access = Access(store, path)
    published: list[dict[str, Any]] = []
    try:
        await asyncio.wrap_future(access.migrate("analytics", STEPS))
        updater = Updater(access, interval=0, backfill=False, publish=published.append)
        total = len(feed.datagrams)
        ends = sorted({int(c * total) for c in cuts} | {total})
        start, last_event = 0, 0
        for index, end in enumerate(ends):
            for seq in range(start, end):
                t, data = feed.datagrams[seq]
                store.submit(Received(seq + 1, t, "127.0.0.1:50000", data, parse(data)))
            start = end
            await asyncio.wrap_future(store.call(lambda conn: None))  # committed
            with store.reader() as reader:
                rows = reader.query("SELECT DISTINCT match_id, max(id) FROM events WHERE id > ? "
                                    "AND match_id IS NOT NULL GROUP BY match_id", (last_event,))
            last_event = max([last_event, *(r[1] for r in rows)])
            updater.mark({r[0] for r in rows})
            await updater.update()
            await updater.refresh_days()
            if index < len(restarts) and restarts[index]:  # as after a restart
                updater.close()
                updater = Updater(access, interval=0, backfill=False,
                                  publish=published.append)
        updater.close()
    finally:
        store.close(timeout=30)
    return published


def _check_stored_equals_recomputed(conn: sqlite3.Connection) -> None:
    ids = [r[0] for r in conn.execute("SELECT id FROM matches ORDER BY id")]
    stored = {r[0]: r[1:] for r in conn.execute(
        "SELECT match_id, summary, timeline, finished FROM analytics_match")}
    assert set(stored) == set(ids)
    fresh = {}
    for match_id in ids:
        fold = fold_match(match_events(conn, match_id))
        summary, timeline, finished = stored[match_id]
        assert json.loads(summary) == fold.summary()
        assert json.loads(timeline) == json.loads(json.dumps(fold.timeline()))
        assert finished == (fold.winner is not None)
        fresh[match_id] = fold.summary()
        sides = conn.execute("SELECT side, finished, won, points_for, points_against, "
                             "athlete_id FROM analytics_side WHERE match_id = ? ORDER BY side",
                             (match_id,)).fetchall()
        athletes = conn.execute("SELECT blue_athlete_id, red_athlete_id FROM matches "
                                "WHERE id = ?", (match_id,)).fetchone()
        s = fold.summary()["sides"]
        assert sides == [(n, int(fold.winner is not None), int(fold.winner == n),
                          s[n]["score"], s[3 - n]["score"], athletes[n - 1]) for n in (1, 2)]
    refs = match_refs(conn, "1", ())
    for day_id, partial in conn.execute("SELECT day_id, partial FROM analytics_day"):
        day = [(ref, fresh[ref.id]) for ref, _s, _c in refs if ref.day_id == day_id]
        assert json.loads(partial) == json.loads(json.dumps(group_partial(day)))
    kept = day_partials(conn, sorted({ref.day_id or 0 for ref, _s, _c in refs}))
    assert not any(made for _d, _sig, _p, made in kept)  # the stored partials are current
    body = tournament_body(conn, refs[0][0].tournament_id or 0)
    assert body is not None
    expected = group_report([(ref, fresh[ref.id]) for ref, _s, _c in refs])
    assert {k: v for k, v in body.items() if k not in ("tournament", "days")} == expected


def _check_against_the_simulator(conn: sqlite3.Connection, feed: Feed) -> None:
    rows = conn.execute("SELECT id, number FROM matches ORDER BY id").fetchall()
    last_of = {number: match_id for match_id, number in rows}  # a reload: its last load
    for truth, exact in zip(feed.summaries, feed.exact, strict=True):
        body = match_body(conn, last_of[truth.number])
        assert body is not None
        blue, red = body["athletes"]
        if not exact:
            continue
        assert (blue["score"], red["score"]) == truth.scores
        assert (tuple(blue["round_scores"][:3]), tuple(red["round_scores"][:3])) == \
            truth.round_scores
        assert (blue["gam_jeoms"], red["gam_jeoms"]) == truth.warnings
        assert body["winner"] == {1: "BLUE", 2: "RED"}.get(truth.winner or 0)
        # A decision the sender cut short (tkStrike counts characters) is unknown, never
        # a fragment such as "PT" of "PTF".
        cut = conn.execute("SELECT truncated FROM events WHERE match_id = ? AND kind = "
                           "'winner_shown' ORDER BY id DESC LIMIT 1",
                           (last_of[truth.number],)).fetchone()
        assert body["decision"] == (None if cut and cut[0] else truth.decision)
        for side, figures in ((1, blue), (2, red)):
            points = Counter(c.reason for c in truth.ledger if c.athlete == side)
            counts = [figures["techniques"][k]["count"] for k in
                      ("punch", "body", "head", "technical_body", "technical_head")]
            assert counts == [points[f"point {n}"] for n in range(1, 6)]
            assert figures["gam_jeom_points"] == points["gam-jeom"]
            mine = [c for c in truth.challenges if c.by == side]
            assert figures["challenges"]["made"] == sum(c.decision != "cancelled" for c in mine)
            assert figures["challenges"]["won"] == sum(c.outcome == "won" for c in mine)
            assert figures["challenges"]["lost"] == sum(c.outcome == "lost" for c in mine)
    refs = match_refs(conn, "1", ())
    body = tournament_body(conn, refs[0][0].tournament_id or 0)
    assert body is not None
    assert body["matches_planned"] == len(feed.summaries)
    assert body["matches_completed"] == len(feed.summaries) - feed.unfinished


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(1, 100_000), matches=st.integers(1, 3), reload=st.booleans(),
       unfinished=st.booleans(), extras=st.booleans(), correction=st.booleans(),
       cuts=st.lists(st.floats(0, 1), max_size=6), restarts=st.lists(st.booleans(),
                                                                      max_size=6))
def test_incremental_summaries_equal_a_full_recomputation(
        tmp_path_factory: Any, seed: int, matches: int, reload: bool, unfinished: bool,
        extras: bool, correction: bool, cuts: list[float], restarts: list[bool]) -> None:
    feed = build_feed(seed, matches, reload=reload, unfinished=unfinished, extras=extras,
                      correction=correction)
    path = tmp_path_factory.mktemp("incremental") / "restrike.sqlite3"
    published = asyncio.run(_feed_in_slices(path, feed, cuts, restarts))
    assert published and published[-1]["match"]["id"] >= 1  # the live match was pushed
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        _check_stored_equals_recomputed(conn)
        _check_against_the_simulator(conn, feed)
