"""Feature gates: which licensed features of the station may run now, and why not.

A part that offers a gated feature asks ``gates.allowed(feature)`` before doing it and,
when refused, shows ``gates.reason(feature)`` (the API answers 403 with it). Whoever
decides — the licence plugin, through ``ctx.gates`` — calls ``restrict`` with the
features it refuses and a reason for each; nobody imports the decider, so the parts
keep working the same without it (every feature allowed). ``demo(mark)`` is the demo
station's: every feature allowed whatever is restricted, and the overlays show
``mark``. Each change is published on the bus as `GatesChanged`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from restrike.bus import Bus

__all__ = ["LICENSED_FEATURES", "OVERLAYS", "RECORDING", "REPLAY", "FeatureGates", "Gates",
           "GatesChanged"]

#: The well-known features (names parts and deciders agree on).
RECORDING = "recording"  # automatic recording of the matches (the review's OBS recording)
REPLAY = "replay"  # instant replay: saving and showing a clip (API, hotkey, court)
OVERLAYS = "overlays"  # the OBS overlay pages under /overlays/
LICENSED_FEATURES = (RECORDING, REPLAY, OVERLAYS)


@dataclass(frozen=True, slots=True)
class GatesChanged:
    """The gates changed: ``denied`` maps each refused feature to its reason; ``mark``
    is what the overlays show (``"DEMO"``) or None."""

    denied: Mapping[str, str] = field(default_factory=dict)
    mark: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"denied": dict(self.denied), "mark": self.mark}


class FeatureGates(Protocol):
    """What a part reads of the gates."""

    def allowed(self, feature: str) -> bool: ...

    def reason(self, feature: str) -> str | None: ...

    @property
    def mark(self) -> str | None: ...

    def as_json(self) -> dict[str, Any]: ...


class Gates:
    """The station's gates (``ctx.gates``); every feature is allowed until restricted."""

    def __init__(self, bus: Bus | None = None) -> None:
        self._bus = bus
        self._denied: Mapping[str, str] = MappingProxyType({})
        self._mark: str | None = None

    def allowed(self, feature: str) -> bool:
        return self.reason(feature) is None

    def reason(self, feature: str) -> str | None:
        """Why ``feature`` is refused now, or None when it is allowed."""
        if self._mark is not None:
            return None
        return self._denied.get(feature)

    @property
    def mark(self) -> str | None:
        return self._mark

    def restrict(self, denied: Mapping[str, str]) -> None:
        """Refuse exactly the features of ``denied`` (feature -> reason); ``{}`` allows all."""
        new = MappingProxyType(dict(denied))
        if new != self._denied:
            self._denied = new
            self._publish()

    def demo(self, mark: str) -> None:
        """A demo station: every feature allowed from now on, the overlays show ``mark``."""
        if mark != self._mark:
            self._mark = mark
            self._publish()

    def as_json(self) -> dict[str, Any]:
        """``GET /api/v1/gates``: what is refused now (nothing in a demo) and the mark."""
        return self._event().as_json()

    def _event(self) -> GatesChanged:
        return GatesChanged({} if self._mark is not None else dict(self._denied), self._mark)

    def _publish(self) -> None:
        if self._bus is not None:
            self._bus.publish(self._event())
