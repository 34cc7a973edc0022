"""What the review component needs from the settings, in one value.

``restrike.config``'s ``[review]`` and ``[playback]`` sections hold the user-facing
settings (``mode``, ``marker_seconds`` and ``link_seconds`` among them);
:meth:`ReviewOptions.from_settings` copies them. ``tournament`` and ``save_timeout``
have no setting; they default to the documented behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from restrike.errors import ConfigError
from restrike.review.rules import ReviewRules
from restrike.review.workflow import WorkflowConfig

__all__ = ["ReplayMode", "ReviewOptions"]

#: ``save``: wait for OBS to write the replay buffer, play that clip (the default).
#: ``tail``: play the growing live recording at once, save the clip for the archive.
ReplayMode = Literal["save", "tail"]


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
