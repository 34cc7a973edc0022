"""Saved review clips through the video analyzers, and the replay moved to the impact.

When the review saves a clip (its ``review`` message on the bus carries ``clip`` and
``start``, where the replay was opened), the analyzers run on a worker thread: the
review has opened the player already and never waits for them. Their findings are
stored (``analysis_findings``) and told to the console (``{"type": "analysis"}``:
the impact and the suggested start at once, with ``moved`` None while the player is
asked, then again with ``moved`` true or false). With
``analysis.seek_to_impact``, the player is asked (`PlayerSeekRequested`, through the
bus: the plugin knows no review nor player) to move to the suggested start; it moves
only while the replay is still in its first ``analysis.seek_within`` seconds, so a
late suggestion never takes the picture from a referee already watching.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restrike.analysis.analyzers import Finding, load_analyzers, read_frames, suggest_start
from restrike.bus import Broadcast, Bus, PlayerSeekRequested
from restrike.errors import RestrikeError
from restrike.kernel import StoreAccess

__all__ = ["ClipAnalyses", "ClipOptions"]

log = logging.getLogger(__name__)

MAX_ANALYSED = 500  # clips remembered as analysed (a clip is analysed once)
#: Seconds to wait for the player's answer to a seek request (it may wait up to 2 s
#: for the clip to load, then seeks); without a player nobody answers.
PLAYER_ANSWER = 10.0


@dataclass(frozen=True, slots=True)
class ClipOptions:
    analyzers: tuple[str, ...]
    seek_to_impact: bool
    seek_within: float


Spawn = Callable[..., Any]  # ctx.create_task(coro, name=...)


class ClipAnalyses:
    """Each saved review clip analysed once, off the loop; what it found stored and told."""

    def __init__(self, bus: Bus, store: StoreAccess, spawn: Spawn,
                 options: Callable[[], ClipOptions]) -> None:
        self._bus, self._store, self._spawn, self._options = bus, store, spawn, options
        self.suggestions: dict[str, float | None] = {}  # clip -> suggested start
        self.moved = 0  # replays the player moved to the impact

    def on_review(self, body: Mapping[str, Any]) -> None:
        """A ``review`` message (on the loop): a clip not seen yet is analysed."""
        clip, start = body.get("clip"), body.get("start")
        if not isinstance(clip, str) or not clip or clip in self.suggestions:
            return
        if not self._options().analyzers:
            return
        if len(self.suggestions) >= MAX_ANALYSED:
            self.suggestions.pop(next(iter(self.suggestions)))
        self.suggestions[clip] = None
        opened_at = float(start) if isinstance(start, int | float) else None
        self._spawn(self._analyse(clip, opened_at), name="analysis-clip")

    async def _analyse(self, clip: str, opened_at: float | None) -> None:
        options = self._options()
        try:
            findings = await asyncio.to_thread(run_analyzers, options.analyzers, Path(clip))
        except RestrikeError as err:
            log.warning("analysis: clip %s not analysed: %s", clip, err)
            return
        start = suggest_start(f for _name, f in findings)
        self.suggestions[clip] = start
        best = max(findings, key=lambda nf: nf[1].score, default=None)
        asking = start is not None and opened_at is not None and options.seek_to_impact
        body: dict[str, Any] = {
            "clip": clip, "suggested_start": start,
            "impact": None if best is None else best[1].at,
            "moved": None if asking else False,  # None: the player is being asked
            "findings": [{"analyzer": n, "at": f.at, "score": f.score, "label": f.label}
                         for n, f in findings]}
        # The banner at once; a body once published is never changed (clients queue it).
        self._bus.publish(Broadcast("analysis", body, coalesce=False))
        if asking:
            assert start is not None and opened_at is not None
            moved = await self._move_player(clip, start, opened_at, options.seek_within)
            body = {**body, "moved": moved}
            self._bus.publish(Broadcast("analysis", body, coalesce=False))
        log.info("analysis: clip %s: impact %s, replay %s", clip,
                 "none" if best is None else f"at {best[1].at:.2f} s",
                 "moved there" if body["moved"] else "left where it was")
        now = time.time()
        rows = [(clip, name, f.at, f.score, f.label, now) for name, f in findings]
        try:
            await asyncio.wrap_future(self._store.call(lambda conn: conn.executemany(
                "INSERT INTO analysis_findings (path, analyzer, at_seconds, score, label, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)", rows)))
        except RestrikeError as err:
            log.warning("analysis: findings of %s not stored: %s", clip, err)

    async def _move_player(self, clip: str, start: float, opened_at: float,
                           within: float) -> bool:
        request = PlayerSeekRequested(clip, start, opened_at, within)
        self._bus.publish(request)
        try:
            moved = await asyncio.wait_for(asyncio.wrap_future(request.done), PLAYER_ANSWER)
        except (TimeoutError, concurrent.futures.CancelledError):  # no player answered
            return False
        self.moved += bool(moved)
        return bool(moved)


def run_analyzers(names: tuple[str, ...], clip: Path) -> list[tuple[str, Finding]]:
    """Every analyzer named over ``clip`` (a worker thread: it decodes the clip)."""
    found: list[tuple[str, Finding]] = []
    for analyzer in load_analyzers(names):
        found += [(analyzer.name, f) for f in analyzer.analyze(read_frames(clip))]
    return found
