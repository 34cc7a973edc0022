"""The receiver child's outbox: bounded memory, the spool file, order, taking over;
and the real receiver process spooling when its data folder is broken."""

from __future__ import annotations

import contextlib
import queue
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from restrike.ingest._spool import Outbox, Spool
from restrike.ingest._wire import MESSAGE, decode_batch
from restrike.ingest.process import ProcessReceiver
from tests.helpers import wait_until_sync
from tests.station.fixtures import send_udp


def message(n: int, size: int = 1000) -> bytes:
    body = n.to_bytes(4, "little") + bytes(max(0, size - 4 - MESSAGE.size))
    return MESSAGE.pack(b"D", len(body)) + body


def number(msg: bytes | bytearray) -> int:
    return int.from_bytes(msg[MESSAGE.size:MESSAGE.size + 4], "little")


def send_all(outbox: Outbox) -> list[int]:
    """What a writer thread would send, in order, until the outbox is closed and empty."""
    sent = []
    outbox.close()
    while (msg := outbox.get()) is not None:
        outbox.sent()
        if msg[:1] == b"D":
            sent.append(number(msg))
    return sent


def test_memory_holds_up_to_its_limit_and_the_rest_goes_to_the_file_in_order(
        tmp_path: Path) -> None:
    outbox = Outbox(Spool(str(tmp_path / "spool.bin")), ram_limit=10_000)
    for n in range(50):
        outbox.put(message(n))
    stats = outbox.stats()
    assert stats["ram_bytes"] == 10_000 and stats["spooled"] == 40
    assert stats["spool_bytes"] == 40 * 1000
    first = outbox.get()
    assert first is not None and number(first) == 0
    outbox.sent()
    outbox.put(message(50))  # memory has room again; it is still sent last
    assert outbox.stats()["ram_bytes"] == 10_000
    assert send_all(outbox) == list(range(1, 51))
    outbox.finish()
    assert not (tmp_path / "spool.bin").exists()  # emptied and removed


def test_notes_go_in_order_and_are_never_spooled(tmp_path: Path) -> None:
    outbox = Outbox(Spool(str(tmp_path / "spool.bin")), ram_limit=0)
    outbox.put(message(1))
    outbox.note(b"C-note")
    outbox.put(message(2))
    outbox.close()
    got = []
    while (msg := outbox.get()) is not None:
        outbox.sent()
        got.append(bytes(msg) if msg[:1] == b"C" else number(msg))
    assert got == [1, b"C-note", 2]
    assert outbox.stats()["spooled"] == 2
    outbox.finish()


def test_a_killed_child_leaves_the_file_and_the_next_one_sends_the_rest_first(
        tmp_path: Path) -> None:
    path = tmp_path / "spool.bin"
    first = Outbox(Spool(str(path)), ram_limit=0)
    for n in range(10):
        first.put(message(n, size=500))
    for _ in range(3):  # three reach the pipe, the fourth is taken but not confirmed
        assert first.get() is not None
        first.sent()
    assert first.get() is not None
    first.finish()  # the pipe broke: the file keeps what was not confirmed
    assert path.exists()
    # As after SIGKILL, the last message may be half written.
    with path.open("ab") as file:
        file.write(message(99)[:300])
    second = Outbox(Spool(str(path)), ram_limit=0)
    assert second.resume() == 7
    assert second.spool.discarded == 300
    second.put(message(10))
    assert send_all(second) == [3, 4, 5, 6, 7, 8, 9, 10]
    second.finish()
    assert not path.exists()


def test_a_file_that_is_not_a_spool_is_discarded_not_sent(tmp_path: Path) -> None:
    path = tmp_path / "spool.bin"
    path.write_bytes(b"something else entirely")
    outbox = Outbox(Spool(str(path)), ram_limit=0)
    assert outbox.resume() == 0
    assert outbox.spool.discarded == len(b"something else entirely")
    outbox.put(message(1))
    assert send_all(outbox) == [1]
    outbox.finish()


def test_a_spool_folder_that_cannot_be_created_falls_back_to_the_other_folder(
        tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    fallback = tmp_path / "temp" / "spool.bin"
    outbox = Outbox(Spool(str(blocker / "spool.bin"), str(fallback)), ram_limit=2_000)
    for n in range(6):
        outbox.put(message(n))
    stats = outbox.stats()
    assert stats["spool_error"] is None and stats["spool_path"] == str(fallback)
    assert stats["spool_bytes"] == 4_000 and fallback.exists()
    assert send_all(outbox) == [0, 1, 2, 3, 4, 5]
    outbox.finish()
    assert not fallback.exists()


def test_a_spool_that_cannot_be_written_keeps_order_in_memory_and_says_why(
        tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the spool folder should be")
    outbox = Outbox(Spool(str(blocker / "spool.bin")), ram_limit=2_000)
    for n in range(6):
        outbox.put(message(n))
    stats = outbox.stats()
    assert stats["spool_error"] and "spool.bin" in str(stats["spool_error"])
    assert stats["ram_bytes"] == 2_000 and stats["overflow_bytes"] == 4_000
    assert send_all(outbox) == [0, 1, 2, 3, 4, 5]
    assert outbox.stats()["spool_error"] is None  # tried again once the backlog is gone
    outbox.finish()


def test_a_writer_thread_and_a_receive_loop_keep_every_message_in_order(
        tmp_path: Path) -> None:
    outbox = Outbox(Spool(str(tmp_path / "spool.bin")), ram_limit=20_000)
    sent: list[int] = []
    slow = threading.Event()

    def writer() -> None:
        while (msg := outbox.get()) is not None:
            if len(sent) % 100 == 0:
                slow.wait(0.002)  # a station that reads in fits and starts
            sent.append(number(msg))
            outbox.sent()

    thread = threading.Thread(target=writer)
    thread.start()
    for n in range(3000):
        outbox.put(message(n, size=300 + n % 700))
    outbox.close()
    thread.join(30)
    assert sent == list(range(3000))
    assert outbox.spooled > 0
    outbox.finish()
    assert not (tmp_path / "spool.bin").exists()


def test_the_receiver_spools_to_the_temp_folder_when_the_data_folder_is_broken(
        tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    receiver = ProcessReceiver("127.0.0.1", 0, 1 << 20, inbox, spool_dir=blocker,
                               ram_limit=0)  # every batch goes through the spool file
    receiver.start()
    try:
        sent = [b"clk;1:%02d;" % i for i in range(30)]
        send_udp(receiver.address[1], sent, pause=0.001)
        got: list[bytes] = []
        deadline = time.monotonic() + 10
        while len(got) < len(sent) and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                got += [d[1] for d in decode_batch(inbox.get(timeout=0.1))[0]]
        assert got == sent
        # the stats note comes every 0.5 s
        wait_until_sync(lambda: receiver.spooled >= 1, 5, "the child's spool note")
        path = Path(receiver.child["spool_path"])
        assert path.parent == Path(tempfile.gettempdir()) and receiver.child["spool_error"] is None
    finally:
        receiver.stop()
    assert not path.exists()
