"""Settings the console can change while the station runs, and the protocol swap.

The console's settings page saves every change to the file; the ``apply`` hook below
then hands the running station what it can take without a restart, and the page
reports the rest as "restart needed". It edits no part: it publishes the change on
the bus and each part applies what it owns.

* ``log.level``, ``log.levels``: the console applies them itself;
* the names the station's parts declare live (`StationView.live_settings`): typed
  as the settings table types them, then published as one `SettingsChanged` — the
  review takes its options (``review.*``, ``playback.start_offset``), the player
  ``playback.start_offset`` and ``playback.fullscreen``;
* ``station.protocol_file`` and the protocol page: the definition is loaded and
  validated here (a broken one is refused, nothing changes), then published as
  `SchemaChanged`; the ingest parses the next batch with it.

The answer (the names applied) is the names published that a part declared: the bus
delivers synchronously, on the station's loop, so they are in effect when it returns.
A setting given on the command line or in the environment wins over the file, so a
saved change to it is not applied (the answer lists it as ``overridden``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from restrike.bus import SchemaChanged, SettingsChanged
from restrike.config import load_settings, plain_value, setting
from restrike.config.render import obs_dicts
from restrike.errors import ConfigError, ProtocolError
from restrike.protocol import Schema, load_schema

if TYPE_CHECKING:
    from restrike.api.view import StationView

__all__ = ["PROTOCOL_SETTING", "LiveSettings", "typed_value"]

log = logging.getLogger(__name__)

T = TypeVar("T")
A = TypeVar("A")

#: The setting whose live change is a new protocol definition (`SchemaChanged`).
PROTOCOL_SETTING = "station.protocol_file"
APPLY_TIMEOUT = 10.0


def typed_value(name: str, raw: object) -> object:
    """A saved value as the station uses it (None: the setting's default); ConfigError."""
    if raw is None:
        return setting(name).default
    return load_settings(None, env={}, cli={name: raw}).get(name)


class LiveSettings:
    """The console router's ``apply`` / ``live`` / ``reload_protocol`` for one station."""

    def __init__(self, view: StationView) -> None:
        self.view = view
        self.live = view.live_settings
        self.loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    # -- called by the console's routes (worker threads) or on the loop --

    def apply(self, changed: Mapping[str, object]) -> list[str]:
        """Apply what can be applied now; returns the names applied."""
        return self._on_loop(self.apply_now, changed)

    def reload_protocol(self, schema: Schema) -> bool:
        """Swap the parser's definition; True when the station's intake now uses it."""
        return self._on_loop(self.swap_schema, schema)

    def _on_loop(self, fn: Callable[[A], T], arg: A) -> T:
        """Run ``fn(arg)`` on the station's loop (at once when already on it)."""
        loop = self.loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or running is loop or loop.is_closed():
            return fn(arg)

        async def call() -> T:
            return fn(arg)

        return asyncio.run_coroutine_threadsafe(call(), loop).result(APPLY_TIMEOUT)

    # -- on the loop --

    def _overridden(self, name: str) -> bool:
        sources = self.view.effective.get("sources") or {}
        return str(sources.get(name, "")).startswith(("environment", "command-line"))

    def _remember(self, name: str, value: object) -> None:
        """Keep the effective settings (diagnostics, the page's "running") current."""
        values = self.view.effective.get("settings")
        if isinstance(values, dict):
            if name == "obs":  # the whole list of connections, shown masked
                values[name] = obs_dicts(value if isinstance(value, tuple) else ())
                return
            section, key = name.split(".", 1)
            values.setdefault(section, {})[key] = plain_value(value)

    def apply_now(self, changed: Mapping[str, object]) -> list[str]:
        typed: dict[str, object] = {}
        for name, raw in changed.items():
            if name not in self.live or self._overridden(name):
                continue
            try:
                typed[name] = typed_value(name, raw)
            except ConfigError as err:  # the console checked it already
                log.warning("not applied live: %s", err)
        if PROTOCOL_SETTING in typed:
            path = typed[PROTOCOL_SETTING]  # a Path, or None: the shipped definition
            if not self._swap_file(path if isinstance(path, Path) else None):
                del typed[PROTOCOL_SETTING]
        rest = {n: v for n, v in typed.items() if n != PROTOCOL_SETTING}
        if rest:
            self.view.bus.publish(SettingsChanged(rest))
        for name, value in typed.items():
            self._remember(name, value)
        if typed:
            log.info("settings applied live: %s", ", ".join(typed))
        return list(typed)

    def _swap_file(self, path: Path | None) -> bool:
        try:
            schema = load_schema(path)
        except (ProtocolError, OSError) as err:
            log.warning("protocol definition %s not applied live: %s", path, err)
            return False
        return self.swap_schema(schema)

    def swap_schema(self, schema: Schema) -> bool:
        """Publish the (validated) definition; True when a part parses with it."""
        if PROTOCOL_SETTING not in self.live:
            return False
        self.view.bus.publish(SchemaChanged(schema))
        return True
