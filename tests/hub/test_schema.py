"""The hub's database across versions: a database an older hub made is migrated at start
(its athletes reach the new ``people`` table with the ids the hub computes), one a newer
hub made is refused with a message saying so (exit 2); a station whose hub is older than
its upload route is told to upgrade the hub."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from restrike.errors import HubError
from restrike.hub.client import HubClient
from restrike.hub.server.people import athlete_id, fill_names
from restrike.hub.server.schema import STEPS, migrate
from tests.hub.conftest import HubProcess
from tests.peers.postgres import PostgresCluster

pytestmark = [pytest.mark.peers, pytest.mark.timeout(120)]

#: The schema of the hub before the analytics caches (the last version released before).
OLDER = 18


def test_an_older_hubs_database_is_migrated(postgres: PostgresCluster) -> None:
    dsn = postgres.create_database()
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TABLE hub_schema (version int NOT NULL)")
        for sql in STEPS[:OLDER]:
            conn.execute(sql)
        conn.execute("INSERT INTO hub_schema VALUES (%s)", (OLDER,))
        conn.execute("INSERT INTO athletes VALUES (1, 1, 'PEÑA', 'PEÑA Ana', 'MEX'), "
                     "(2, 1, 'PEÑA', 'PEÑA Ana', 'MEX'), (2, 2, 'KIM', 'KIM Minsu', 'KOR')")
        conn.execute("INSERT INTO matches (sid, id, day_id, blue_athlete_id, red_athlete_id, "
                     "loaded_at) VALUES (2, 5, 1, 2, 1, 0)")
        conn.commit()
        assert migrate(conn) == len(STEPS)
        fill_names(conn)  # what the hub does at start
        people = conn.execute("SELECT id, long_name, country, folded FROM people "
                              "ORDER BY long_name").fetchall()
        sides = conn.execute("SELECT side, person FROM sides ORDER BY side").fetchall()
    assert people == [(athlete_id("KIM Minsu", "KOR"), "KIM Minsu", "KOR", "kim kim minsu kor"),
                      (athlete_id("PEÑA Ana", "MEX"), "PEÑA Ana", "MEX", "pena pena ana mex")]
    assert sides == [(1, athlete_id("KIM Minsu", "KOR")), (2, athlete_id("PEÑA Ana", "MEX"))]


def test_a_newer_hubs_database_is_refused(postgres: PostgresCluster) -> None:
    dsn = postgres.create_database()
    with psycopg.connect(dsn) as conn:
        migrate(conn)
        conn.execute("UPDATE hub_schema SET version = %s", (len(STEPS) + 3,))
    done = subprocess.run([sys.executable, "-m", "restrike", "hub", "--database", dsn],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"schema {len(STEPS) + 3}, this hub knows {len(STEPS)}" in done.stderr
    assert "a newer reStrike hub made it" in done.stderr


def test_a_hub_without_the_upload_route_says_upgrade_the_hub(guarded: HubProcess) -> None:
    client = HubClient(guarded.url + "/older", "good-token")
    try:
        with pytest.raises(HubError) as refused:
            client.post({"format": 1, "court": "Mat 1", "station": "0" * 32})
    finally:
        client.close()
    assert refused.value.status == 404 and "upgrade the hub" in str(refused.value)
