"""The interactive prompt: commands, errors, and a real session through a pseudo-terminal."""

from __future__ import annotations

import asyncio
import os
import select
import sys
import time

import pytest

from restrike.protocol import Message, parse
from restrike.simulator import SimulatorError, encode_items
from restrike.simulator.interactive import HELP, Console
from tests.simulator.conftest import Receiver


def run(console: Console, line: str) -> list[bytes]:
    items, _reply = console.execute(line)
    return encode_items(items, "real")


def test_console_commands_send_what_tkstrike_sends() -> None:
    console = Console("basic", seed=3)
    loaded = run(console, "load")
    assert loaded[0] == b"pre;FightLoaded\r\n" and loaded[-1] == b"rdy;FightReady\r\n"
    assert run(console, "start") == [b"clk;0:30;start\r\n"]
    point = run(console, "point blue head")
    assert point[0] == b"pt1;3\r\n" and point[-1] == b"sc1;3;sc2;0\r\n"
    assert run(console, "point 2 5")[0] == b"pt2;5\r\n"
    assert run(console, "warning red")[:1] == [b"wg1;0;wg2;1\r\n"]
    assert run(console, "hit red 42") == [b"hl2;42\r\n"]
    assert run(console, "challenge blue") == [b"clk;0:30;stop\r\n", b"ch1;\r\n"]
    assert run(console, "accept won")[:3] == [b"ch1;1\r\n", b"ch1;1;1\r\n", b"pt1;2\r\n"]
    assert run(console, "challenge referee") == [b"ch0;\r\n"]
    assert run(console, "reject") == [b"ch0;0\r\n"]
    assert run(console, "injury red 45") == [b"ij2;0:45;show\r\n"]
    assert run(console, "start") == [b"ij2;0:45;hide\r\n", b"clk;0:30;start\r\n"]
    assert run(console, "stop") == [b"clk;0:30;stop\r\n"]
    assert console.court.totals == (6, 5)  # head 3 + gam-jeom 1 + review 2 | 5
    assert "6 (gj 0) - 5 (gj 1)" in console.court.scoreboard()
    assert console.court.setup is not None
    wmh = f"wmh;{console.court.setup.red.name};6-5 SUP\r\n"
    assert run(console, "win red") == [b"win;RED\r\n", wmh.encode()[:len(wmh)]]


@pytest.mark.parametrize(("line", "message"), [
    ("dance", "unknown command 'dance'"),
    ("point green head", "unknown athlete 'green'"),
    ("point blue kick", "unknown point type 'kick'"),
    ("point blue", "usage: point ATHLETE TYPE"),
    ("injury blue soon", "SECONDS must be a whole number"),
    ("start", "no match loaded"),
    ("accept", "no video review"),
])
def test_bad_commands_say_what_is_wrong(line: str, message: str) -> None:
    with pytest.raises(SimulatorError, match=message):
        Console().execute(line)


def test_console_clock_runs_rounds_breaks_and_the_winner() -> None:
    console = Console("basic", seed=5)
    console.execute("load")
    console.execute("start")
    sent = encode_items(console.execute("point red body")[0])
    notes = []
    for _ in range(200):
        items, note = console.tick()
        sent += encode_items(items)
        if note:
            notes.append(note)
        if console.court.b.phase == "ready":
            sent += encode_items(console.execute("start")[0])
        if console.court.b.phase == "finished":
            break
    assert console.court.b.phase == "finished", notes
    assert any("match to" in n for n in notes)
    assert b"brk;0;stopEnd\r\n" in sent
    codes = [m.code for d in sent for m in parse(d)]
    assert codes.count("wrd") >= 2 and codes[-2:] == ["win", "wmh"]


def test_help_lists_every_command() -> None:
    for command in ("load", "start", "stop", "point", "warning", "injury", "challenge",
                    "accept", "reject", "win", "help", "quit"):
        assert command in HELP


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminal test")
async def test_interactive_session_through_a_pty(receiver: Receiver) -> None:
    master, slave = os.openpty()
    host, port = receiver.address
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "restrike", "simulate", "interactive", "--target",
        f"{host}:{port}", "--listen", "127.0.0.1:0", "--speed", "50", "--scenario", "basic",
        stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    output = b""

    async def expect(text: bytes, within: float = 20.0) -> None:
        nonlocal output
        deadline = time.monotonic() + within
        while text not in output:
            left = deadline - time.monotonic()
            assert left > 0, f"waited for {text!r}, got:\n{output.decode(errors='replace')}"
            ready, _, _ = await asyncio.to_thread(select.select, [master], [], [], min(left, 0.5))
            if ready:
                try:
                    output += os.read(master, 65536)
                except OSError:
                    break
        assert text in output, output

    async def send(line: str) -> None:
        nonlocal output
        output = b""
        os.write(master, line.encode() + b"\n")

    try:
        await expect(b"court> ")
        await send("load")
        await expect(b"loaded match")
        await expect(b"court> ")
        await send("start")
        await expect(b"running")
        await send("point blue head")
        await expect(b"3 (gj 0) - 0 (gj 0)")
        await send("kick red")
        await expect(b"error: unknown command 'kick'")
        await send("challenge red")
        await expect(b"review by red requested")
        await send("accept lost")
        await expect(b"court> ")
        await send("win blue PTF")
        await expect(b"winner BLUE PTF")
        await send("quit")
        await expect(b"sent ")
        async with asyncio.timeout(10):
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        os.close(master)
    await receiver.wait_for(3)
    got = [m for m in receiver.messages() if isinstance(m, Message)]
    codes = [m.code for m in got]
    for code in ("hel", "pre", "rdy", "pt1", "ch2", "win", "wmh", "bye"):
        assert code in codes, code
    assert receiver.datagrams[-1].endswith(b"disconnected;\r\n")
