"""``ctx.store``: what a part or plugin gets of the station's database (StoreAccess).

Real SQLite files; the component below uses only the Context, as a plugin would.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from restrike.assembly import assemble
from restrike.errors import StoreError
from restrike.kernel import Context, Health, Stage, StoreAccess
from restrike.store.owned import apply_owned_steps
from tests.station.fixtures import station_settings

STEPS = (
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)",
    "CREATE INDEX notes_text ON notes(text)",
)


class Notes:
    """A plugin-like component keeping its own table through ``ctx.store``."""

    name = "notes"

    def __init__(self) -> None:
        self.store: StoreAccess | None = None
        self.version: int | None = None
        self.error: str | None = None

    async def start(self, ctx: Context) -> None:
        self.store = ctx.store
        try:
            self.version = await asyncio.wrap_future(ctx.store.migrate("notes", STEPS))
        except StoreError as err:
            self.error = str(err)

    async def stop(self, stage: Stage) -> None:
        return None

    def health(self) -> Health:
        return {"ok": self.error is None, "state": "running"}


async def test_a_part_keeps_its_own_tables_through_the_writer(tmp_path: Path) -> None:
    notes = Notes()
    parts = assemble(station_settings(tmp_path / "data"), serve_http=False, review=False,
                     optional=[notes], plugins=False, switch_interval=None)
    await parts.station.start()
    try:
        assert notes.version == 2 and notes.store is not None and notes.store.is_open
        added = await asyncio.wrap_future(notes.store.call(
            lambda conn: conn.execute("INSERT INTO notes(text) VALUES ('kick')").lastrowid))
        with notes.store.reader() as reader:
            assert reader.query("SELECT id, text FROM notes") == [(added, "kick")]
            with pytest.raises(StoreError):  # readers are read-only
                reader.query("INSERT INTO notes(text) VALUES ('no')")
        again = await asyncio.wrap_future(notes.store.migrate("notes", STEPS))
        assert again == 2
    finally:
        await parts.station.stop()
    with sqlite3.connect(tmp_path / "data" / "restrike.sqlite3") as conn:
        assert conn.execute("SELECT owner, version FROM owned_schema").fetchall() == [
            ("notes", 2)]
        assert conn.execute("SELECT text FROM notes").fetchall() == [("kick",)]


async def test_while_the_database_cannot_be_opened_the_store_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "restrike.sqlite3").mkdir()  # a folder where the database should be (even root)
    notes = Notes()
    parts = assemble(station_settings(data), serve_http=False, review=False,
                     optional=[notes], plugins=False, switch_interval=None)
    await parts.station.start()
    try:
        assert notes.store is not None and not notes.store.is_open
        assert notes.error is not None and "not open" in notes.error
        with pytest.raises(StoreError, match="not open"):
            notes.store.reader()
    finally:
        await parts.station.stop()


def test_owned_steps_run_once_in_order_and_only_forward() -> None:
    conn = sqlite3.connect(":memory:")
    assert apply_owned_steps(conn, "notes", STEPS[:1]) == 1
    assert apply_owned_steps(conn, "notes", STEPS) == 2  # only the new step runs
    assert apply_owned_steps(conn, "notes", STEPS) == 2
    assert apply_owned_steps(conn, "other", ()) == 0
    with pytest.raises(StoreError, match="newer version"):
        apply_owned_steps(conn, "notes", STEPS[:1])
    with pytest.raises(StoreError, match="step 3 failed"):
        apply_owned_steps(conn, "notes", (*STEPS, "CREATE TABLE a (x); CREATE TABLE b (y)"))
    with pytest.raises(StoreError, match="owner name"):
        apply_owned_steps(conn, "Bad Owner", STEPS)
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"notes", "notes_text", "owned_schema"} <= names and "a" not in names
