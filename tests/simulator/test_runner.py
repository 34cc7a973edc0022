"""The simulator as a UDP peer: real loopback sockets, pull requests, random load, replay."""

from __future__ import annotations

import asyncio
import io
import socket
from pathlib import Path

import pytest

from restrike.protocol import MatchState, parse, reduce
from restrike.protocol.capture import format_capture_line
from restrike.simulator import (
    Court,
    Progress,
    Runner,
    SimulatorError,
    encode_items,
    generate,
    make,
    play,
    play_capture,
    play_random,
    play_sync,
    start_thread,
)
from restrike.simulator.progress import ProgressLine, format_progress
from tests.simulator.checks import check_match, datagrams, split_matches
from tests.simulator.conftest import Receiver

FRAME_START = [b"Udp Port {port} connected;\r\n", b"hel;\r\n"]


async def test_a_match_over_loopback_at_high_speed(receiver: Receiver) -> None:
    seen: list[Progress] = []
    result = await play(receiver.address, scenario="championship", seed=4, speed=400,
                        progress=seen.append)
    await receiver.wait_for(result.datagrams)
    port = receiver.address[1]
    assert receiver.datagrams[:2] == [f.replace(b"{port}", str(port).encode())
                                      for f in FRAME_START]
    assert receiver.datagrams[-2:] == [b"bye;\r\n", f"Udp Port {port} disconnected;\r\n".encode()]
    # exactly the generator's bytes in between, in order
    assert receiver.datagrams[2:-2] == datagrams(generate("championship", 4))
    assert result.completed and len(result.matches) == 1
    messages = [m for d in receiver.datagrams for m in parse(d)]
    (match,) = split_matches(messages)
    check_match([m for m in match if m.code not in ("bye", "port_status")], result.matches[0],
                exact_names=False)
    assert seen and seen[-1].note == "done" and seen[-1].scores == result.matches[0].scores


async def test_same_seed_same_datagrams_over_udp(receiver: Receiver) -> None:
    first = await play(receiver.address, scenario="basic", seed=8, speed=1000, matches=2)
    await receiver.wait_for(first.datagrams)
    once = list(receiver.datagrams)
    receiver.datagrams.clear()
    second = await play(receiver.address, scenario="basic", seed=8, speed=1000, matches=2)
    await receiver.wait_for(second.datagrams)
    assert receiver.datagrams == once
    assert [m.number for m in second.matches] == [m.number for m in first.matches]


async def test_pull_requests_are_answered_with_the_last_packets(receiver: Receiver) -> None:
    async with Runner(receiver.address) as runner:
        runner.send_items([make("clk", 120), make("clk", 119)])
        runner.send_items(generate("basic", 1).steps[1].items)  # athletes, officials, board
        await receiver.wait_for(runner.counters.datagrams)
        sent = list(receiver.datagrams)
        asker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        asker.bind(("127.0.0.1", 0))
        asker.settimeout(5)
        try:
            answers = {}
            for request in ("clock", "scores", "athletes", "winperiods;", "referees"):
                asker.sendto(request.encode() + b"\r\n", ("127.0.0.1", runner.listen_address[1]))
                got = [await asyncio.to_thread(asker.recv, 2048)]
                if request == "scores":
                    got.append(await asyncio.to_thread(asker.recv, 2048))
                answers[request] = got
            asker.sendto(b"nonsense\r\n", ("127.0.0.1", runner.listen_address[1]))
        finally:
            asker.close()
    assert answers["clock"] == [b"clk;0:30\r\n"]  # the load's clock came last
    assert answers["scores"] == [d for d in sent if d.startswith((b"s11", b"sc1"))][-2:]
    assert answers["athletes"] == [d for d in sent if d.startswith(b"at1")]
    assert answers["winperiods;"] == [b"wrd;rd1;0;rd2;0;rd3;0\r\n"]
    assert answers["referees"][0].startswith(b"ref;")
    assert runner.counters.requests == 5


def test_thread_variant_answers_pulls_while_playing() -> None:
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(5)
    try:
        sim = start_thread(rx.getsockname(), scenario="basic", seed=2, speed=20)
        assert sim.listen_address is not None
        while not rx.recv(2048).startswith(b"rdy"):
            pass
        rx.sendto(b"period\r\n", ("127.0.0.1", sim.listen_address[1]))
        while (data := rx.recv(2048)) != b"rnd;1\r\n":
            pass
        sim.stop()
        result = sim.join(10)
    finally:
        rx.close()
    assert data == b"rnd;1\r\n"
    assert not result.completed and result.requests_answered == 1


