"""Plugins in an assembled station, in-process: isolation, the bus, routes, panels."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from restrike.api import create_app
from restrike.assembly import Assembly, assemble
from restrike.bus import MessagesParsed
from restrike.plugins import PluginComponent
from restrike.protocol import parse
from tests.helpers import wait_until
from tests.plugins.distributions import SitePackages
from tests.station.fixtures import station_settings

#: Counts the messages it is given, answers on a route, has a console panel.
COUNTER = '''
from fastapi import APIRouter

from restrike.bus import MessagesParsed
from restrike.plugins import PluginComponent
from restrike.plugins import ConsolePanel
from pathlib import Path


class Counter:
    name = "counter"
    console = ConsolePanel("Counter", Path(__file__).parent / "counter_panel")

    def __init__(self):
        self.kinds = []
        self.stages = []

    async def start(self, ctx):
        ctx.bus.subscribe(MessagesParsed, self.on_parsed)
        router = APIRouter()

        @router.get("/api/v1/counter")
        async def counted():
            return {"kinds": self.kinds}

        ctx.add_router(router)

    def on_parsed(self, event):
        self.kinds.extend(m.kind for item in event.items for m in item[4])

    async def stop(self, stage):
        self.stages.append(stage.name)

    def health(self):
        return {"ok": True, "state": "running", "counted": len(self.kinds)}
'''

#: Opens a route and a panel, then fails to start: neither may be served.
FAILING = '''
from fastapi import APIRouter
from restrike.plugins import ConsolePanel
from pathlib import Path


class Failing:
    console = ConsolePanel("Failing", Path(__file__).parent / "counter_panel")

    def __init__(self):
        self.stages = []

    async def start(self, ctx):
        router = APIRouter()
        router.add_api_route("/api/v1/failing", lambda: {"served": True})
        ctx.add_router(router)
        raise RuntimeError("the licence server is down")

    async def stop(self, stage):
        self.stages.append(stage.name)

    def health(self):
        return {"ok": True, "state": "running"}
'''


@pytest.fixture
async def parts(site: SitePackages, tmp_path: Path) -> AsyncIterator[Assembly]:
    site.add("acme-counter", {"counter": "acme_counter:Counter", "failing": "acme_fail:Failing"},
             {"acme_counter.py": COUNTER, "acme_fail.py": FAILING,
              "counter_panel/index.html": "<h1>Counter</h1>",
              "counter_panel/app.js": "console.log('counter');"})
    assembly = assemble(station_settings(tmp_path / "data"), serve_http=False, review=False)
    await assembly.station.start()
    try:
        yield assembly
    finally:
        await assembly.station.stop()


@pytest.fixture
async def client(parts: Assembly) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(parts.view)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://station") as http:
            yield http
    finally:
        app.state.readers.close()


async def test_a_failing_plugin_is_isolated(parts: Assembly) -> None:
    health = parts.station.health()
    components = health["components"]
    assert components["counter"] == {"ok": True, "state": "running", "counted": 0}
    assert components["failing"] == {"ok": False, "state": "failed",
                                     "error": "RuntimeError: the licence server is down"}
    # The built-in plugins run too; of the test's two, only the good one.
    assert [n for n in components["plugins"]["running"] if n in {"counter", "failing"}] == \
        ["counter"]
    assert components["plugins"]["failed"] == ["failing"]
    assert health["ok"] is False and components["ingest"]["ok"]
    failing = parts.station.get("failing")
    assert isinstance(failing, PluginComponent)  # stopped through every stage at once
    inner: Any = failing.inner  # the plugin's own object
    assert inner.stages == ["INTAKE", "DRAIN", "FLUSH", "CLOSE"]


async def test_a_plugin_receives_parsed_messages(parts: Assembly) -> None:
    messages = parse(b"pt1;3;sc1;3;sc2;0;")
    parts.station.bus.publish(MessagesParsed([(1, time.time(), "test", b"", messages)]))
    counter = parts.station.get("counter")
    assert isinstance(counter, PluginComponent)
    inner: Any = counter.inner
    kinds: list[str] = inner.kinds
    await wait_until(lambda: kinds, what="the plugin's callback")
    assert kinds == ["point", "score", "score"]


async def test_routes_and_panels_of_running_plugins_only(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/counter")).json() == {"kinds": []}
    assert (await client.get("/api/v1/failing")).status_code == 404
    listed = {p["name"]: p for p in (await client.get("/api/v1/plugins")).json()["plugins"]}
    assert listed["counter"]["panel"] == {"title": "Counter", "url": "/plugins/counter/"}
    assert listed["counter"]["distribution"] == "acme-counter"
    assert listed["failing"]["panel"] is None and listed["failing"]["state"] == "failed"
    page = await client.get("/plugins/counter/")
    assert page.status_code == 200 and page.text == "<h1>Counter</h1>"
    script = await client.get("/plugins/counter/app.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert (await client.get("/plugins/counter")).headers["location"] == "/plugins/counter/"
    for path in ("/plugins/failing/", "/plugins/nobody/", "/plugins/counter/../acme_counter.py",
                 "/plugins/counter/%2e%2e/acme_counter.py", "/plugins/counter/missing.css"):
        answer = await client.get(path)
        assert answer.status_code == 404, path
        assert set(answer.json()) == {"error", "detail"}
