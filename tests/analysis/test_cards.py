"""Title cards with the athletes' flags: a reel's first frame decoded and its pixels read
where the flags should be (the shipped IOC flags, rendered by ffmpeg's SVG decoder)."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from restrike.analysis.cards import CardLayout
from restrike.analysis.ffmpeg import Tools
from restrike.analysis.highlights import ReelRequest, build_reel
from restrike.analysis.reels import Matchup, Moment

Pixel = tuple[int, int, int]
NAVY = (0x14, 0x21, 0x3D)


def _frames_at(path: Path, times: list[float]) -> list[tuple[int, bytes]]:
    """(row length in bytes, RGB bytes) of the first frame at or after each time."""
    out = []
    with av.open(str(path)) as container:
        for at in times:
            for frame in container.decode(video=0):
                if frame.time is not None and frame.time >= at:
                    plane = frame.reformat(format="rgb24").planes[0]
                    out.append((plane.line_size, bytes(plane)))
                    break
    return out


def _pixel(frame: tuple[int, bytes], x: int, y: int) -> Pixel:
    stride, data = frame
    at = y * stride + 3 * x
    return data[at], data[at + 1], data[at + 2]


def _near(pixel: Pixel, colour: Pixel, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


@pytest.fixture(scope="module")
def cards(tools: Tools, recording: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> list[tuple[int, bytes]]:
    """One reel of two matches (one reel build: ffmpeg runs are what costs): JPN (blue)
    vs GER (red), then ZZZ (no such flag) vs no country at all. The first frame of
    each match's title card."""
    folder = tmp_path_factory.mktemp("cards")
    pairs = [("JPN", "GER"), ("ZZZ", "")]
    moments = [Moment(Matchup(i, str(7 + i), "SATO Ren", blue, "Max MUSTER", red, (9, 4),
                              "PTF"), str(recording), 5.0 + 10 * i, "head kick", 0.6, 5.0 + i)
               for i, (blue, red) in enumerate(pairs)]
    reel = build_reel(tools, moments, ReelRequest(before=1, after=1, title_seconds=1),
                      folder / "reel.mp4", flags_dir=folder / "no-custom-flags")
    starts = [at for at, title in reel.chapters if title.startswith("Match ")]
    assert len(starts) == 2 and len(reel.chapters) == 4, reel.chapters
    return _frames_at(folder / "reel.mp4", [t + 0.1 for t in starts])


def test_each_athlete_has_their_flag_on_their_side(cards: list[tuple[int, bytes]]) -> None:
    frame = cards[0]
    layout = CardLayout(320, 240)  # the recording's size
    top, height, width = layout.flag_top, layout.flag_height, layout.flag_width
    blue_x, red_x = layout.flag_centre_x("blue"), layout.flag_centre_x("red")
    # Japan on the left: a white field, the red disc in its centre.
    assert _near(_pixel(frame, blue_x - width // 2 + 4, top + 4), (255, 255, 255))
    assert _near(_pixel(frame, blue_x, top + height // 2), (188, 0, 45))
    # Germany on the right: black, red, gold bands.
    assert _near(_pixel(frame, red_x, top + height // 6), (0, 0, 0))
    assert _near(_pixel(frame, red_x, top + height // 2), (221, 0, 0))
    assert _near(_pixel(frame, red_x, top + height * 5 // 6), (255, 206, 0))
    # Between them the card's background, outside the flags.
    assert _near(_pixel(frame, 4, top + height // 2), NAVY, 12)


def test_a_country_without_a_flag_shows_its_code(cards: list[tuple[int, bytes]]) -> None:
    frame = cards[1]
    layout = CardLayout(320, 240)
    top, height, width = layout.flag_top, layout.flag_height, layout.flag_width
    for side, code in (("blue", "ZZZ"), ("red", "")):
        left = layout.flag_centre_x(side) - width // 2
        area = [_pixel(frame, x, y) for x in range(left, left + width, 2)
                for y in range(top, top + height, 2)]
        white = sum(_near(p, (255, 255, 255), 60) for p in area)
        navy = sum(_near(p, NAVY, 12) for p in area)
        assert navy > len(area) // 2, side  # no flag drawn there
        if code:  # the code's letters, in white, where the flag would be
            assert white > len(area) // 20, (side, white)
        else:  # no code at all: nothing there
            assert white == 0, (side, white)
