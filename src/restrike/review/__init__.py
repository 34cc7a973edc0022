"""The instant video replay workflow (issue 6).

Pure core (no I/O, time as an argument): :mod:`~restrike.review.naming` (recording
folders and Windows-safe names), :mod:`~restrike.review.rules` (WT Article 21 review
clock, marker and quota), :mod:`~restrike.review.workflow` (the state machine),
:mod:`~restrike.review.streams` (stream offsets across interruptions) and
:mod:`~restrike.review.chapters` (YouTube chapters).

Adapters: :class:`~restrike.review.component.Review`, the station component, wired from
its parts — :mod:`~restrike.review.runner` (the workflow's queue),
:mod:`~restrike.review.executor` (OBS and mpv), :mod:`~restrike.review.recorder` (the
archive writer) and :mod:`~restrike.review.tracking` (recording sessions, the stream);
:mod:`~restrike.review.archive` (store migration 002, written through the store),
:mod:`~restrike.review.hotkey` (optional global hotkey) and
:func:`~restrike.review.api.make_router`.
"""

from restrike.review.archive import Archive
from restrike.review.component import Review
from restrike.review.options import ReviewOptions

__all__ = ["Archive", "Review", "ReviewOptions"]
