"""Tournament and named days: the API, and the recording folder that uses the day's name."""

from __future__ import annotations

import time
from pathlib import Path, PurePath

import httpx

from restrike.review.naming import day_label, match_folder
from restrike.review.recorder import ArchiveWriter
from restrike.store import Store
from restrike.store.component import DB_FILE
from tests.helpers import wait_until
from tests.station.fixtures import api, assembled  # noqa: F401 - fixtures


async def test_create_pick_and_name_days(api: httpx.AsyncClient) -> None:  # noqa: F811
    assert (await api.get("/api/v1/current")).json() == {"tournament": None, "day": None}
    r = await api.post("/api/v1/tournament", json={"name": "Paris Open 2026"})
    assert r.status_code == 200, r.text
    r = await api.post("/api/v1/day", json={"day": "2026-05-29", "name": "Day 2 – Finals"})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Day 2 – Finals"

    async def current() -> dict[str, object] | None:
        body: dict[str, object] = (await api.get("/api/v1/current")).json()
        day = body["day"]
        return body if isinstance(day, dict) and day["name"] == "Day 2 – Finals" else None

    body = await wait_until(current)
    assert body["tournament"] == {"id": 1, "name": "Paris Open 2026"}
    assert body["day"] == {"id": 2, "date": "2026-05-29", "name": "Day 2 – Finals"}
    # another tournament, then back: days and names are kept per tournament
    await api.post("/api/v1/tournament", json={"name": "Other Cup"})
    await api.post("/api/v1/tournament", json={"name": "Paris Open 2026"})
    await api.post("/api/v1/day", json={"day": "2026-05-29"})  # no name: the name stays
    body = await wait_until(current)
    assert body["tournament"] == {"id": 1, "name": "Paris Open 2026"}
    days = (await api.get("/api/v1/days")).json()["days"]
    assert {"date": "2026-05-29", "name": "Day 2 – Finals", "tournament": "Paris Open 2026"
            }.items() <= next(d for d in days if d["id"] == 2).items()
    bad = await api.post("/api/v1/day", json={"day": "2026-05-29", "name": "bad\u0000name"})
    assert bad.status_code == 422
    assert (await api.post("/api/v1/day", json={"day": "2026-05-29", "name": ""})
            ).status_code == 422


async def test_the_recording_folder_uses_the_day_name(tmp_path: Path) -> None:
    store = Store(tmp_path / DB_FILE)
    store.start()
    writer = ArchiveWriter(store, clock=time.time, report=lambda text: None)
    writer.start()
    try:
        store.set_tournament("Paris Open 2026")
        store.set_day("2026-05-29", "Day 2 – Finals")
        store.call(lambda conn: None).result(timeout=30)  # both applied
        await writer.attach(time.time())
        tournament, day = await writer.current_names(time.time())
    finally:
        await writer.close()
        store.close()
    assert (tournament, day) == ("Paris Open 2026", "2026-05-29 Day 2 – Finals")
    assert writer.day == "2026-05-29"  # rows stay filed under the date
    folder = match_folder(PurePath("/rec"), str(tournament), day)
    assert folder.parts[-2:] == ("Paris Open 2026", "2026-05-29 Day 2 – Finals")
    assert day_label("2026-05-30") == "2026-05-30"
