"""``restrike`` with the replay workflow (issue 6's ``Review`` component) on the station.

`restrike run` does not add the Review component yet; this adds it, headless (no OBS,
no mpv, no global hotkey), exactly as a component is plugged in (`station.add` before
start), unless the station already has one. Then the real CLI runs.
Run as ``python tests/ui/review_launcher.py run --no-browser ...``.
"""

from __future__ import annotations

from typing import Any


def _patch() -> None:
    from restrike.review.component import Review
    from restrike.review.options import ReviewOptions
    from restrike.station import Station

    original = Station.start

    async def start(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.get("review") is None:
            options = ReviewOptions(recordings_root=self.config.data_dir / "recordings",
                                    hotkey=None)
            self.add(Review(options))
        return await original(self, *args, **kwargs)

    Station.start = start  # type: ignore[method-assign]


if __name__ == "__main__":
    _patch()
    from restrike.cli import main

    main()
