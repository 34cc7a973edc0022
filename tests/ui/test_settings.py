"""Settings: validated through restrike.config, errors shown next to the field."""

from __future__ import annotations

import tomllib

import pytest

from tests.ui.conftest import NARROW, WIDE, shoot

pytestmark = pytest.mark.peers


def test_settings_errors_are_shown_and_valid_changes_saved(page, station):
    page.goto(station.url + "/#/settings")
    page.wait_for_selector(".field[data-name='udp.port'] input")
    # The interface picker lists this machine's IPv4 interfaces.
    options = page.eval_on_selector_all(".field[data-name='udp.host'] option",
                                        "os => os.map(o => o.value)")
    assert "0.0.0.0" in options and "127.0.0.1" in options
    # The page edits the file; a value the command line overrides says so.
    assert page.input_value(".field[data-name='udp.host'] select") == "0.0.0.0"
    note = page.locator(".field[data-name='udp.host']").inner_text()
    assert '"127.0.0.1"' in note and "command-line option --udp-host" in note

    before = station.config_file.read_text()
    page.fill(".field[data-name='udp.port'] input", "70000")
    page.fill(".field[data-name='review.quota'] input", "150")
    page.click("#btn-save-settings")
    err = page.locator(".field[data-name='udp.port'] .err")
    err.wait_for()
    assert "between 1 and 65535" in err.inner_text()
    quota = page.locator(".field[data-name='review.quota'] .err").inner_text()
    assert "between 0 and 99" in quota
    assert "Not saved" in page.locator("#settings-msg").inner_text()
    assert station.config_file.read_text() == before
    shoot(page, "settings-error-1920x1080")
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(200)
    shoot(page, "settings-error-480x1000")
    page.set_viewport_size(WIDE)

    # Valid values are written to the TOML file; the log level applies at once.
    page.fill(".field[data-name='udp.port'] input", "6123")
    page.fill(".field[data-name='review.quota'] input", "2")
    page.select_option(".field[data-name='log.level'] select", "WARNING")
    page.click("#btn-save-settings")
    page.wait_for_selector("#settings-msg .ok-text")
    msg = page.locator("#settings-msg").inner_text()
    assert "Applied now: log.level" in msg and "udp.port" in msg
    saved = tomllib.loads(station.config_file.read_text())
    assert saved["udp"]["port"] == 6123 and saved["review"]["quota"] == 2
    assert saved["log"]["level"] == "WARNING"
    page.select_option(".field[data-name='log.level'] select", "INFO")
    page.click("#btn-save-settings")
    page.wait_for_selector("#settings-msg:has-text('Applied now: log.level')")

    # OBS connections: a bad URL is refused with the reason.
    page.fill("#obs-new-name", "court1")
    page.fill("#obs-new-url", "http://127.0.0.1:4455")
    page.click("#btn-obs-add")
    page.wait_for_selector("#obs-msg .error-text")
    assert "ws://" in page.locator("#obs-msg").inner_text()
    page.fill("#obs-new-url", "ws://127.0.0.1:1")
    page.click("#btn-obs-add")
    page.wait_for_selector("#obs-list tr[data-obs='court1']")
    page.click("#obs-list tr[data-obs='court1'] button:has-text('Test')")
    page.wait_for_selector("#obs-msg .error-text:has-text('cannot reach OBS')", timeout=15000)
    page.click("#obs-list tr[data-obs='court1'] button:has-text('Remove')")
    page.wait_for_selector("#obs-list p.muted")


def test_protocol_editor_shows_the_line_of_an_error(page, station):
    page.goto(station.url + "/#/settings")
    page.wait_for_function("() => document.getElementById('protocol-text').value.length > 100")
    text = page.input_value("#protocol-text")
    lines = text.split("\n")
    bad_line = 40
    lines.insert(bad_line - 1, "message pt9 nonsense athlete=x")
    page.fill("#protocol-text", "\n".join(lines))
    page.click("#btn-protocol-check")
    msg = page.locator("#protocol-msg .error-text")
    msg.wait_for()
    assert msg.inner_text().startswith(f"Line {bad_line}:")
    assert page.locator("#protocol-gutter .bad").inner_text() == str(bad_line)
    shoot(page, "settings-protocol-error-1920x1080")
    # The shipped text passes the check and can be saved as this station's custom file.
    page.fill("#protocol-text", text)
    page.click("#btn-protocol-check")
    page.wait_for_selector("#protocol-msg .ok-text:has-text('Valid')")
    page.click("#btn-protocol-save")
    page.wait_for_selector("#protocol-msg .ok-text:has-text('Saved')")
    saved = tomllib.loads(station.config_file.read_text())
    custom = saved["station"]["protocol_file"]
    assert custom.endswith("protocol.wtp")
    # Back to the shipped definition.
    page.click("#btn-protocol-reset")
    page.wait_for_selector("#protocol-source:has-text('Shipped definition')")
    assert "protocol_file" not in tomllib.loads(station.config_file.read_text()).get("station", {})