async def test_random_mode_sends_exactly_rate_times_duration(receiver: Receiver) -> None:
    result = await play_random(receiver.address, rate=800, duration=0.5, seed=3)
    await receiver.wait_for(result.datagrams)
    assert result.datagrams == 400 + 4  # + status lines, hel and bye
    assert len(receiver.datagrams) == result.datagrams
    state = MatchState()
    for msg in receiver.messages():
        assert msg.error is None or msg.code == "at2", msg
        state = reduce(state, msg, 0.0)
    assert state.loaded


async def test_replay_keeps_bytes_and_order(receiver: Receiver, tmp_path: Path) -> None:
    original = datagrams(generate("basic", 5))[:40]
    capture = tmp_path / "court.jsonl"
    capture.write_text("".join(format_capture_line(1000.0 + i * 0.5, d) + "\n"
                               for i, d in enumerate(original)) + "not json {\n")
    result = await play_capture(receiver.address, capture, speed=200)
    await receiver.wait_for(result.datagrams)
    assert receiver.datagrams[2:-3] == original
    assert receiver.datagrams[-3] == b"not json {"  # a plain-text line is a datagram too
    assert result.skipped == ()
    decoded = tmp_path / "decoded.jsonl"
    decoded.write_text('{"t": 1.0, "line": 1, "code": "sc1", "raw": "sc1;3"}\n'
                       '{"t": 1.0, "line": 1, "code": "sc2", "raw": "sc2;1"}\n'
                       '{"t": 2.0, "line": 2, "code": "clk", "raw": "clk;1:59"}\n')
    receiver.datagrams.clear()
    result = await play_capture(receiver.address, decoded, speed=100)
    await receiver.wait_for(result.datagrams)
    assert receiver.datagrams[2:-2] == [b"sc1;3;sc2;1\r\n", b"clk;1:59\r\n"]


async def test_documented_style_over_udp(receiver: Receiver) -> None:
    result = await play(receiver.address, scenario="basic", seed=1, speed=1000,
                        style="documented")
    await receiver.wait_for(result.datagrams)
    assert all(d.endswith(b";") for d in receiver.datagrams)
    assert b"sc1;0;sc2;0;" in receiver.datagrams


async def test_stop_event_ends_early_with_bye(receiver: Receiver) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(play(receiver.address, scenario="championship", speed=5,
                                    stop=stop), name="simulator-under-test")
    await receiver.wait_for(3)
    stop.set()
    result = await task
    assert not result.completed and result.matches == ()
    await receiver.wait_for(result.datagrams)
    assert receiver.datagrams[-2] == b"bye;\r\n"


def test_progress_line_on_a_terminal_and_in_a_log() -> None:
    p = Progress("101", 2, 75, (5, 3), 120, 12.5, 0)
    assert format_progress(p, 3) == ("match 101 (0/3 done) | round 2 1:15 | 5-3 | "
                                     "120 datagrams | 12.5 s")
    tty = io.StringIO()
    line = ProgressLine(tty, tty=True)
    line(p)
    line(Progress("101", 2, 74, (5, 3), 121, 13.5, 0))
    line.close()
    assert tty.getvalue().count("\r") == 2 and tty.getvalue().endswith("\n")
    log = io.StringIO()
    plain = ProgressLine(log, tty=False, every=3600)
    plain(p)
    plain(Progress("101", 2, 74, (5, 3), 121, 13.5, 0))  # same round: not repeated
    plain(Progress("101", 3, 120, (5, 3), 130, 80.0, 0))
    assert "\r" not in log.getvalue() and len(log.getvalue().splitlines()) == 2


def test_encode_items_real_style_glued_hits() -> None:
    assert encode_items(Court().hits(50, 30), "real") == [b"hl1;50hl2;30\r\n"]
    assert encode_items(Court().hits(50, 30), "documented") == [b"hl1;50;hl2;30;"]


def test_thread_start_reports_a_busy_listen_port_and_play_sync_works() -> None:
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    try:
        with pytest.raises(SimulatorError, match="cannot open UDP"):
            start_thread(sink.getsockname(), listen=busy.getsockname(), scenario="basic")
        result = play_sync(sink.getsockname(), scenario="basic", speed=2000, seed=6)
    finally:
        busy.close()
        sink.close()
    assert result.completed and result.matches[0].winner in (1, 2)


async def test_endless_demo_runs_until_stopped(receiver: Receiver) -> None:
    stop = asyncio.Event()

    def progress(p: Progress) -> None:
        if p.matches_done >= 2:
            stop.set()

    result = await play(receiver.address, scenario="basic", speed=500, matches=0, stop=stop,
                        progress=progress)
    assert not result.completed and len(result.matches) >= 2
    await receiver.wait_for(result.datagrams)
    assert sum(d == b"pre;FightLoaded\r\n" for d in receiver.datagrams) >= 2
