"""A datagram tkStrike cut short: no fragment in the live state, and the station asks
tkStrike for that kind again (once, not in a loop) from the feed socket."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.helpers import wait_until
from tests.station.fixtures import send_udp, station_pulled_by


def tk(text: str) -> bytes:
    """As tkStrike sends it: as many bytes as ``text`` + CR LF has characters."""
    line = text + "\r\n"
    return line.encode("utf-8")[: len(line)]


async def test_a_cut_athletes_datagram_is_asked_again(tmp_path: Path) -> None:
    async with station_pulled_by(tmp_path, read_timeout=5) as (pss, parts):
        station, ingest = parts.station, parts.ingest
        for _ in ingest.schema.requests:  # the pull requests sent at start
            await asyncio.to_thread(pss.recvfrom, 100)
        port = station.bound["udp"]["port"]
        cut = tk("at1;LEE;LEE Dae-hoon;KOR;at2;MÜLLER;Jörg MÜLLER;GER")
        assert cut.endswith(b";GE")
        send_udp(port, [b"pre;FightLoaded\r\n", cut])
        # In a thread: the loop must stay free to take the station's batches.
        asked, sender = await asyncio.to_thread(pss.recvfrom, 100)
        assert asked == b"athletes\r\n" and sender[1] == port
        await wait_until(lambda: station.live.state.athletes[1].long_name)
        red = station.live.state.athletes[1]
        assert (red.country, red.long_name) == ("", "Jörg MÜLLER")
        # tkStrike answers (here whole); the same cut again is not asked for again
        # at once: a cut answer must not make a loop.
        pss.sendto("at1;LEE;LEE Dae-hoon;KOR;at2;MÜLLER;Jörg MÜLLER;GER\r\n".encode(),
                   sender)
        await wait_until(lambda: station.live.state.athletes[1].country == "GER")
        send_udp(port, [cut, b"clk;1:59\r\n"])
        await wait_until(lambda: station.live.state.clock.seconds == 119)
        assert station.live.state.athletes[1].country == "GER"  # the whole code stays
        assert ingest.cut_pulls == 1
        health = ingest.health()
        assert health["cut_pulls"] == 1 and health["feed_activity"] == "live"
