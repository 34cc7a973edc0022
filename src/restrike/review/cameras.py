"""The cameras of multi-angle review: every OBS with ``role = "angle"`` beside the recording one.

Each angle OBS keeps its own replay buffer. For a match it is given the match folder
(so its saved clips land on the same disk as the recording OBS's and are moved into
``IVR recordings`` by a rename), a file name with the match and its own name (two
cameras saving in the same second must not write one file) and the same replay length;
on a challenge the review saves all of them at once (one ``asyncio.gather`` of
:meth:`Cameras.save`: an angle that fails or is away is reported as missing, the
others go on).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import PurePath

from restrike.errors import RestrikeError
from restrike.review.naming import obs_filename_pattern, safe_component
from restrike.review.ports import ObsLink, ObsPoolView

__all__ = ["Cameras", "SaveResult"]

log = logging.getLogger(__name__)

#: (path or None, wall time the save was sent, seconds it took, error or None)
SaveResult = tuple[str | None, float, float, str | None]


class Cameras:
    """The angle OBS connections of the pool, prepared and saved together."""

    def __init__(self, obs: ObsPoolView | None, *, clock: Callable[[], float],
                 report: Callable[[str], None]) -> None:
        self._obs = obs
        self._clock = clock
        self._report = report
        self._applied: dict[str, tuple[str, str, int]] = {}  # folder, names, length set
        self.replay_started: dict[str, float] = {}  # angle name → its buffer's start

    def links(self) -> list[ObsLink]:
        """The angle connections in configuration order (the recording OBS is not one)."""
        return list(self._obs.for_role("angle")) if self._obs is not None else []

    async def save(self, link: ObsLink, *, timeout_s: float) -> SaveResult:
        """Save one link's replay buffer; a failure is the result's error, never raised
        (the caller gathers every angle's save at once)."""
        sent = self._clock()
        try:
            control = link.control  # ObsUnavailable while that OBS is away
            path = await control.save_replay_buffer(timeout_s=timeout_s)
        except RestrikeError as err:
            return None, sent, self._clock() - sent, str(err)
        return path, sent, self._clock() - sent, None

    async def prepare(self, folder: PurePath, stem: str, seconds: int) -> None:
        """Every angle's replay buffer running into ``folder`` with ``seconds`` kept, its
        files named after the match (``stem``) and the angle."""
        await self._each(lambda link: self._prepare_one(link, folder, stem, seconds))

    async def ensure(self) -> None:
        """Every angle's replay buffer running (after a review, after a reconnect)."""
        await self._each(self._ensure_one)

    async def _each(self, step: Callable[[ObsLink], Awaitable[None]]) -> None:
        links = self.links()
        results = await asyncio.gather(*(step(link) for link in links), return_exceptions=True)
        for link, result in zip(links, results, strict=True):
            if isinstance(result, RestrikeError):
                self._report(f"angle {link.name!r}: {result}")
            elif isinstance(result, BaseException):
                raise result

    async def _prepare_one(self, link: ObsLink, folder: PurePath, stem: str, seconds: int
                           ) -> None:
        control = link.control
        pattern = obs_filename_pattern(f"{stem}_{safe_component(link.name)}")
        wanted = (str(folder), pattern, seconds)
        status = await control.replay_buffer_status()
        if status.active and self._applied.get(link.name) == wanted:
            return
        if status.active:
            await control.stop_replay_buffer()
        await control.set_record_folder(folder)
        await control.set_filename_pattern(pattern)
        await control.set_replay_buffer_seconds(seconds)
        await control.start_replay_buffer()
        self.replay_started[link.name] = self._clock()
        self._applied[link.name] = wanted
        log.info("angle %s: replay buffer of %s s into %s", link.name, seconds, folder)

    async def _ensure_one(self, link: ObsLink) -> None:
        control = link.control
        if not (await control.replay_buffer_status()).active:
            await control.start_replay_buffer()
            self.replay_started[link.name] = self._clock()
