"""Locating mpv, its command line and the playback settings table (no mpv started)."""

from __future__ import annotations

from pathlib import Path

import pytest

from restrike.errors import ConfigError, PlayerError
from restrike.playback import MpvPlayer, PlaybackSettings
from restrike.playback.process import build_argv, default_candidates, find_mpv
from restrike.playback.settings import settings_table


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


def test_settings_from_mapping_validates_and_names_keys() -> None:
    s = PlaybackSettings.from_mapping(
        {"mpv_path": "C:/mpv/mpv.exe", "screen": 2, "start_offset": 8}
    )
    assert (s.mpv_path, s.screen, s.start_offset) == ("C:/mpv/mpv.exe", 2, 8.0)
    with pytest.raises(ConfigError, match=r"station.toml: unknown setting playback\.scren"):
        PlaybackSettings.from_mapping({"scren": 1}, source="station.toml")
    with pytest.raises(ConfigError, match=r"playback\.fullscreen must be true or false"):
        PlaybackSettings.from_mapping({"fullscreen": "yes"})
    with pytest.raises(ConfigError, match=r"playback\.start_offset"):
        PlaybackSettings(start_offset=-1)


def test_settings_table_documents_every_field() -> None:
    names = [row[0] for row in settings_table()]
    assert "playback.mpv_path" in names and "playback.start_offset" in names
    assert all(row[3] for row in settings_table())
    docs = Path(__file__).parents[2] / "docs" / "playback.md"
    if docs.exists():
        text = docs.read_text(encoding="utf-8")
        assert [n for n in names if f"`{n}`" not in text] == []


def test_from_station_section_maps_empty_path_to_search() -> None:
    from restrike.config.table import PlaybackSettings as StationPlayback

    section = StationPlayback(screen=1, fullscreen=True, extra_args=("--hwdec=no",))
    s = PlaybackSettings.from_station(section, vo="null")
    assert (s.mpv_path, s.screen, s.fullscreen, s.extra_args, s.vo) == (
        None, 1, True, ("--hwdec=no",), "null"
    )  # fmt: skip
