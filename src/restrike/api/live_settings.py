"""Settings the console can change while the station runs, and the protocol swap.

The console's settings page saves every change to the file; the ``apply`` hook below
then applies at once what the running station can take without a restart, and the
page reports the rest as "restart needed":

* ``log.level``, ``log.levels``: the console applies them itself;
* ``review.*`` (clip length, scene names, quota, review time, marker and link seconds,
  mode) and ``playback.start_offset``: the review component's options are replaced
  whole (one attribute assignment on the loop), so the next step of the workflow sees
  the new values; the OBS replay-buffer length follows the new clip length from the
  next match (when the recording is prepared);
* ``playback.start_offset``, ``playback.fullscreen``: the player's settings are
  replaced, and fullscreen is switched in the running mpv over IPC;
* ``station.protocol_file`` and the protocol page: the new definition is validated,
  then swapped in the ingest pipeline between two batches (`IngestComponent.set_schema`).

A setting given on the command line or in the environment wins over the file, so a
saved change to it is not applied (the answer lists it as ``overridden``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restrike.config import load_settings, plain_value, setting
from restrike.errors import ConfigError, PlayerError, ProtocolError, RestrikeError

if TYPE_CHECKING:
    from restrike.protocol import Schema
    from restrike.station import Station

__all__ = ["LIVE", "LiveSettings"]

log = logging.getLogger(__name__)

_REVIEW_KEYS = ("clip_seconds", "ivr_scene", "live_scene", "quota", "review_seconds",
                "marker_seconds", "link_seconds", "mode")
#: What ``LiveSettings.apply`` can change without a restart.
LIVE = frozenset({*(f"review.{k}" for k in _REVIEW_KEYS), "playback.start_offset",
                  "playback.fullscreen", "station.protocol_file"})
APPLY_TIMEOUT = 10.0


def typed_value(name: str, raw: Any) -> Any:
    """A saved value as the station uses it (None: the setting's default); ConfigError."""
    if raw is None:
        return setting(name).default
    return load_settings(None, env={}, cli={name: raw}).get(name)


class LiveSettings:
    """The console router's ``apply`` / ``live`` / ``reload_protocol`` for one station."""

    live = LIVE

    def __init__(self, station: Station) -> None:
        self.station = station
        self.loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    # -- called by the console's routes (worker threads) or on the loop --

    def apply(self, changed: dict[str, Any]) -> list[str]:
        """Apply what can be applied now; returns the names applied."""
        return list(self._on_loop(self.apply_now, changed))

    def reload_protocol(self, schema: Schema) -> bool:
        """Swap the parser's definition; True when the pipeline now uses it."""
        return bool(self._on_loop(self.swap_schema, schema))

    def _on_loop(self, fn: Any, arg: Any) -> Any:
        """Run ``fn(arg)`` on the station's loop (at once when already on it)."""
        loop = self.loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or running is loop or loop.is_closed():
            return fn(arg)

        async def call() -> Any:
            return fn(arg)

        return asyncio.run_coroutine_threadsafe(call(), loop).result(APPLY_TIMEOUT)

    # -- on the loop --

    def _overridden(self, name: str) -> bool:
        sources = (self.station.config.effective_settings or {}).get("sources") or {}
        return str(sources.get(name, "")).startswith(("environment", "command-line"))

    def _remember(self, name: str, value: Any) -> None:
        """Keep the effective settings (diagnostics, the page's "running") current."""
        values = (self.station.config.effective_settings or {}).get("settings")
        if isinstance(values, dict):
            section, key = name.split(".", 1)
            values.setdefault(section, {})[key] = plain_value(value)

    def apply_now(self, changed: Mapping[str, Any]) -> list[str]:
        applied: list[str] = []
        typed: dict[str, Any] = {}
        for name, raw in changed.items():
            if name not in LIVE or self._overridden(name):
                continue
            try:
                typed[name] = typed_value(name, raw)
            except ConfigError as err:  # the console checked it already
                log.warning("not applied live: %s", err)
        if not typed:
            return applied
        applied += self._apply_review(typed)
        applied += self._apply_playback(typed)
        if ("station.protocol_file" in typed
                and self._apply_protocol_file(typed["station.protocol_file"])):
            applied.append("station.protocol_file")
        for name in applied:
            self._remember(name, typed[name])
        if applied:
            log.info("settings applied live: %s", ", ".join(applied))
        return applied

    def _apply_review(self, typed: Mapping[str, Any]) -> list[str]:
        names = [n for n in typed if n.startswith("review.")]
        if "playback.start_offset" in typed:
            names.append("playback.start_offset")
        review = self.station.get("review")
        options = getattr(review, "options", None)
        if not names or options is None:
            return []
        values = {n.split(".", 1)[1]: typed[n] for n in names}
        try:
            review.options = dataclasses.replace(options, **values)  # type: ignore[union-attr]
        except (ConfigError, TypeError, ValueError) as err:
            log.warning("review options not applied live: %s", err)
            return []
        return [n for n in names if n.startswith("review.")]

    def _apply_playback(self, typed: Mapping[str, Any]) -> list[str]:
        names = [n for n in ("playback.start_offset", "playback.fullscreen") if n in typed]
        player = getattr(self.station.get("playback"), "player", None)
        if not names or player is None:
            # Without a player the start offset still reaches the review (above).
            return ["playback.start_offset"] if (
                "playback.start_offset" in names and self.station.get("review")) else []
        values = {n.split(".", 1)[1]: typed[n] for n in names}
        player.settings = dataclasses.replace(player.settings, **values)
        if "fullscreen" in values and player.status().alive:
            self.station.create_task(self._fullscreen(player, bool(values["fullscreen"])),
                                     name="settings-fullscreen")
        return names

    @staticmethod
    async def _fullscreen(player: Any, on: bool) -> None:
        try:
            await player.set_fullscreen(on, screen=player.settings.screen)
        except PlayerError as err:  # mpv restarting: it starts with the new setting
            log.info("fullscreen applies when mpv is back: %s", err)

    def _apply_protocol_file(self, path: Path | None) -> bool:
        from restrike.protocol import load_schema

        try:
            schema = load_schema(path)
        except (ProtocolError, OSError) as err:
            log.warning("protocol definition %s not applied live: %s", path, err)
            return False
        return self.swap_schema(schema)

    def swap_schema(self, schema: Schema) -> bool:
        try:
            self.station.ingest.set_schema(schema)
        except RestrikeError as err:
            log.warning("protocol definition not swapped: %s", err)
            return False
        self.station.schema = schema
        log.info("protocol definition %s %s in use (%d messages)", schema.name,
                 schema.version, len(schema.messages))
        return True
