"""docs/replay.md names every review route and command; options come from the settings."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from restrike.config import load_settings
from restrike.errors import ConfigError
from restrike.review.api import make_router
from restrike.review.component import Review
from restrike.review.options import ReviewOptions

DOC = Path(__file__).resolve().parents[2] / "docs" / "replay.md"


def test_docs_list_every_route_and_command() -> None:
    text = DOC.read_text(encoding="utf-8")
    router = make_router(object())  # type: ignore[arg-type]
    paths = {getattr(route, "path", "") for route in router.routes}
    missing = [p for p in paths if f"{p}" not in text]
    assert not missing, f"docs/replay.md lacks {missing}"
    for command in ("restrike chapters", "restrike bench replay"):
        assert command in text


def test_options_from_the_settings(tmp_path: Path) -> None:
    settings = load_settings(None, env={})
    options = ReviewOptions.from_settings(settings.review, settings.playback, data_dir=tmp_path)
    assert options.recordings_root == Path(settings.review.recordings_root)
    bare = ReviewOptions.from_settings(SimpleNamespace(recordings_root=None), data_dir=tmp_path)
    assert bare.recordings_root == tmp_path / "recordings" and bare.clip_seconds == 20
    assert (options.clip_seconds, options.ivr_scene, options.live_scene) == (
        20, "IVR_SCENE", "LIVE_SCENE")
    assert options.start_offset == settings.playback.start_offset == 10.0
    assert options.rules.review_seconds == 30 and options.rules.quota == 1
    assert options.mode == "save" and options.hotkey == "F9"
    tail = ReviewOptions.from_settings(settings.review, mode="tail", data_dir=tmp_path)
    assert tail.mode == "tail"
    review = Review.from_settings(settings, data_dir=tmp_path)
    assert review.options == options and review.name == "review"


def test_mode_marker_and_link_are_settings(tmp_path: Path) -> None:
    defaults = load_settings(None, env={}).review
    assert (defaults.mode, defaults.marker_seconds, defaults.link_seconds) == ("save", 5, 20)
    path = tmp_path / "s.toml"
    path.write_text('[review]\nmode = "tail"\nmarker_seconds = 3\n')
    settings = load_settings(path, env={"RESTRIKE_REVIEW_LINK_SECONDS": "12.5"})
    options = ReviewOptions.from_settings(settings.review, data_dir=tmp_path)
    assert (options.mode, options.marker_seconds, options.link_seconds) == ("tail", 3, 12.5)
    assert options.rules.marker_seconds == 3
    path.write_text('[review]\nmode = "live"\n')
    with pytest.raises(ConfigError, match=r"review\.mode"):
        load_settings(path, env={})
