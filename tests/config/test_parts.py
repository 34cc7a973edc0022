"""The parts' own settings dataclasses against the table: same names, types and defaults.

`restrike.playback` and `restrike.obs` keep plain dataclasses (they import nothing of
`restrike.config`); these tests are what keeps them from drifting from the one
declaration in `restrike.config.table`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, get_args

import pytest

from restrike.config import ObsConnectionSettings as ObsEntry
from restrike.config import PlaybackSettings as PlaybackSection
from restrike.config import load_settings, setting
from restrike.errors import ConfigError
from restrike.obs import settings as obs
from restrike.playback import settings as playback


def _fields(cls: type[Any]) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(cls)}


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None  # required (the table says `(required)` with a None default)


def test_the_players_settings_are_the_playback_section() -> None:
    table, part = _fields(PlaybackSection), _fields(playback.PlaybackSettings)
    # `enabled` decides whether the station has a player; the player never sees it.
    assert set(table) - {"enabled"} == set(playback.SETTING_FIELDS)
    for name in playback.SETTING_FIELDS:
        assert part[name].type == table[name].type, name
        assert _default(part[name]) == _default(table[name]), name
    driving = set(part) - set(playback.SETTING_FIELDS)
    assert driving and not driving & set(table)


def test_an_obs_connection_is_an_obs_entry() -> None:
    table, part = _fields(ObsEntry), _fields(obs.ObsConnectionSettings)
    assert list(table) == list(obs.SETTING_FIELDS)
    assert list(part)[:len(table)] == list(table)  # same order: positional use stays right
    for name in obs.SETTING_FIELDS:
        row = setting(f"obs[].{name}")
        if row.choices is not None:  # the part types them as Literal aliases
            alias = {"role": obs.ObsRole, "protocol": obs.ObsProtocol}[name]
            assert row.choices == get_args(alias), name
        else:
            assert part[name].type == table[name].type, name
        assert _default(part[name]) == _default(table[name]), name
    assert set(part) - set(table) == {"request_timeout", "connect_timeout"}  # no settings


def _not_default(row_name: str) -> Any:
    """A valid value different from the default, for every kind the two parts use."""
    row = setting(row_name)
    if row.kind == "bool":
        return not row.default
    if row.choices:
        return next(c for c in row.choices if c != row.default)
    return {"int": 3, "float": 7.5, "list": ["--hwdec=no"]}.get(row.kind)


def test_from_settings_copies_every_setting_unconverted() -> None:
    values = {f"playback.{name}": _not_default(f"playback.{name}")
              for name in playback.SETTING_FIELDS}
    values |= {"playback.mpv_path": "/opt/mpv", "playback.geometry": "50%x50%+0+0",
               "obs": [{"name": "rec", "url": "wss://obs.example:443", "password": "pw",
                        "role": "recording", "protocol": "v4", "angle_name": "Mat side"}]}
    settings = load_settings(None, values, env={})
    player = playback.PlaybackSettings.from_settings(settings.playback, vo="null")
    for name in playback.SETTING_FIELDS:
        assert getattr(player, name) == getattr(settings.playback, name) != \
            getattr(playback.PlaybackSettings(), name), name
    assert player.vo == "null"
    [entry] = settings.obs
    connection = obs.ObsConnectionSettings.from_settings(entry, connect_timeout=0.5)
    assert [getattr(connection, n) for n in obs.SETTING_FIELDS] == \
        ["rec", "wss://obs.example:443", "pw", "recording", "v4", "Mat side"]
    assert connection.connect_timeout == 0.5


def test_a_bad_entry_is_refused_with_its_source_before_the_part_sees_it() -> None:
    with pytest.raises(ConfigError, match=r"obs\[0\]\.protocol \(environment variable "
                                          r"RESTRIKE_OBS\): must be one of auto, v5, v4"):
        load_settings(env={"RESTRIKE_OBS": '[{name = "a", protocol = "v3"}]'})
