"""When the court laptop is in trouble: thresholds over samples (pure; time comes in).

A warning is a sentence an operator can act on. The CPU must stay above its threshold
for a while (a single busy second is normal: a replay opening, a flood of datagrams);
the disk warns below a free size; an OBS warns when it skipped more than a share of
its rendered or encoded frames between two samples (GetStats counts since OBS started,
so only the difference says what happens now).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Thresholds", "Warnings", "hours_left", "skipped_percent"]

_GB = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Thresholds:
    disk_warn_gb: float = 20.0
    cpu_percent: float = 80.0
    cpu_seconds: float = 30.0
    drop_percent: float = 1.0


def hours_left(free_bytes: int, bytes_per_second: float | None) -> float | None:
    """Hours of recording the free space holds at ``bytes_per_second`` (None: unknown)."""
    if not bytes_per_second or bytes_per_second <= 0:
        return None
    return round(free_bytes / bytes_per_second / 3600, 2)


def skipped_percent(before: tuple[int, int] | None, now: tuple[int, int]) -> float | None:
    """Share of frames skipped between two ``(skipped, total)`` counts; None when no
    frame passed (or OBS restarted: the counts went down)."""
    if before is None:
        return None
    skipped, total = now[0] - before[0], now[1] - before[1]
    if total <= 0 or skipped < 0:
        return None
    return round(100 * skipped / total, 2)


class Warnings:
    """Follows the samples; `check` returns the warnings that hold now."""

    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds
        self._cpu_over_since: float | None = None

    def check(self, now: float, cpu_percent: float | None, disk_free: int | None,
              disk_path: str, drops: dict[str, tuple[float | None, float | None]],
              hours: float | None = None) -> list[str]:
        """``drops``: per OBS, the percentages of render and output frames skipped."""
        t = self.thresholds
        out: list[str] = []
        if cpu_percent is not None and cpu_percent > t.cpu_percent:
            if self._cpu_over_since is None:
                self._cpu_over_since = now
            over = now - self._cpu_over_since
            if over >= t.cpu_seconds:
                out.append(f"CPU at {cpu_percent:.0f} % for {over:.0f} s "
                           f"(over {t.cpu_percent:g} %): close other programs")
        else:
            self._cpu_over_since = None
        if disk_free is not None and disk_free < t.disk_warn_gb * _GB:
            left = f", about {hours:.1f} h of recording" if hours is not None else ""
            out.append(f"disk nearly full: {disk_free / _GB:.1f} GB free for {disk_path}"
                       f"{left} (warning below {t.disk_warn_gb:g} GB)")
        for name, (render, output) in drops.items():
            for what, share in (("rendering", render), ("encoding", output)):
                if share is not None and share > t.drop_percent:
                    out.append(f"OBS {name!r} is dropping frames: {share:.1f} % skipped in "
                               f"{what} (over {t.drop_percent:g} %)")
        return out
