"""The station components of the plugins: each plugin's, a failed one's, and the host.

Every plugin's component is added to the station as optional (the kernel isolates
its start, stop and health): `PluginComponent` wraps what the plugin built so it is
known under the plugin's name and remembers whether it started; `FailedPlugin` stands
for a plugin that could not be imported or built, so ``/api/health`` shows it failed
under its name; `PluginHost` (``plugins``, present when any plugin is found) serves
the list of plugins and their console panels (`restrike.plugins.api`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from restrike.kernel import Component, Context, Health, Stage
from restrike.plugins.api import make_router
from restrike.plugins.discovery import PluginSpec
from restrike.plugins.loading import ConsolePanel, describe_error

__all__ = ["FailedPlugin", "PluginComponent", "PluginEntry", "PluginHost"]

State = Literal["starting", "running", "failed", "disabled"]


class PluginComponent:
    """A plugin's own component, under the plugin's name."""

    def __init__(self, spec: PluginSpec, inner: Component,
                 panel: ConsolePanel | None = None) -> None:
        self.name = spec.name
        self.inner = inner
        self.panel = panel
        # The settings it applies while running, if it says (restrike.assembly reads it).
        live = getattr(inner, "live_settings", ())
        self.live_settings = frozenset(live if isinstance(live, set | frozenset | tuple | list)
                                       else ())
        # Its figures in /api/v1/stats under its name, if it has some (restrike.assembly).
        section = getattr(inner, "stats_section", None)
        self.stats_section: Callable[[], Mapping[str, object]] | None = (
            section if callable(section) else None)
        self.state: State = "starting"
        self.error: str | None = None

    async def start(self, ctx: Context) -> None:
        try:
            await self.inner.start(ctx)
        except BaseException as err:  # the kernel logs it and isolates the plugin
            self.state, self.error = "failed", describe_error(err)
            raise
        self.state = "running"

    async def stop(self, stage: Stage) -> None:
        await self.inner.stop(stage)

    def health(self) -> Health:
        return self.inner.health()


class FailedPlugin:
    """A plugin that could not be imported or built: failed in ``/api/health``."""

    state: State = "failed"
    panel: ConsolePanel | None = None

    def __init__(self, name: str, error: str) -> None:
        self.name = name
        self.error = error

    async def start(self, ctx: Context) -> None:
        return None

    async def stop(self, stage: Stage) -> None:
        return None

    def health(self) -> Health:
        return {"ok": False, "state": "failed", "error": self.error}


@dataclass(frozen=True, slots=True)
class PluginEntry:
    """A plugin found, and its component (None: disabled, or a name it may not have)."""

    spec: PluginSpec
    component: PluginComponent | FailedPlugin | None = None

    @property
    def state(self) -> State:
        if self.component is not None:
            return self.component.state
        return "failed" if self.spec.problem else "disabled"

    @property
    def error(self) -> str | None:
        return self.component.error if self.component is not None else self.spec.problem

    @property
    def panel(self) -> ConsolePanel | None:
        """The console panel, while the plugin runs."""
        component = self.component
        return component.panel if component is not None and self.state == "running" else None


class PluginHost:
    """Serves ``GET /api/v1/plugins`` and the running plugins' console panels."""

    name = "plugins"

    def __init__(self, entries: Sequence[PluginEntry]) -> None:
        self.entries = tuple(entries)

    async def start(self, ctx: Context) -> None:
        ctx.add_router(make_router(self.entries))

    async def stop(self, stage: Stage) -> None:
        return None

    def health(self) -> Health:
        states: dict[str, list[str]] = {}
        for entry in self.entries:
            states.setdefault(entry.state, []).append(entry.spec.name)
        return {"ok": True, "state": "running", **{s: sorted(n) for s, n in states.items()}}
