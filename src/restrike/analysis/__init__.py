"""The analysis plugin: key moments tagged live, highlight reels, video analyzers.

See docs/analysis.md. `rules` is the pure tagger; the plugin's component and its
declarations (settings, command, benchmark, console panel) are in `plugin`.
"""
