"""Simulated matches as the tagger sees them: the simulator's datagrams, parsed by the
station's parser, numbered like the store numbers events and matches."""

from __future__ import annotations

from restrike.analysis.rules import Change, Drop, Event, Tag, Tagger
from restrike.protocol import Message, parse
from restrike.simulator import Timeline, encode_items

__all__ = ["events_of", "surviving_tags"]


def events_of(timeline: Timeline, *, start: float = 1_800_000_000.0,
              day: str = "2027-01-15") -> list[Event]:
    """Every parsed message of ``timeline``, with ids and match ids as the store gives."""
    events: list[Event] = []
    match: int | None = None
    for step in timeline.steps:
        for datagram in encode_items(step.items):
            for message in parse(datagram):
                if not isinstance(message, Message):
                    continue
                if message.kind == "match_loaded":
                    match = (match or 0) + 1
                events.append(Event(len(events) + 1, match, start + step.t, message.kind,
                                    message.athlete, dict(message.fields), day))
    return events


def surviving_tags(events: list[Event], tagger: Tagger | None = None) -> list[Tag]:
    """The tags left after feeding every event (drops applied), in the order made."""
    tagger = tagger or Tagger()
    tags: list[Tag] = []
    for event in events:
        changes: list[Change] = tagger.feed(event)
        for change in changes:
            if isinstance(change, Drop):
                tags = [t for t in tags if t.event_id != change.event_id]
            else:
                tags.append(change)
    return tags
