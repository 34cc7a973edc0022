"""The control room's command log is kept in PostgreSQL: a hub killed while a court has
not answered, then restarted, still lists the action, that court "no answer" (the hub
stopped first), and the courts that answered as they answered."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from restrike.hub.commands import commands_url
from tests.helpers import wait_until_sync
from tests.hub.conftest import HubProcess, upload

pytestmark = [pytest.mark.peers, pytest.mark.timeout(180)]


async def _hold_channel(hub: HubProcess, court: str, button: threading.Thread
                        ) -> dict[str, Any]:
    """Open ``court``'s command channel, press the button, and kill the hub as soon as
    the command arrives (before the court answers); the command."""
    async with connect(commands_url(hub.url, court, uuid.uuid4().hex), proxy=None) as ws:
        button.start()
        command: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 20))
        hub.kill()
    return command


def test_the_log_outlives_a_hub_restart(hub_database: str) -> None:
    hub = HubProcess(hub_database).start()
    try:
        for court in ("Log 1", "Log 2"):
            assert upload(hub, court, token="any").status_code == 200
        answers: list[httpx.Response] = []

        def press() -> None:  # the control room's button; its request waits for answers
            with contextlib.suppress(httpx.HTTPError):  # the hub is killed while it waits
                answers.append(httpx.post(hub.url + "/api/v1/commands", timeout=30,
                                          json={"action": "start_recording"}))

        button = threading.Thread(target=press, name="test-press")
        command = asyncio.run(_hold_channel(hub, "Log 1", button))
        assert command["action"] == "start_recording"
        button.join(30)
        assert answers == []
        hub.start()
        wait_until_sync(lambda: hub.get("/api/v1/commands")["commands"] != [], 20,
                        "the stored command")
        [record] = hub.get("/api/v1/commands")["commands"]
        assert record["id"] == command["id"] and record["action"] == "start_recording"
        courts = {c["court"]: c for c in record["courts"]}
        assert courts["Log 1"]["state"] == "no answer" and not courts["Log 1"]["ok"]
        assert "hub stopped" in courts["Log 1"]["error"]
        assert courts["Log 2"]["state"] == "offline"
        # A later action gets a larger id (the newest first), also after the restart.
        later = httpx.post(hub.url + "/api/v1/commands", timeout=30,
                           json={"action": "stop_streaming", "courts": ["Log 2"]}).json()
        assert later["id"] > record["id"]
        listed = hub.get("/api/v1/commands")["commands"]
        assert [c["id"] for c in listed] == [later["id"], record["id"]]
        assert listed[0]["courts"] == later["courts"]
        # Presses at the same moment from several control rooms: each kept, its own id.
        with ThreadPoolExecutor(6) as pool:
            pressed = list(pool.map(lambda _n: httpx.post(
                hub.url + "/api/v1/commands", timeout=30,
                json={"action": "stop_recording", "courts": ["Log 2"]}), range(6)))
        assert all(p.status_code == 200 for p in pressed), [p.text for p in pressed]
        ids = {p.json()["id"] for p in pressed}
        assert len(ids) == 6 and ids <= {c["id"] for c in hub.get("/api/v1/commands")[
            "commands"]}
    finally:
        hub.stop()
