"""Plugins that fail on purpose: on import, when built, when started."""
