"""Pure rules of the pool: backoff, when to reconnect, settings validation, roles."""

from __future__ import annotations

import itertools

import pytest

from restrike.errors import ConfigError, ObsError
from restrike.obs import Backoff, ObsConnectionSettings, ObsPool
from restrike.obs.pool import should_reconnect


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = list(itertools.islice(Backoff(0.5, 4.0).delays(), 6))
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_reconnect_after_any_loss_but_4011() -> None:
    assert should_reconnect(None)
    assert should_reconnect(1006)
    assert should_reconnect(1001)
    assert should_reconnect(4009)
    assert not should_reconnect(4011)


def test_settings_are_validated() -> None:
    with pytest.raises(ConfigError, match="role"):
        ObsConnectionSettings("a", role="director")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="protocol"):
        ObsConnectionSettings("a", protocol="v3")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="url"):
        ObsConnectionSettings("a", url="http://obs:4455")
    with pytest.raises(ConfigError, match="unique"):
        ObsPool([ObsConnectionSettings("a"), ObsConnectionSettings("a")])
    assert "hunter2" not in repr(ObsConnectionSettings("a", password="hunter2"))


def test_roles_and_lookup() -> None:
    pool = ObsPool([
        ObsConnectionSettings("rec", role="recording"),
        ObsConnectionSettings("live", role="streaming"),
        ObsConnectionSettings("all", role="both"),
    ])
    assert [c.name for c in pool.for_role("recording")] == ["rec", "all"]
    assert [c.name for c in pool.for_role("streaming")] == ["live", "all"]
    assert [c.name for c in pool.for_role("both")] == ["all"]
    assert "rec" in pool and "nope" not in pool
    with pytest.raises(ObsError, match="configured: rec, live, all"):
        pool.get("nope")
    assert [s.connected for s in pool.statuses()] == [False, False, False]
