"""Rotated logs into monthly archives (age and size retention); searching them."""

from __future__ import annotations

import logging
import zipfile
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from restrike.logs import LOG_FILE
from restrike.logs.api import make_router
from restrike.logs.archive import ArchivingFileHandler, LogArchive, archive_name, to_delete
from restrike.logs.search import parse_records, search_logs

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def write_logs(log_dir: Path, count: int, *, backups: int = 1) -> None:
    """``count`` records through the station's handler, rotating every ~2 kB."""
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = ArchivingFileHandler(log_dir / LOG_FILE, max_bytes=2000, backups=backups,
                                   archive=LogArchive(log_dir / "archive"))
    formatter = logging.Formatter(FORMAT)
    formatter.default_msec_format = "%s.%03d"
    handler.setFormatter(formatter)
    logger = logging.getLogger("restrike.test.archive")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        for i in range(count):
            if i == 7:
                try:
                    raise ValueError("broken frame")
                except ValueError:
                    logger.exception("record %05d failed", i)
            else:
                logger.log(logging.WARNING if i % 10 == 0 else logging.INFO,
                           "record %05d %s", i, "x" * 60)
    finally:
        logger.removeHandler(handler)
        handler.close()  # waits for the compression


def test_rotated_files_go_to_the_month_archive_and_nothing_is_lost(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    write_logs(log_dir, 400)
    assert sorted(p.name for p in log_dir.iterdir()) == ["archive", LOG_FILE, LOG_FILE + ".1"]
    [archive] = (log_dir / "archive").iterdir()
    assert archive.name == archive_name(archive.stat().st_mtime)
    with zipfile.ZipFile(archive) as z:
        members = z.namelist()
        archived = "".join(z.read(m).decode() for m in members)
        assert z.infolist()[0].compress_type == zipfile.ZIP_DEFLATED
    assert len(members) > 5
    text = archived + "".join((log_dir / n).read_text() for n in (LOG_FILE + ".1", LOG_FILE))
    numbers = [int(h.message.split()[1]) for h in parse_records(text.splitlines(), "all")]
    assert sorted(numbers) == list(range(400))


def test_retention_by_age_then_size() -> None:
    now = datetime(2026, 5, 20, 12).timestamp()
    archives = [("restrike-2025-12.zip", 100), ("restrike-2026-01.zip", 100),
                ("restrike-2026-02.zip", 300), ("restrike-2026-03.zip", 300),
                ("restrike-2026-04.zip", 300), ("restrike-2026-05.zip", 900), ("notes.zip", 1)]
    # 2026-01 ended on Feb 1st, more than 90 days before May 20th; 2026-02 did not
    assert to_delete(archives, now, max_days=90, max_bytes=10_000) == [
        "restrike-2025-12.zip", "restrike-2026-01.zip"]
    assert to_delete(archives, now, max_days=90, max_bytes=1499) == [
        "restrike-2025-12.zip", "restrike-2026-01.zip", "restrike-2026-02.zip",
        "restrike-2026-03.zip"]  # 1800 bytes left after the age: 2 oldest go
    # the current month is never deleted for size
    assert "restrike-2026-05.zip" not in to_delete(archives, now, max_days=90, max_bytes=1)


def test_prune_deletes_real_files(tmp_path: Path) -> None:
    archive = LogArchive(tmp_path, max_days=30, max_bytes=1 << 30)
    old = tmp_path / "restrike-2020-01.zip"
    with zipfile.ZipFile(old, "w") as z:
        z.writestr("restrike-20200131-000000.log", "old\n")
    archive.prune(datetime(2026, 5, 20).timestamp())
    assert not old.exists()


def test_search_reaches_into_the_archives_newest_first(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    write_logs(log_dir, 400)
    hits, read = search_logs(log_dir, "RECORD 0000", limit=50)
    assert [int(h.message.split()[1]) for h in hits] == list(range(9, -1, -1))
    assert hits[-1].file.startswith("archive/restrike-") and read > 2
    assert "Traceback" in hits[2].message and "broken frame" in hits[2].message  # record 7
    warnings, _ = search_logs(log_dir, "record", level=logging.WARNING, limit=1000)
    assert len(warnings) == 40 + 1  # every tenth, and the exception (ERROR)
    assert search_logs(log_dir, "nowhere to be found")[0] == []


def test_search_route(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    write_logs(log_dir, 200)
    app = FastAPI()
    app.include_router(make_router(log_dir))
    with TestClient(app) as client:
        answer = client.get("/api/v1/logs/search", params={"q": "record 00001 ", "level": "INFO"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["count"] == 1 and body["records"][0]["logger"] == "restrike.test.archive"
        assert set(body["records"][0]) == {"time", "level", "logger", "message", "file"}
        assert client.get("/api/v1/logs/search", params={"q": ""}).status_code == 422
        assert client.get("/api/v1/logs/search",
                          params={"q": "x", "level": "loud"}).status_code == 422
    empty = FastAPI()
    empty.include_router(make_router(tmp_path / "no-logs"))
    with TestClient(empty) as client:
        assert client.get("/api/v1/logs/search", params={"q": "x"}).json()["count"] == 0
