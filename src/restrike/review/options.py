"""What the review component needs from the settings, in one value.

``restrike.config``'s ``[review]`` and ``[playback]`` sections hold the user-facing
settings (``mode``, ``marker_seconds`` and ``link_seconds`` among them);
:meth:`ReviewOptions.from_settings` copies them. ``tournament`` and ``save_timeout``
have no setting; they default to the documented behaviour. The settings in
:data:`LIVE_SETTINGS` change while the station runs (:meth:`ReviewOptions.updated`,
from a ``SettingsChanged`` event); the others need a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from restrike.errors import ConfigError
from restrike.review.rules import ReviewRules
from restrike.review.workflow import WorkflowConfig

__all__ = ["LIVE_SETTINGS", "ReplayMode", "ReviewOptions"]

#: ``save``: wait for OBS to write the replay buffer, play that clip (the default).
#: ``tail``: play the growing live recording at once, save the clip for the archive.
ReplayMode = Literal["save", "tail"]

#: The settings the review applies while it runs (dotted names), each an option of the
#: same name (``review.quota`` → ``quota``, ``playback.start_offset`` → ``start_offset``).
LIVE_SETTINGS = frozenset({
    *(f"review.{name}" for name in ("clip_seconds", "ivr_scene", "live_scene", "quota",
                                    "review_seconds", "marker_seconds", "link_seconds",
                                    "mode")),
    "playback.start_offset",
})


@dataclass(frozen=True, slots=True)
class ReviewOptions:
    recordings_root: Path
    clip_seconds: int = 20
    start_offset: float = 10.0
    ivr_scene: str = "IVR_SCENE"
    live_scene: str = "LIVE_SCENE"
    quota: int = 1
    review_seconds: float = 30.0
    marker_seconds: float = 5.0
    link_seconds: float = 20.0
    hotkey: str | None = "F9"
    mode: ReplayMode = "save"
    tournament: str = "Tournament"  # used when the store has no current tournament
    save_timeout: float = 15.0

    def __post_init__(self) -> None:
        if self.mode not in ("save", "tail"):
            raise ConfigError(f"review.mode must be 'save' or 'tail', not {self.mode!r}")
        if self.clip_seconds < 1:
            raise ConfigError(f"review.clip_seconds must be >= 1, not {self.clip_seconds}")

    @property
    def rules(self) -> ReviewRules:
        return ReviewRules(float(self.review_seconds), float(self.marker_seconds), self.quota)

    @property
    def workflow(self) -> WorkflowConfig:
        return WorkflowConfig(self.recordings_root, self.clip_seconds, self.start_offset,
                              self.ivr_scene, self.live_scene)

    def updated(self, values: Mapping[str, Any]) -> ReviewOptions:
        """These options with the :data:`LIVE_SETTINGS` among ``values`` (typed values by
        dotted name; other names are ignored); ConfigError if one is not valid."""
        changes = {name.split(".", 1)[1]: value for name, value in values.items()
                   if name in LIVE_SETTINGS}
        return replace(self, **changes) if changes else self

    @classmethod
    def from_settings(cls, review: Any, playback: Any = None, *, data_dir: Path | None = None,
                      **overrides: Any) -> ReviewOptions:
        """From ``restrike.config``'s ``review`` (and ``playback``) section objects."""
        root = getattr(review, "recordings_root", None)
        if root is None:
            root = (data_dir or Path.cwd()) / "recordings"
        values: dict[str, Any] = {"recordings_root": Path(root)}
        for name in ("clip_seconds", "ivr_scene", "live_scene", "quota", "review_seconds",
                     "hotkey", "mode", "marker_seconds", "link_seconds", "tournament"):
            if hasattr(review, name):
                values[name] = getattr(review, name)
        if playback is not None and hasattr(playback, "start_offset"):
            values["start_offset"] = float(playback.start_offset)
        return replace(cls(**values), **overrides)
