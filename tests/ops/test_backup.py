"""restrike backup / restore with real SQLite files, a feeder writing meanwhile."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
import time
import zipfile
from pathlib import Path

import pytest

from restrike.backup import BackupSources, backup_name, create_backup, to_prune
from restrike.backups import ScheduledBackups
from restrike.protocol import parse
from restrike.store import Received, Store
from restrike.store.component import DB_FILE
from tests.ops.conftest import fill, run_cli

POINT = b"pt1;3;"


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its checksum: "untouched" means equal trees."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_backup_while_a_feeder_writes_is_consistent(tmp_path: Path) -> None:
    data = tmp_path / "live"
    store = Store(data / DB_FILE, batch_rows=50)
    store.start()
    stop = threading.Event()
    sent = 0

    def feeder() -> None:
        nonlocal sent
        while not stop.is_set():
            store.submit(Received(sent, time.time(), "10.0.0.5:6000", POINT, parse(POINT)))
            sent += 1
            if sent % 200 == 0:
                time.sleep(0.001)  # let the writer commit in several transactions

    thread = threading.Thread(target=feeder, name="feeder")
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while (store.stats().stored_datagrams < 2000) and time.monotonic() < deadline:
            time.sleep(0.01)
        target = tmp_path / "b.zip"
        create_backup(BackupSources(data), target)
        stored_after = store.stats().stored_datagrams
    finally:
        stop.set()
        thread.join()
        store.close()
    restored = tmp_path / "restored"
    result = run_cli("restore", target, "--data-dir", restored)
    assert result.exit_code == 0, result.output
    db = restored / DB_FILE
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    (count, first, last), = rows(db, "SELECT count(*), min(seq), max(seq) FROM datagrams")
    assert isinstance(count, int)
    # a snapshot of committed transactions: a prefix of the feed, whole, with its events
    assert 2000 <= count <= stored_after < sent
    assert (first, last) == (0, count - 1)
    assert rows(db, "SELECT count(*) FROM events") == [(count,)]
    assert rows(db, "SELECT count(*) FROM events e LEFT JOIN datagrams d "
                    "ON d.id = e.datagram_id WHERE d.id IS NULL") == [(0,)]


def test_restore_gives_the_same_station_with_settings_token_and_clips(
        station_dir: Path, tmp_path: Path) -> None:
    settings = station_dir / "restrike.toml"
    settings.write_text('[udp]\nport = 6123\n', encoding="utf-8")
    (station_dir / "http-token").write_text("secret-token\n", encoding="utf-8")
    clip = station_dir / "recordings" / "2026-05-28" / "clip-1.mkv"
    clip.parent.mkdir(parents=True)
    clip.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 100)
    with contextlib.closing(sqlite3.connect(station_dir / DB_FILE)) as conn, conn:
        conn.execute("INSERT INTO clips (review, run, day, match, requested_by, source, "
                     "requested_at, path) VALUES (1, 'r', '2026-05-28', '101', 'BLUE', 'udp', "
                     "1780000100.0, ?)", (str(clip),))
    result = run_cli("backup", "--data-dir", station_dir, "--to", tmp_path / "b.zip",
                     "--with-clips")
    assert result.exit_code == 0, result.output
    assert "2 matches" in result.output and "1 clips" in result.output
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        index = json.loads(z.read("clips.json"))
    assert index[0]["path"] == str(clip) and index[0]["exists"] is True

    restored = tmp_path / "new" / "data"
    result = run_cli("restore", tmp_path / "b.zip", "--data-dir", restored)
    assert result.exit_code == 0, result.output
    match_sql = "SELECT number, winner, decision, result FROM matches ORDER BY id"
    assert rows(restored / DB_FILE, match_sql) == rows(station_dir / DB_FILE, match_sql)
    assert (restored / "restrike.toml").read_text(encoding="utf-8") == settings.read_text(
        encoding="utf-8")
    assert (restored / "http-token").read_text(encoding="utf-8") == "secret-token\n"
    moved = restored / "recordings" / "2026-05-28" / "clip-1.mkv"
    assert moved.read_bytes() == clip.read_bytes()
    assert rows(restored / DB_FILE, "SELECT path FROM clips") == [(str(moved),)]


def test_restore_refuses_a_folder_that_is_not_empty_and_dry_run_changes_nothing(
        station_dir: Path, tmp_path: Path) -> None:
    assert run_cli("backup", "--data-dir", station_dir, "--to", tmp_path / "b.zip"
                   ).exit_code == 0
    target = fill(tmp_path / "other", start=1_790_000_000.0)
    before = tree(target)
    refused = run_cli("restore", tmp_path / "b.zip", "--data-dir", target)
    assert refused.exit_code == 1
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    dry = run_cli("restore", tmp_path / "b.zip", "--data-dir", target, "--force", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"replace {target / DB_FILE}" in dry.stdout and "nothing was changed" in dry.stdout
    assert tree(target) == before
    assert not list(tmp_path.glob("**/.restrike-restore-*"))  # staging cleaned up
    forced = run_cli("restore", tmp_path / "b.zip", "--data-dir", target, "--force")
    assert forced.exit_code == 0, forced.output
    sql = "SELECT received_at FROM datagrams ORDER BY id"
    assert rows(target / DB_FILE, sql) == rows(station_dir / DB_FILE, sql)


def test_restore_force_refuses_a_database_in_use(station_dir: Path, tmp_path: Path) -> None:
    assert run_cli("backup", "--data-dir", station_dir, "--to", tmp_path / "b.zip"
                   ).exit_code == 0
    live = tmp_path / "live"
    store = Store(live / DB_FILE)
    store.start()
    try:
        before = tree(live)
        result = run_cli("restore", tmp_path / "b.zip", "--data-dir", live, "--force")
        assert result.exit_code == 2
        assert "in use" in result.stderr and "nothing was changed" in result.stderr
        assert tree(live) == before
    finally:
        store.close()


def _damaged(kind: str, good: Path, path: Path) -> Path:
    if kind == "random bytes":
        path.write_bytes(bytes(range(256)) * 20)
    elif kind == "truncated":
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "foreign zip":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("readme.txt", "not ours")
    elif kind == "flipped database":
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
            for info in src.infolist():
                body = src.read(info)
                if info.filename == DB_FILE:
                    body = body[:5000] + bytes([body[5000] ^ 0xFF]) + body[5001:]
                dst.writestr(info, body)
    elif kind == "escaping member":
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
            for info in src.infolist():
                body = src.read(info)
                if info.filename == "manifest.json":
                    body = body.replace(b'"target": "restrike.sqlite3"',
                                        b'"target": "../escaped.sqlite3"')
                dst.writestr(info, body)
    return path


@pytest.mark.parametrize("kind", ["random bytes", "truncated", "foreign zip",
                                  "flipped database", "escaping member"])
def test_a_damaged_or_foreign_file_exits_2_and_leaves_the_target_untouched(
        kind: str, station_dir: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.zip"
    assert run_cli("backup", "--data-dir", station_dir, "--to", good).exit_code == 0
    bad = _damaged(kind, good, tmp_path / "bad.zip")
    existing = fill(tmp_path / "existing", start=1_790_000_000.0)
    before = tree(existing)
    for target, extra in ((existing, ["--force"]), (tmp_path / "fresh", [])):
        result = run_cli("restore", bad, "--data-dir", target, *extra)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"error: {bad}: ")
        assert "nothing was changed" in result.stderr
    assert tree(existing) == before
    assert not (tmp_path / "fresh").exists()
    assert not (tmp_path / "escaped.sqlite3").exists()


def test_backup_without_a_database_exits_2(tmp_path: Path) -> None:
    result = run_cli("backup", "--data-dir", tmp_path / "empty", "--to", tmp_path / "b.zip")
    assert result.exit_code == 2 and "no database" in result.stderr
    assert not (tmp_path / "b.zip").exists()


def test_retention_keeps_the_newest() -> None:
    names = [backup_name(1_780_000_000 + i * 3600) for i in range(5)] + ["notes.txt"]
    assert to_prune(names, 2) == sorted(names[:3])
    assert to_prune(names, 10) == []


def test_scheduled_backups_prune_to_keep(station_dir: Path, tmp_path: Path) -> None:
    plugin = ScheduledBackups()
    plugin.options = plugin.settings(keep=2)
    plugin.sources = BackupSources(station_dir)
    plugin.folder = tmp_path / "backups"
    plugin.folder.mkdir()
    made = []
    for hour in range(3):
        old = plugin.folder / backup_name(1_700_000_000 + hour * 3600)
        old.write_bytes(b"an older backup")
        made.append(old)
    newest = plugin.backup_now()
    assert newest is not None and newest.exists()
    assert sorted(p.name for p in plugin.folder.iterdir()) == sorted([made[-1].name,
                                                                     newest.name])
    assert plugin.health()["ok"] is True and plugin.health()["last"] == str(newest)


async def test_the_station_backs_up_on_schedule_while_the_feed_runs(tmp_path: Path) -> None:
    from restrike.assembly import assemble
    from tests.helpers import wait_until
    from tests.station.fixtures import station_settings

    others = ["analysis", "analytics", "hub", "license"]  # only the backups plugin here
    settings = station_settings(tmp_path / "data", **{
        "plugins.disabled": others, "backups.every_hours": 0.0003, "backups.keep": 2})
    parts = assemble(settings, serve_http=False, review=False)
    await parts.station.start()
    try:
        store = parts.store.store
        assert store is not None
        for seq in range(50):
            store.submit(Received(seq, time.time(), "10.0.0.5:6000", POINT, parse(POINT)))
        folder = tmp_path / "data" / "backups"

        def three_made() -> dict[str, object] | None:
            health: dict[str, object] = dict(parts.station.health()["components"]["backups"])
            made = list(folder.glob("restrike-backup-*.zip")) if folder.exists() else []
            made_count = health.get("made")
            return health if isinstance(made_count, int) and made_count >= 3 \
                and len(made) == 2 else None

        health = await wait_until(three_made, timeout=60)
    finally:
        await parts.station.stop()
    assert health["ok"] is True and health["error"] is None
    newest = Path(str(health["last"]))
    restored = tmp_path / "restored"
    assert run_cli("restore", newest, "--data-dir", restored).exit_code == 0
    assert rows(restored / DB_FILE, "SELECT count(*) FROM datagrams") == [(50,)]
