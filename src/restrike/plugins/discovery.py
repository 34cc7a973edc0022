"""Finding plugins: the entry points of the group ``restrike.plugins``, nothing imported.

Built-in optional parts (declared in this project's own ``pyproject.toml``) and
installed distributions are found the same way; ``builtin`` only says which
distribution declared the entry point. A name that cannot be a plugin's (not a valid
section name, one the station uses itself, or declared by two distributions) is kept
with its ``problem`` so it can be shown, and is never loaded.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from importlib import metadata

from restrike.config import PLUGIN_GROUP
from restrike.config.table import SECTIONS

__all__ = ["RESERVED", "PluginSpec", "discover", "name_problem"]

#: Names a plugin may not take: the settings sections, the station's own components and
#: the `restrike` commands (a plugin's name is its section, component and command).
RESERVED = frozenset({
    *SECTIONS, "obs", "api", "ingest", "review", "playback", "simulator", "kernel",
    "run", "demo", "bench", "config", "decode", "simulate", "help", "backup", "restore",
    "export", "import",
})
#: Lower case, a letter first: it is also a TOML section, an environment-variable part
#: (``RESTRIKE_<NAME>_<KEY>``), a URL segment and a command name.
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_OWN_DISTRIBUTION = "restrike"


@dataclass(frozen=True, slots=True)
class PluginSpec:
    """One entry point of the group, as its distribution declares it."""

    name: str
    value: str  # "module:attribute"
    distribution: str | None
    version: str | None
    problem: str | None = None  # why it is never loaded (a bad or taken name)
    entry_point: metadata.EntryPoint | None = field(default=None, compare=False, repr=False)

    @property
    def builtin(self) -> bool:
        """Declared by reStrike itself (a built-in optional part)."""
        return (self.distribution or "").lower().replace("_", "-") == _OWN_DISTRIBUTION


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a plugin's, or None."""
    if not _NAME.fullmatch(name):
        return ("a plugin name is 1-32 lower-case letters, digits and _ starting with a "
                "letter")
    if name in RESERVED:
        return f"the name {name!r} is the station's own"
    return None


def _spec(ep: metadata.EntryPoint) -> PluginSpec:
    dist = ep.dist
    return PluginSpec(ep.name, ep.value, dist.name if dist is not None else None,
                      dist.version if dist is not None else None, name_problem(ep.name), ep)


def discover() -> list[PluginSpec]:
    """Every entry point of the group, by name; reads metadata only (imports nothing)."""
    specs = [_spec(ep) for ep in metadata.entry_points(group=PLUGIN_GROUP)]
    twice = {name for name, count in Counter(s.name for s in specs).items() if count > 1}
    out = []
    for spec in specs:
        if spec.name in twice and spec.problem is None:
            others = sorted({str(s.distribution) for s in specs if s.name == spec.name})
            spec = replace(spec, problem=f"the name is declared by {' and '.join(others)}")
        out.append(spec)
    return sorted(out, key=lambda s: (s.name, s.distribution or ""))
