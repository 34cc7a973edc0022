"""Manual scoring: the operator keeps the scoreboard when the court feed fails
(docs/manual-scoring.md). A built-in plugin (entry point ``manual``)."""

from __future__ import annotations

from restrike.manual.plugin import Manual

__all__ = ["Manual"]
