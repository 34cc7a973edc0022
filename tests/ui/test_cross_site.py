"""Cross-site requests through a real browser (Debian's Chromium via Playwright).

A page served by another local HTTP server (another origin) tries everything a web page
can do to the station: simple ``fetch`` POSTs (text/plain, no preflight), a JSON POST
and a PUT (with preflight), a form POST and ``new WebSocket``. All are refused and the
station's state is unchanged. A foreign name that resolves to the station
(``*.localhost``, as a DNS-rebinding attacker's would) is answered 421. The console
itself keeps working, a page of a configured origin (``http.allowed_origins``) may
send JSON (CORS), and on a station that listens on all interfaces the operator token
flows from the printed URL into the cookie the console and the overlays use.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.test_guard import LanStation
from tests.helpers import wait_until_sync
from tests.station.fixtures import free_port
from tests.ui.conftest import ConsoleStation, running_station

ATTACKS = """async (S) => {
  const out = {};
  const body = JSON.stringify({name: "Taken over"});
  const tries = {
    simple_tournament: () => fetch(S + "/api/v1/tournament", {method: "POST", mode: "no-cors",
      headers: {"Content-Type": "text/plain"}, body}),
    simple_protocol: () => fetch(S + "/api/v1/protocol", {method: "POST", mode: "no-cors",
      headers: {"Content-Type": "text/plain"}, body: "name Taken over"}),
    simple_replay: () => fetch(S + "/api/v1/replay", {method: "POST", mode: "no-cors"}),
    json_tournament: () => fetch(S + "/api/v1/tournament", {method: "POST",
      headers: {"Content-Type": "application/json"}, body}),
    json_settings: () => fetch(S + "/api/v1/settings", {method: "PUT",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({values: {"review.quota": 9}})}),
  };
  for (const [name, run] of Object.entries(tries)) {
    try { out[name] = (await run()).type; } catch (err) { out[name] = "refused: " + err.name; }
  }
  out.websocket = await new Promise((resolve) => {
    const ws = new WebSocket(S.replace("http", "ws") + "/ws/live");
    ws.onopen = () => { resolve("open"); ws.close(); };
    ws.onclose = (ev) => resolve("closed " + ev.code);
  });
  return out;
}"""


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Another web server on another port (``python -m http.server``); its port."""
    root = tmp_path_factory.mktemp("other-site")
    (root / "index.html").write_text("<!doctype html><title>another site</title>"
                                     "<h1>another site</h1>", encoding="utf-8")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                               "127.0.0.1", "--directory", str(root)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_sync(lambda: httpx.get(url + "/", timeout=0.5), 10, "the foreign site",
                        ignore=(httpx.HTTPError,))
        yield port
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def other_site(web_server: int) -> str:
    """Another origin: another host name and port than the station's."""
    return f"http://localhost:{web_server}"


@pytest.fixture(scope="module")
def allowed_site(web_server: int) -> str:
    """The same server by another name: the origin the station is told to allow."""
    return f"http://127.0.0.1:{web_server}"


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory,
           allowed_site: str) -> Iterator[ConsoleStation]:
    """A station of its own: the attacks must find nothing changed afterwards."""
    settings = f'[http]\nallowed_origins = ["{allowed_site}"]\n[review]\nquota = 1\n'
    with running_station(tmp_path_factory, "cross-site", settings) as proc:
        yield proc


def snapshot(station: ConsoleStation) -> dict[str, Any]:
    """What an attack could change: tournaments, protocol, review, settings file."""
    return {"tournaments": station.get("/api/v1/tournaments").json(),
            "protocol": station.get("/api/v1/protocol").json()["custom"],
            "review": station.get("/api/v1/review").json().get("active"),
            "settings": station.config_file.read_text(encoding="utf-8")}


def refusals(station: ConsoleStation) -> list[str]:
    records = station.get("/api/v1/logs", level="warning", limit=1000).json()["records"]
    return [r["message"] for r in records if r["logger"] == "restrike.api.guard"]


def test_another_site_cannot_change_the_station(context: Any, target: ConsoleStation,
                                                other_site: str) -> None:
    before = snapshot(target)
    page = context.new_page()
    page.goto(other_site + "/")
    results = page.evaluate(ATTACKS, target.url)
    # Simple requests leave the browser (their answer is hidden: "opaque"); the rest stop
    # at the failed preflight; the WebSocket never opens.
    assert results["simple_tournament"] == "opaque"
    assert results["simple_protocol"] == "opaque"
    assert results["simple_replay"] == "opaque"
    assert results["json_tournament"] == "refused: TypeError"
    assert results["json_settings"] == "refused: TypeError"
    assert results["websocket"].startswith("closed"), results
    # A form POST is a navigation, without CORS at all: refused by the station too.
    page.set_content(f'<form method="POST" enctype="text/plain" action="{target.url}/api/v1/'
                     'replay"><input name="x" value="1"></form>')
    with page.expect_navigation():
        page.evaluate("document.forms[0].submit()")
    assert "forbidden" in page.content()
    page.close()
    assert snapshot(target) == before
    # The station saw each of them and said why (its log), so none was lost on the way.
    origin = other_site
    seen = refusals(target)
    for what in ("POST /api/v1/tournament", "POST /api/v1/protocol", "POST /api/v1/replay",
                 "GET /ws/live"):
        assert any(f"refused {what} " in m and f"Origin {origin})" in m and ": 403 " in m
                   for m in seen), (what, seen)


