"""The pure helpers of the web pages (format.js), run in Chromium."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.peers


def test_format_helpers(page, station):
    page.goto(station.url + "/ui/console.css")  # any same-origin page
    out = page.evaluate("""async () => {
        const f = await import('/ui/js/format.js');
        const state = {athletes: [{long_name: 'Kim MIN', country: 'kor'}, {short_name: 'DOE'}]};
        return {
            colours: [f.cssColor('#1F4FD8', 'x'), f.cssColor('-16776961', 'x'),
                      f.cssColor('00ff00', 'x'), f.cssColor('red', 'x'),
                      f.cssColor('url(javascript:1)', 'x'), f.cssColor('', 'x')],
            flags: [f.flagUrl('kor'), f.flagUrl(''), f.flagUrl('../x')],
            empty: f.board(null),
            board: f.board({...state, scores: [3, 1], round: 4,
                            clock: {time: '0:42', running: true}}),
            lines: [
                f.describe({kind: 'point', athlete: 1, args: {technique: 3}}, state),
                f.describe({kind: 'warnings', athlete: 2, args: {count: 2}}, state),
                f.describe({kind: 'challenge', athlete: 2, args: {decision: 1, outcome: 1}}, state),
                f.describe({kind: 'challenge', athlete: 0, args: {}}, state),
                f.describe({kind: 'clock', args: {time: 83, action: 'stop'}}, state),
                f.describe({kind: 'winner', args: {color: 'BLUE'}}, state),
                f.describe({kind: 'invalid', raw: 'x;y', error: 'bad'}, state),
            ],
            time: f.timeOf(0).length,
        };
    }""")
    assert out["colours"] == ["#1F4FD8", "#0000ff", "#00ff00", "red", "x", "x"]
    assert out["flags"] == ["/flags/KOR.svg", "/flags/XXX.svg", "/flags/XXX.svg"]
    assert out["empty"]["sides"][0]["name"] == "Blue" and out["empty"]["clock"] == "-:--"
    board = out["board"]
    assert board["sides"][0]["ioc"] == "KOR" and board["sides"][1]["name"] == "DOE"
    assert board["sides"][0]["score"] == 3 and board["running"] is True
    assert out["lines"] == [
        "Point Kim MIN: head", "Gam-jeom DOE: 2", "Challenge by DOE: accepted, won",
        "Challenge by referee: requested", "Clock 1:23 stop", "Winner: blue", "Invalid: bad"]
    assert out["time"] == len("00:00:00.000")
