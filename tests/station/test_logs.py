"""Logging: rotating file in the data folder, per-component levels, the live tail."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from restrike.logs import level_number, ring_buffer, setup_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    for name in ("restrike.a", "restrike.b"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_rotation_levels_and_tail(tmp_path: Path, restore_logging: None) -> None:
    path = setup_logging(level="WARNING", levels={"restrike.a": "DEBUG"}, log_dir=tmp_path,
                         max_bytes=2_000, backups=2, console=False)
    assert path == tmp_path / "restrike.log"
    logging.getLogger("restrike.a.x").debug("debug from a %d", 1)
    logging.getLogger("restrike.b").info("info from b")  # below WARNING: dropped
    for i in range(200):
        logging.getLogger("restrike.b").warning("line %d %s", i, "x" * 40)
    text = path.read_text()
    assert "info from b" not in text
    rotated = sorted(p.name for p in tmp_path.iterdir())
    # retention: two rotated files as they are, the older ones in the monthly archive
    assert rotated == ["archive", "restrike.log", "restrike.log.1", "restrike.log.2"]
    tail = ring_buffer().tail(logging.DEBUG, 5)
    assert tail[0]["message"].startswith("line 199")
    debug = ring_buffer().tail(logging.DEBUG, 1000)
    assert any(r["message"] == "debug from a 1" and r["logger"] == "restrike.a.x"
               for r in debug)
    # Idempotent: a second setup replaces the handlers instead of adding more.
    count = len(logging.getLogger().handlers)
    setup_logging(level="INFO", log_dir=tmp_path, console=False)
    assert len(logging.getLogger().handlers) == count


def test_level_names() -> None:
    assert level_number("info") == logging.INFO
    with pytest.raises(ValueError, match="LOUD"):
        level_number("LOUD")
