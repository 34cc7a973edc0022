"""The monitor's thresholds over samples (pure)."""

from __future__ import annotations

from restrike.monitor import Thresholds, Warnings, hours_left, skipped_percent

GB = 1_000_000_000


def test_cpu_warns_only_after_staying_high() -> None:
    rules = Warnings(Thresholds(cpu_percent=80, cpu_seconds=30))
    assert rules.check(0.0, 95.0, None, "/rec", {}) == []
    assert rules.check(29.0, 95.0, None, "/rec", {}) == []
    [warning] = rules.check(31.0, 90.0, None, "/rec", {})
    assert warning.startswith("CPU at 90 % for 31 s")
    assert rules.check(32.0, 50.0, None, "/rec", {}) == []  # a dip starts again
    assert rules.check(40.0, 95.0, None, "/rec", {}) == []


def test_disk_warns_below_the_threshold_with_hours_left() -> None:
    rules = Warnings(Thresholds(disk_warn_gb=20))
    assert rules.check(0.0, None, 21 * GB, "/rec", {}) == []
    [warning] = rules.check(0.0, None, 19 * GB, "/rec", {}, hours_left(19 * GB, 1_250_000))
    assert "19.0 GB free for /rec" in warning and "about 4.2 h of recording" in warning


def test_obs_dropping_frames() -> None:
    rules = Warnings(Thresholds(drop_percent=1.0))
    assert rules.check(0.0, None, None, "/rec", {"rec": (0.5, None)}) == []
    [warning] = rules.check(0.0, None, None, "/rec", {"rec": (0.5, 3.0)})
    assert warning == "OBS 'rec' is dropping frames: 3.0 % skipped in encoding (over 1 %)"


def test_skipped_frames_between_two_samples() -> None:
    assert skipped_percent(None, (5, 100)) is None
    assert skipped_percent((5, 100), (8, 200)) == 3.0
    assert skipped_percent((5, 100), (5, 100)) is None  # no frame: nothing to say
    assert skipped_percent((5, 100), (0, 10)) is None  # OBS restarted


def test_hours_left() -> None:
    assert hours_left(36 * GB, 1_000_000) == 10.0
    assert hours_left(36 * GB, None) is None
