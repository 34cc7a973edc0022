"""Multi-angle review in the console: the archive's per-clip angle links and the live
view's angle buttons, against a real station whose mpv (headless) plays the angles.

No OBS here: the clip of a simulated match and its angles are written into the
station's own SQLite file (the rows the review archive writes after a multi-angle
save), the angle files are copies of a real test clip in the recordings folder, and
the live view gets the station's own /ws/live messages plus a ``review`` message with
the real review body and its angles (what a multi-angle review sends).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tomllib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, WebSocketRoute

from restrike.store.component import DB_FILE
from tests.helpers import wait_until_sync
from tests.peers.mpv import clip, require_mpv  # noqa: F401
from tests.ui.conftest import ConsoleStation, open_live, shoot

pytestmark = pytest.mark.peers

ANGLES = (("rec", 0.0), ("cam2", -0.4))
MISSING = ("cam3", "OBS 'cam3' is not connected")


@pytest.fixture(scope="module")
def angle_station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStation]:
    """A station with its own headless mpv (the console's playback acts on it)."""
    require_mpv()
    root = tmp_path_factory.mktemp("ui-angles")
    config = root / "restrike.toml"
    config.write_text('[playback]\nextra_args = ["--vo=null", "--ao=null", "--no-config"]\n',
                      encoding="utf-8")
    proc = ConsoleStation(root / "data", config)
    proc.playback = True
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def angle_page(context: Any) -> Iterator[Page]:
    pg: Page = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    pg.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def file_clip_with_angles(station: ConsoleStation, source: Path) -> dict[str, Any]:
    """A simulated match, and one clip of it with two saved angles and one missing, as
    the review archive stores them (``clips`` and ``clip_angles``)."""
    station.simulate("demo", "--scenario", "basic", "--speed", "400", "--seed", "18")
    match = station.get("/api/v1/matches").json()["matches"][0]
    folder = station.data_dir / "recordings" / "IVR recordings"
    folder.mkdir(parents=True)
    paths = []
    for name, _ in ANGLES:
        target = folder / f"m{match['number']}_review1_blue_{name}.mp4"
        shutil.copyfile(source, target)
        paths.append(str(target.resolve()))
    at = datetime.fromisoformat(match["loaded_at"].replace("Z", "+00:00")).timestamp() + 5
    with sqlite3.connect(station.data_dir / DB_FILE, timeout=10) as db:
        clip_id = db.execute(
            "INSERT INTO clips (review, run, day, match, requested_by, source, athlete, "
            "requested_at, path, clip_start, clip_end, decision, error) "
            "VALUES (1, 'ui-angles', ?, ?, 'blue', 'udp', 1, ?, ?, ?, ?, 'rejected', ?)",
            (match["day"], match["number"], at, paths[0], at - 20, at,
             f"angle missing: {MISSING[0]} ({MISSING[1]})")).lastrowid
        rows: list[tuple[object, ...]] = [
            (clip_id, i, name, name, path, offset, None)
            for i, ((name, offset), path) in enumerate(zip(ANGLES, paths, strict=True))]
        rows.append((clip_id, len(ANGLES), MISSING[0], MISSING[0], None, 0.0, MISSING[1]))
        db.executemany('INSERT INTO clip_angles (clip_id, position, name, obs_name, path, '
                       '"offset", error) VALUES (?, ?, ?, ?, ?, ?, ?)', rows)
    db.close()
    return {"match": match, "paths": paths, "clip_start": at - 20}


def epoch(value: float | str) -> float:
    """An API time (seconds or ISO 8601) as seconds since the epoch."""
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def playback(station: ConsoleStation) -> dict[str, Any]:
    status: dict[str, Any] = station.get("/api/v1/playback").json()
    return status


def test_archive_angle_links_and_live_angle_buttons(angle_page, angle_station, clip):  # noqa: F811
    page, station = angle_page, angle_station
    filed = file_clip_with_angles(station, clip)
    match, paths = filed["match"], filed["paths"]
    (stored,) = station.get("/api/v1/clips").json()
    assert [a["name"] for a in stored["angles"]] == ["rec", "cam2"]

    # The archive: the clip's row lists every angle, the missing one with its reason.
    page.goto(station.url + "/#/archive")
    page.click(f"#archive-tree .match-btn[data-match='{match['id']}']")
    row = page.locator("#clips tbody tr").filter(has_text="All angles")
    row.wait_for()
    missing = row.locator(f"span.muted:has-text('{MISSING[0]} missing')")
    assert missing.get_attribute("title") == MISSING[1]
    # Each angle downloads by its link (the station serves the file) ...
    link = row.locator("a", has_text="cam2")
    href = link.get_attribute("href")
    assert href is not None and link.get_attribute("title") == paths[1]
    download = httpx.get(station.url + href, timeout=10)
    assert download.status_code == 200 and len(download.content) == clip.stat().st_size
    shoot(page, "archive-angles-1920x1080")
    # ... "All angles" plays them together in the station's mpv ...
    with page.expect_response(lambda r: r.url.endswith("/api/v1/playback/open_angles")) as info:
        row.locator("button", has_text="All angles").click()
    assert info.value.status == 200, info.value.text()
    sent = info.value.request.post_data_json
    assert sent["angles"] == [{"path": p, "offset": o}
                              for p, (_, o) in zip(paths, ANGLES, strict=True)]
    wait_until_sync(lambda: playback(station)["angles"] == 2, 15, "two angles in mpv")
    assert playback(station)["file"] == paths[0]
    # ... and one angle's Play opens that file alone.
    with page.expect_response(lambda r: r.url.endswith("/api/v1/playback/open")) as info:
        row.locator("span", has_text="cam2").locator("button", has_text="Play").click()
    assert info.value.status == 200, info.value.text()
    wait_until_sync(lambda: playback(station)["file"] == paths[1], 15, "cam2's file in mpv")
    assert playback(station)["angles"] <= 1

    # The match timeline plays a marker in the chosen angle: cam2's own second (the
    # clip's common second minus cam2's offset), or every angle from the common second.
    choice = page.locator("#timeline-angle")
    assert choice.locator("option").all_inner_texts() == [
        "the match recording", "every angle together", "angle rec", "angle cam2"]
    marker = page.locator("#timeline .marker").first
    event_id = int(marker.get_attribute("data-event") or 0)
    (event,) = [e for e in station.get(f"/api/v1/matches/{match['id']}").json()["events"]
                if e["id"] == event_id]
    common = epoch(event["received_at"]) - filed["clip_start"]  # its second in the clip
    assert 0 < common < 20
    choice.select_option(label="angle cam2")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/playback/open")) as info:
        marker.click()
    assert info.value.status == 200, info.value.text()
    sent = info.value.request.post_data_json
    assert sent["path"] == paths[1]
    assert sent["start"] == pytest.approx(max(0.0, common - ANGLES[1][1] - 2), abs=0.11)
    choice.select_option(label="every angle together")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/playback/open_angles")) as info:
        marker.click()
    assert info.value.status == 200, info.value.text()
    sent = info.value.request.post_data_json
    assert [a["path"] for a in sent["angles"]] == paths
    assert sent["start"] == pytest.approx(max(0.0, common - 2), abs=0.11)

    def at_the_marker() -> bool:
        status = playback(station)
        position = status["position"]
        return status["angles"] == 2 and position is not None \
            and abs(position - sent["start"]) <= 2.0

    wait_until_sync(at_the_marker, 15, "every angle from the marker's second")

    # The live view during a multi-angle review: a button per angle switches mpv.
    opened = station.post("/api/v1/playback/open_angles", json={
        "angles": [{"path": p, "offset": o} for p, (_, o) in zip(paths, ANGLES, strict=True)]})
    assert opened.status_code == 200, opened.text
    review = {**station.get("/api/v1/review").json(), "id": 1, "active": True,
              "requested_by": "blue", "clip": paths[0],
              "angles": [{"name": n, "path": p, "offset": o}
                         for p, (n, o) in zip(paths, ANGLES, strict=True)],
              "missing_angles": [{"name": MISSING[0], "error": MISSING[1]}],
              "error": f"angle missing: {MISSING[0]} ({MISSING[1]})"}

    def live_socket(ws: WebSocketRoute) -> None:
        """/ws/live as the station sends it, and the review after its snapshot."""
        server = ws.connect_to_server()

        def forward(message: str | bytes) -> None:
            ws.send(message)
            if isinstance(message, str) and json.loads(message).get("type") == "snapshot":
                ws.send(json.dumps({"type": "review", "review": review}))

        server.on_message(forward)

    page.route_web_socket("**/ws/live*", live_socket)
    open_live(page, station)
    page.reload()  # the console's socket opened before the route: open it through it
    page.wait_for_selector("#st-ws .dot.ok")
    buttons = page.locator("#angle-buttons button")
    buttons.filter(has_text="cam3").wait_for()  # rendered once the review is read
    assert buttons.all_inner_texts() == ["All", "1 rec", "2 cam2", "cam3 (missing)"]
    gone = buttons.filter(has_text="cam3")
    assert gone.is_disabled() and gone.get_attribute("title") == MISSING[1]
    # The missing angle is a warning banner; the review goes on with the others.
    banner = page.locator("#banners .banner.error")
    banner.wait_for()
    assert f"angle missing: {MISSING[0]}" in banner.inner_text()
    shoot(page, "live-angles-1920x1080")
    for label, angle in (("2 cam2", 2), ("1 rec", 1), ("All", None)):
        with page.expect_response(lambda r: r.url.endswith("/api/v1/playback/angle")) as info:
            buttons.filter(has_text=label).click()
        assert info.value.status == 200, info.value.text()
        assert info.value.request.post_data_json == {"angle": angle}
        status = playback(station)
        shown = 2 if angle is None else 1  # the grid, or that angle alone
        assert status["angle"] == angle and status["angles"] == shown, status


def test_angle_names_and_order_in_the_obs_settings(angle_page, angle_station):
    """The console names a camera angle and moves it up; the file keeps it and the
    running pool takes it at once (GET /api/v1/obs: its order and angle names)."""
    page, station = angle_page, angle_station
    seeded = httpx.put(station.url + "/api/v1/settings", timeout=10, json={"values": {"obs": [
        {"name": "rec", "url": "ws://127.0.0.1:1", "role": "recording"},
        {"name": "cam2", "url": "ws://127.0.0.1:1", "role": "angle"}]}})
    assert seeded.status_code == 200, seeded.text
    try:
        page.goto(station.url + "/#/settings")
        page.wait_for_selector("#obs-list tr[data-obs='cam2']")
        # A third camera, added as an angle.
        page.fill("#obs-new-name", "cam3")
        page.fill("#obs-new-url", "ws://127.0.0.1:1")
        page.select_option("#obs-new-role", "angle")
        page.click("#btn-obs-add")
        page.wait_for_selector("#obs-list tr[data-obs='cam3']")
        # cam2 named, cam3 moved up: each a save of the whole list.
        with page.expect_response(lambda r: r.url.endswith("/api/v1/settings")
                                  and r.request.method == "PUT") as info:
            page.fill("#obs-list tr[data-obs='cam2'] input.angle-name", "Corner blue")
            page.press("#obs-list tr[data-obs='cam2'] input.angle-name", "Enter")
        assert info.value.status == 200, info.value.text()
        with page.expect_response(lambda r: r.url.endswith("/api/v1/settings")
                                  and r.request.method == "PUT") as info:
            page.click("#obs-list tr[data-obs='cam3'] button[aria-label='Move cam3 up']")
        assert info.value.status == 200, info.value.text()
        page.wait_for_selector("#obs-list tr:nth-child(2)[data-obs='cam3']")
        assert page.input_value("#obs-list tr[data-obs='cam2'] input.angle-name") \
            == "Corner blue"
        saved = tomllib.loads(station.config_file.read_text(encoding="utf-8"))["obs"]
        assert [(o["name"], o.get("angle_name")) for o in saved] == [
            ("rec", None), ("cam3", None), ("cam2", "Corner blue")]

        def running() -> list[tuple[str, str | None]]:
            return [(o["name"], o["angle"]) for o in station.get("/api/v1/obs").json()]

        want = [("rec", "rec"), ("cam3", "cam3"), ("cam2", "Corner blue")]
        wait_until_sync(lambda: running() == want, 15, "the pool in the new order")
        # A name another camera has is refused, with the reason.
        page.fill("#obs-list tr[data-obs='cam3'] input.angle-name", "Corner blue")
        page.press("#obs-list tr[data-obs='cam3'] input.angle-name", "Enter")
        page.wait_for_selector("#obs-msg .error-text:has-text('used twice')")
        assert running() == want
    finally:
        httpx.put(station.url + "/api/v1/settings", timeout=10, json={"values": {"obs": []}})
