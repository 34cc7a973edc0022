"""OBS overlays: 1920×1080, transparent background, driven by /ws/live."""

from __future__ import annotations

import pytest

from tests.ui.conftest import NARROW, SHOTS, WIDE, shoot
from tests.ui.png import read_png

pytestmark = pytest.mark.peers


def _alpha(page, clip) -> list[int]:
    width, height, pixels = read_png(page.screenshot(clip=clip, omit_background=True))
    assert (width, height) == (clip["width"], clip["height"])
    return [p[3] for p in pixels]


def _save(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), omit_background=True)


@pytest.mark.parametrize("theme", ["broadcast", "minimal"])
def test_scoreboard_overlay_is_transparent_around_the_board(page, station, theme):
    station.simulate("demo", "--scenario", "basic", "--speed", "300", "--seed", "21")
    state = station.get("/api/v1/state").json()
    page.goto(station.url + f"/overlays/scoreboard.html?theme={theme}")
    page.wait_for_selector("#sb:not(.hide)")
    page.wait_for_function("(s) => document.querySelector('#blue .score').textContent === s",
                           arg=str(state["scores"][0]))
    page.wait_for_timeout(500)  # the fade-in
    _save(page, f"overlay-scoreboard-{theme}-1920x1080")
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") \
        == "rgba(0, 0, 0, 0)"
    # Empty canvas: fully transparent; the board itself: opaque.
    assert set(_alpha(page, {"x": 900, "y": 400, "width": 60, "height": 60})) == {0}
    assert set(_alpha(page, {"x": 1800, "y": 0, "width": 60, "height": 60})) == {0}
    box = page.locator("#sb").bounding_box()
    inner = {"x": box["x"] + box["width"] - 40, "y": box["y"] + 10, "width": 20, "height": 20}
    alphas = _alpha(page, inner)
    assert min(alphas) >= 190, alphas[:10]  # the board is drawn (minimal: 78 % black)


