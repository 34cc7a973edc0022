"""`restrike chapters` on a database, and the hotkey backend selection."""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

from typer.testing import CliRunner

from restrike.cli import app
from restrike.protocol import parse
from restrike.review.archive import Archive, local_day
from restrike.review.chapters import validate_chapters
from restrike.review.hotkey import PynputHotkey, make_hotkey, pynput_combo
from restrike.review.streams import StreamTimeline
from restrike.store import Received, Store


def make_day(path: Path) -> str:
    now = time.time()
    store = Store(path, batch_ms=1.0)
    store.start()
    store.set_day(local_day(now))  # the same day even when the run crosses midnight
    for i, number in enumerate(("1", "2", "3")):
        at = now + 20 + 120 * i
        line = f"mch;{number};F;M;;a;b;c;d;{number};S;3;120;cntDown;1;1".encode()
        for seq, data in enumerate((b"pre;FightLoaded", b"at1;A;ANNA;FRA;at2;B;BEA;KOR", line)):
            store.submit(Received(i * 10 + seq, at + seq * 0.1, "t", data, list(parse(data))))
    archive = Archive(store)
    day = local_day(now)
    archive.save_stream(None, day=day, obs_name="live",
                        timeline=StreamTimeline().start(now).stop(now + 600))
    archive.close()
    store.close()
    return day


def test_chapters_command(tmp_path: Path) -> None:
    db = tmp_path / "restrike.sqlite3"
    day = make_day(db)
    runner = CliRunner()
    result = runner.invoke(app, ["chapters", "--day", day, "--database", str(db)])
    assert result.exit_code == 0, result.output
    assert validate_chapters(result.output) == []
    assert result.output.splitlines()[1].startswith("0:20 Match 1: ANNA (FRA) vs BEA (KOR)")
    out = tmp_path / "chapters.txt"
    result = runner.invoke(app, ["chapters", "--day", day, "--data-dir", str(tmp_path),
                                 "-o", str(out)])
    assert result.exit_code == 0 and validate_chapters(out.read_text()) == []
    result = runner.invoke(app, ["chapters", "--day", "1999-01-01", "--database", str(db)])
    assert result.exit_code == 1 and "no stream" in result.output
    result = runner.invoke(app, ["chapters", "--day", day, "--data-dir", str(tmp_path / "x")])
    assert result.exit_code == 2


def test_hotkey_backend() -> None:
    assert pynput_combo("F9") == "<f9>"
    assert pynput_combo("Ctrl+Shift+R") == "<ctrl>+<shift>+r"
    assert make_hotkey(None) is None and make_hotkey("") is None

    class Keyboard:
        started: ClassVar[list[dict[str, object]]] = []

        class GlobalHotKeys:
            def __init__(self, mapping: dict[str, object]) -> None:
                Keyboard.started.append(mapping)

            def start(self) -> None:
                pass

            def stop(self) -> None:
                Keyboard.started.clear()

    hotkey = PynputHotkey("ctrl+F9", Keyboard)
    hotkey.start(lambda: None)
    assert list(Keyboard.started[0]) == ["<ctrl>+<f9>"]
    hotkey.stop()
    assert Keyboard.started == []


def test_archive_writes_go_through_the_store_writer(tmp_path: Path) -> None:
    """One SQLite writer: the archive's writes wait for the store's writer thread."""
    import threading

    store = Store(tmp_path / "restrike.sqlite3", batch_ms=1.0)
    store.start()
    archive = Archive(store, run="t")
    gate = threading.Event()
    store.call(lambda conn: gate.wait(5))  # the writer is busy
    done: list[int] = []
    writer = threading.Thread(target=lambda: done.append(archive.start_recording(
        day="2026-05-02", output="recording", obs_name="rec", started_at=1.0, path=None)))
    writer.start()
    writer.join(0.3)
    assert done == [] and archive.recordings() == []
    gate.set()
    writer.join(5)
    assert done == [1] and [r["id"] for r in archive.recordings()] == [1]
    archive.close()
    store.close()
