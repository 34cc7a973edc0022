"""The hub's ids: one number for each row, whatever court it came from.

A station's row ids repeat across stations, so at the hub a match, event or day is
``sid × 2^40 + its id on its station`` (`hub_id`; ``sid`` is the station's number at
this hub): unique at the hub, exact in a browser's numbers for the first 8,191
stations, and split back by `split`. What is one thing across courts has an id made of
its name, so it is the same on every hub: a tournament (`tournament_id`, its name) and
an athlete (`restrike.hub.server.people.athlete_id`, long name + country).
"""

from __future__ import annotations

import hashlib

__all__ = ["MAX_ID", "SPAN", "hub_id", "name_id", "split", "tournament_id"]

#: A station's row ids stay below this; the station's number at the hub is above.
SPAN = 1 << 40
#: The largest id a path may name (a JavaScript number is exact up to 2^53).
MAX_ID = 1 << 53


def hub_id(sid: int, row: int) -> int:
    """The hub's id of a station's row."""
    return sid * SPAN + row


def split(ident: int) -> tuple[int, int]:
    """(sid, the station's id) of a hub id."""
    return divmod(ident, SPAN)


def name_id(*parts: str) -> int:
    """52 bits of the MD5 of ``parts`` (joined by a unit separator): an id made of names,
    the same on every hub and exact in a browser's numbers."""
    digest = hashlib.md5("\x1f".join(parts).encode(), usedforsecurity=False)
    return int(digest.hexdigest()[:13], 16)


def tournament_id(name: str) -> int:
    """The hub's id of a tournament: made of its name (one tournament on every court)."""
    return name_id(name)
