"""A plugin whose module raises when imported (its CLI cannot load either)."""

raise RuntimeError("broken_import fails on import, on purpose")
