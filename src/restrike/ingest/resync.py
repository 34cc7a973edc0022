"""tkStrike pull requests: ask the scoring software to re-send its last packets.

Sent from the receiver's own socket, because the scoring software answers to the
address and port the request came from. Each request is its text plus CR LF.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

__all__ = ["PULL_AGAIN_AFTER", "PullLimiter", "pull_requests", "requests_for",
           "send_pull_requests"]

#: A cut datagram asks for its kind again at most this often (seconds): tkStrike cuts
#: its answer the same way when the names are the same, so asking must not loop.
PULL_AGAIN_AFTER = 10.0

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


def requests_for(codes: Iterable[str], requests: Mapping[str, Iterable[str]]) -> list[str]:
    """The pull requests whose answer carries any of ``codes`` (file order)."""
    wanted = set(codes)
    return [text for text, answered in requests.items() if wanted.intersection(answered)]


class PullLimiter:
    """Which asks are due: each request at most once per ``every`` seconds (pure: the
    time comes in)."""

    def __init__(self, every: float = PULL_AGAIN_AFTER) -> None:
        self.every = every
        self._last: dict[str, float] = {}

    def due(self, texts: Iterable[str], now: float) -> list[str]:
        """The requests of ``texts`` that may be sent now (counted as sent)."""
        out = []
        for text in texts:
            last = self._last.get(text)
            if last is None or now - last >= self.every:
                self._last[text] = now
                out.append(text)
        return out