def test_intro_review_and_winner_overlays(page, station):
    station.simulate("demo", "--scenario", "basic", "--speed", "300", "--seed", "22")
    state = station.get("/api/v1/state").json()
    page.goto(station.url + "/overlays/intro.html?always")
    page.wait_for_selector("#intro:not(.hide)")
    page.wait_for_function("(n) => document.querySelector('#blue .name').textContent === n",
                           arg=state["athletes"][0]["long_name"])
    page.wait_for_timeout(700)
    _save(page, "overlay-intro-1920x1080")
    assert set(_alpha(page, {"x": 900, "y": 100, "width": 40, "height": 40})) == {0}

    page.goto(station.url + "/overlays/winner.html")
    page.wait_for_selector("#winner:not(.hide)")
    assert page.locator("#name").text_content() == state["winner"]["name"]
    page.wait_for_timeout(700)
    _save(page, "overlay-winner-1920x1080")

    # Review started / closed, as the real workflow of `restrike run` announces it on
    # /ws/live after POST /api/v1/replay and /api/v1/replay/close.
    assert station.has_route("/api/v1/replay") and station.has_route("/api/v1/replay/close")
    if station.get("/api/v1/review").json()["active"]:  # a challenge of the simulated match
        assert station.post("/api/v1/replay/close").status_code == 200
    page.goto(station.url + "/overlays/review.html")
    page.wait_for_function("() => window.restrike && window.restrike.client.model.connected")
    started = station.post("/api/v1/replay", json={"requested_by": "blue"})
    assert started.status_code == 200, started.text
    assert started.json()["active"] and started.json()["requested_by"] == "blue"
    page.wait_for_selector("#review.started")
    page.wait_for_timeout(500)
    assert "VIDEO REVIEW" in page.locator("#review").inner_text()
    _save(page, "overlay-review-started-1920x1080")
    closed = station.post("/api/v1/replay/close", json={"decision": "accepted"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["decision"] == "accepted" and not closed.json()["active"]
    page.wait_for_selector("#review.closed")
    assert "ACCEPTED" in page.locator("#review").inner_text()
    page.wait_for_timeout(500)
    _save(page, "overlay-review-closed-1920x1080")


def test_review_overlay_reacts_to_obs_scene(context, station):
    page = context.new_page()
    # What OBS's browser source provides: window.obsstudio and DOM events.
    page.add_init_script("""window.obsstudio = {pluginVersion: '2.21.0',
        getCurrentScene: (cb) => cb({name: 'LIVE_SCENE', width: 1920, height: 1080})};""")
    page.goto(station.url + "/overlays/review.html")
    page.wait_for_function("() => document.documentElement.classList.contains('in-obs')")
    assert page.locator("#review.hide").count() == 1
    page.evaluate("""() => dispatchEvent(new CustomEvent('obsSceneChanged',
        {detail: {name: 'IVR_SCENE', width: 1920, height: 1080}}))""")
    page.wait_for_selector("#review.started")
    page.evaluate("""() => dispatchEvent(new CustomEvent('obsSceneChanged',
        {detail: {name: 'LIVE_SCENE', width: 1920, height: 1080}}))""")
    page.wait_for_selector("#review.closed")
    # The station's own DOM event (obs-browser emit_event "restrike-review").
    page.evaluate("""() => dispatchEvent(new CustomEvent('restrike-review', {detail: {
        event: 'review_started', active: true, requested_by: 'red',
        review_clock_remaining: 25}}))""")
    page.wait_for_selector("#review.started")
    page.evaluate("""() => dispatchEvent(new CustomEvent('restrike-review', {detail: {
        event: 'review_closed', active: false, decision: 'rejected'}}))""")
    page.wait_for_selector("#review.closed.rejected")
    page.close()


def test_overlay_urls_listed_with_copy(page, context, station):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=station.url)
    page.goto(station.url + "/#/overlays")
    page.wait_for_selector("#overlay-list li")
    ids = page.eval_on_selector_all("#overlay-list li", "ls => ls.map(l => l.dataset.overlay)")
    assert {"scoreboard-broadcast", "scoreboard-minimal", "intro", "review", "winner"} <= set(ids)
    page.click("#overlay-list li[data-overlay='scoreboard-minimal'] button")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == station.url + "/overlays/scoreboard.html?theme=minimal"
    for url in page.eval_on_selector_all("#overlay-list code", "cs => cs.map(c => c.textContent)"):
        assert station.get(url.removeprefix(station.url)).status_code == 200
    shoot(page, "overlays-1920x1080")
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(200)
    shoot(page, "overlays-480x1000")
    page.set_viewport_size(WIDE)


def test_diagnostics_view(page, station):
    page.goto(station.url + "/#/diagnostics")
    page.wait_for_selector("#log li")
    page.wait_for_selector("#diag-versions dd")
    assert "restrike" in page.locator("#diag-versions").inner_text()
    assert '"udp"' in page.locator("#diag-config").inner_text()
    # Level filter: WARNING hides INFO records.
    page.select_option("#log-level", "WARNING")
    page.wait_for_timeout(1500)
    levels = set(page.eval_on_selector_all("#log li", "ls => ls.map(l => l.className)"))
    assert "INFO" not in levels
    page.select_option("#log-level", "INFO")
    page.wait_for_selector("#log li.INFO")
    shoot(page, "diagnostics-1920x1080")
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(200)
    shoot(page, "diagnostics-480x1000")
    page.set_viewport_size(WIDE)


def test_everything_is_served_by_the_station(page, station, played):
    """Works offline: no request leaves the station, no console error, on any page."""
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for view in ("live", "archive", "settings", "diagnostics", "overlays"):
        page.goto(f"{station.url}/#/{view}")
        page.wait_for_selector(f"#view-{view}.active")
        page.wait_for_timeout(400)
    for overlay in ("scoreboard.html?theme=broadcast", "scoreboard.html?theme=minimal",
                    "intro.html", "review.html", "winner.html"):
        page.goto(f"{station.url}/overlays/{overlay}")
        page.wait_for_function("() => window.restrike && window.restrike.client.model.connected")
    foreign = [u for u in requests if not u.startswith((station.url, "data:"))
               and not u.startswith(station.url.replace("http", "ws"))]
    assert not foreign
    # A missing optional route (no replay workflow on plain `restrike run`) is a 404 the
    # page handles; anything else logged as an error is a bug.
    assert not [e for e in errors if "404" not in e], errors
