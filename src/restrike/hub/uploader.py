"""One court's upload step: read what follows the cursor, send it, move the cursor.

Shared by the station's hub link (on a worker thread) and ``restrike bench hub`` (which
drives many courts' stores at once), so the benchmark measures the link's own path.
The first upload of a run carries no rows: the hub answers with the newest id it
holds of this station, and the link goes on from there — a hub restored from an
older backup gets the rows again, a station restarted after the hub took rows it
had not yet recorded sends nothing twice.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from restrike.errors import HubError
from restrike.hub.client import HubClient
from restrike.hub.outbox import Batch, read_batch
from restrike.hub.wire import FORMAT

__all__ = ["Uploader"]

T = TypeVar("T")
ReadCall = Callable[[Callable[[sqlite3.Connection], T]], T]


class Uploader:
    """``upload(live)``: one batch to the hub; ``cursor`` is the newest id it holds."""

    def __init__(self, client: HubClient, read: ReadCall[Any], *, court: str, station: str,
                 batch_rows: int, cursor: int = 0, clips_from: int = 0) -> None:
        self.client = client
        self.read = read
        self.court = court
        self.station = station
        self.batch_rows = batch_rows
        self.cursor = cursor
        self.event_cursor = 0  # the newest event id the hub holds (from its replies)
        self.clips_from = clips_from
        self.known = False  # the cursor came from the hub in this run
        self.host = socket.gethostname()

    def upload(self, live: dict[str, Any] | None) -> tuple[Batch, bool]:
        """Send the next batch; (the batch, whether the cursors moved). HubError."""
        if not self.known:
            self.cursor = self._checked(self.client.post(self._body(None, live)))
            self.known = True
        cursor, events, clips_from = self.cursor, self.event_cursor, self.clips_from
        batch: Batch = self.read(lambda conn: read_batch(conn, cursor, events, clips_from,
                                                         self.batch_rows))
        held = self._checked(self.client.post(self._body(batch.body(), live)))
        moved = held != self.cursor or batch.clips_from != self.clips_from
        self.cursor, self.clips_from = held, batch.clips_from
        return batch, moved

    def more(self, batch: Batch) -> bool:
        """True when the batch was full: more rows are waiting."""
        return len(batch.datagrams) >= self.batch_rows

    def _checked(self, reply: dict[str, Any]) -> int:
        fmt = reply.get("format")
        if fmt != FORMAT:
            self.known = False
            raise HubError(f"the hub at {self.client.url} reads upload format {fmt}, this "
                           f"station sends {FORMAT}: "
                           + ("upgrade the hub" if isinstance(fmt, int) and fmt < FORMAT
                              else "upgrade the station"), status=426)
        last, event = reply.get("last_id"), reply.get("last_event")
        if not isinstance(last, int) or last < 0 or not isinstance(event, int) or event < 0:
            self.known = False
            raise HubError(f"the hub at {self.client.url} answered no cursor", status=426)
        self.event_cursor = event
        return last

    def _body(self, tables: dict[str, Any] | None, live: dict[str, Any] | None
              ) -> dict[str, Any]:
        body: dict[str, Any] = {"format": FORMAT, "court": self.court,
                                "station": self.station, "host": self.host, **(tables or {})}
        if live is not None:
            body["live"] = live
        return body