def test_a_foreign_name_for_the_station_is_misdirected(context: Any,
                                                       target: ConsoleStation) -> None:
    """DNS rebinding: a name the attacker controls, resolving to the station's address
    (Chromium resolves *.localhost to loopback by itself)."""
    page = context.new_page()
    for path in ("/", "/api/v1/state", "/overlays/scoreboard.html"):
        response = page.goto(f"http://rebind.localhost:{target.http_port}{path}")
        assert response is not None and response.status == 421, path
        assert "misdirected" in page.content()
    page.close()


def test_the_console_itself_still_works(context: Any, target: ConsoleStation) -> None:
    page = context.new_page()
    page.goto(target.url + "/#/settings")
    page.wait_for_selector("#st-ws .dot.ok")
    page.wait_for_selector('.field[data-name="playback.mpv_path"] .readonly')
    assert page.get_attribute("#set-playback-mpv-path", "readonly") is not None
    assert page.get_attribute("#set-station-data-dir", "readonly") is not None
    assert page.get_attribute("#set-review-quota", "readonly") is None
    page.fill("#set-review-quota", "2")
    page.click("#btn-save-settings")
    page.wait_for_selector("#settings-msg .ok-text:has-text('Saved')")
    assert "quota = 2" in target.config_file.read_text(encoding="utf-8")
    page.close()


def test_a_configured_origin_may_send_json(context: Any, target: ConsoleStation,
                                           allowed_site: str) -> None:
    page = context.new_page()
    page.goto(allowed_site + "/")
    result = page.evaluate("""async (S) => {
      const r = await fetch(S + "/api/v1/tournament", {method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({name: "Allowed Cup"})});
      const plain = await fetch(S + "/api/v1/tournament", {method: "POST",
        headers: {"Content-Type": "text/plain"}, body: "{}"});
      const ws = await new Promise((resolve) => {
        const socket = new WebSocket(S.replace("http", "ws") + "/ws/live");
        socket.onmessage = (ev) => { resolve(JSON.parse(ev.data).type); socket.close(); };
        socket.onclose = (ev) => resolve("closed " + ev.code);
      });
      return {status: r.status, body: await r.json(), plain: plain.status,
              plainError: (await plain.json()).error, ws};
    }""", target.url)
    page.close()
    assert result["status"] == 200 and result["body"]["tournament"] == "Allowed Cup", result
    assert result["plain"] == 415 and result["plainError"], result  # readable refusal
    assert result["ws"] == "snapshot", result
    names = [t["name"] for t in target.get("/api/v1/tournaments").json()["tournaments"]]
    assert "Allowed Cup" in names


@pytest.fixture
def lan(tmp_path: Path) -> Iterator[LanStation]:
    station = LanStation(tmp_path / "data").start()
    try:
        yield station
    finally:
        station.stop()


def test_token_from_the_printed_url_to_console_and_overlays(browser: Any,
                                                            lan: LanStation) -> None:
    token = lan.token
    stranger = browser.new_context()
    try:
        response = stranger.new_page().goto(lan.url + "/")
        assert response is not None and response.status == 401
    finally:
        stranger.close()
    operator = browser.new_context()
    try:
        page = operator.new_page()
        page.goto(f"{lan.url}/?token={token}#/overlays")
        page.wait_for_selector("#st-ws .dot.ok")  # /ws/live let in by the cookie
        assert "token" not in page.url  # left the address bar once the cookie was set
        page.wait_for_selector("#overlay-list li")
        page.wait_for_selector("#overlay-token-note:not(.hidden)")
        url = page.locator("#overlay-list li code").first.inner_text()
        assert f"token={token}" in url
        page.reload()  # the cookie alone, as on every later visit
        page.wait_for_selector("#st-ws .dot.ok")
    finally:
        operator.close()
    obs = browser.new_context()  # OBS: its own browser, the overlay URL as copied
    try:
        overlay = obs.new_page()
        overlay.goto(url)
        overlay.wait_for_function("window.restrike && window.restrike.client.model.connected")
        assert overlay.evaluate("window.restrike.client.model.state !== null")
    finally:
        obs.close()
