"""The analysis plugin: key moments tagged live, highlight reels, video analyzers.

See docs/analysis.md. `rules` is the pure tagger, `tables` its storage, `reels` the
pure reel plan, `highlights` and `ffmpeg` the cutting, `analyzers` the video analyzer
interface (and the motion peak), `plugin` the station component (entry point
``analysis``), `api` its routes, `jobs` the background reels, `cli` its commands.
"""

from restrike.analysis.plugin import Analysis, AnalysisSettings

__all__ = ["Analysis", "AnalysisSettings"]
