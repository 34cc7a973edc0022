"""Locating mpv, its command line and the player's settings (no mpv started)."""

from __future__ import annotations

from pathlib import Path

import pytest

from restrike.config import load_settings
from restrike.errors import ConfigError, PlayerError
from restrike.playback import MpvPlayer, PlaybackSettings
from restrike.playback.process import build_argv, default_candidates, find_mpv


def test_missing_mpv_names_the_setting(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-mpv")
    with pytest.raises(PlayerError, match=r"mpv not found at .*no-such-mpv.*playback\.mpv_path"):
        find_mpv(missing)


async def test_player_start_with_missing_mpv_raises(tmp_path: Path) -> None:
    player = MpvPlayer(PlaybackSettings(mpv_path=str(tmp_path / "mpv")))
    with pytest.raises(PlayerError, match=r"playback\.mpv_path"):
        await player.start()
    assert not player.status().alive
    await player.aclose()


def test_empty_path_searches_the_platform_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(PlayerError, match=r"looked for mpv.*set playback\.mpv_path"):
        find_mpv(None, platform="linux")
    assert default_candidates("win32")[0] == "mpv.exe"
    assert default_candidates("win32")[-1].endswith("mpv.exe")
    assert "Program Files" in default_candidates("win32")[-1]


def test_argv_carries_every_setting() -> None:
    settings = PlaybackSettings(
        screen=1, fullscreen=True, geometry="960x540+0+0", ontop=True, vo="null", ao="null",
        use_config=False, extra_args=("--hwdec=no",),
    )  # fmt: skip
    argv = build_argv(Path("/usr/bin/mpv"), settings, "/tmp/s.sock")
    assert argv[0] == "/usr/bin/mpv"
    expected = [
        "--no-config", "--idle=yes", "--keep-open=yes", "--force-window=yes",
        "--input-ipc-server=/tmp/s.sock", "--fs", "--screen=1", "--fs-screen=1",
        "--geometry=960x540+0+0", "--ontop", "--vo=null", "--ao=null", "--hwdec=no",
    ]  # fmt: skip
    assert [arg for arg in expected if arg not in argv] == []
    one_shot = build_argv(Path("mpv"), PlaybackSettings(), "x", file="-clip.mp4", start=10)
    assert one_shot[-3:] == ["--start=10.000", "--", "-clip.mp4"]


def test_playback_values_are_checked_once_by_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "station.toml"
    path.write_text('[playback]\nmpv_path = "C:/mpv/mpv.exe"\nscreen = 2\nstart_offset = 8\n'
                    'geometry = "960x540+0+0"\n')
    s = PlaybackSettings.from_settings(load_settings(path, env={}).playback)
    assert (s.mpv_path, s.screen, s.start_offset, s.geometry) == (
        "C:/mpv/mpv.exe", 2, 8.0, "960x540+0+0")  # fmt: skip
    path.write_text("[playback]\nscren = 1\n")
    with pytest.raises(ConfigError, match=r"station.toml: unknown setting playback\.scren"):
        load_settings(path, env={})
    for bad, name in [('fullscreen = "yes"', "playback.fullscreen"),
                      ("start_offset = -1", "playback.start_offset"),
                      ('geometry = "big"', "playback.geometry")]:
        path.write_text(f"[playback]\n{bad}\n")
        with pytest.raises(ConfigError, match=rf"{name}.*station.toml"):
            load_settings(path, env={})


def test_every_field_is_documented() -> None:
    import dataclasses

    text = (Path(__file__).parents[2] / "docs" / "playback.md").read_text(encoding="utf-8")
    names = [f.name for f in dataclasses.fields(PlaybackSettings)]
    assert [n for n in names if f"`{n}`" not in text] == []


def test_from_settings_copies_the_section_and_takes_the_driving_fields() -> None:
    section = load_settings(None, {"playback.screen": 1, "playback.fullscreen": True,
                                   "playback.extra_args": ["--hwdec=no"]}, env={}).playback
    s = PlaybackSettings.from_settings(section, vo="null")
    assert (s.mpv_path, s.screen, s.fullscreen, s.extra_args, s.vo) == (
        "", 1, True, ("--hwdec=no",), "null"
    )  # fmt: skip
