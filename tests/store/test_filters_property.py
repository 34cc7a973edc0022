"""Reader filters agree with a plain Python filter over all events (hypothesis)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from restrike.store import Reader, Store
from restrike.store._rows import iso
from tests.store.conftest import received

PIECES = [b"pre;FightLoaded\r\n", b"pt1;3\r\n", b"pt2;1\r\n", b"clk;1:00\r\n", b"bad;;\r\n",
          b"pt1;x\r\n", b"sc1;1;sc2;0\r\n", b"win;RED\r\n"]
T0 = 1_780_000_000.0


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=st.lists(st.integers(0, len(PIECES) - 1), min_size=1, max_size=60),
    kind=st.sampled_from([None, "point", "clock", "invalid", "unknown", "score"]),
    match=st.sampled_from([None, 1, 2, 3]),
    since_index=st.one_of(st.none(), st.integers(0, 70)),
    limit=st.integers(1, 30),
    before=st.one_of(st.none(), st.integers(1, 120)),
)
def test_filters_match_a_brute_force_model(picks: list[int], kind: str | None,
                                           match: int | None, since_index: int | None,
                                           limit: int, before: int | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.db"
        store = Store(path)
        store.start()
        for i, p in enumerate(picks):
            store.submit(received(i, PIECES[p], T0 + i * 0.25))
        store.close()
        since = iso(T0 + since_index * 0.25) if since_index is not None else None
        with Reader(path) as reader:
            everything = reader.events(limit=10_000)
            got = reader.events(kind=kind, match=match, since=since, limit=limit,
                                before_id=before)

    def keep(e: dict[str, Any]) -> bool:
        return ((kind is None or e["kind"] == kind) and (match is None or e["match"] == match)
                and (since is None or e["received_at"] >= since)
                and (before is None or e["id"] < before))

    assert got == [e for e in everything if keep(e)][:limit]
