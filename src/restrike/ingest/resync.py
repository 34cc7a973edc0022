"""tkStrike pull requests: ask the scoring software to re-send its last packets.

Sent from the receiver's own socket, because the scoring software answers to the
address and port the request came from. Each request is its text plus CR LF.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

__all__ = ["pull_requests", "send_pull_requests"]

log = logging.getLogger(__name__)


def pull_requests(requests: Mapping[str, Iterable[str]]) -> list[bytes]:
    """The datagrams of every pull request the protocol file declares, in file order."""
    return [text.encode("ascii", "replace") + b"\r\n" for text in requests]


def send_pull_requests(sendto: Callable[[bytes, tuple[str, int]], None],
                       requests: Mapping[str, Iterable[str]],
                       target: tuple[str, int]) -> list[str]:
    """Send every pull request to ``target``; returns the texts sent (errors are logged)."""
    sent: list[str] = []
    for text, data in zip(requests, pull_requests(requests), strict=True):
        try:
            sendto(data, target)
        except OSError as err:
            log.warning("pull request %r to %s:%d failed: %s", text, target[0], target[1], err)
            continue
        sent.append(text)
    log.info("sent %d pull requests to %s:%d", len(sent), target[0], target[1])
    return sent
