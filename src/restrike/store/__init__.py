"""The event store: every datagram and parsed message of the court, durably in SQLite.

One writer thread fed by `Store.submit(Received)` (never blocks, never drops),
commit callbacks for the live feed, and read-only `Reader`s for the API. See
docs/store.md for the schema, the batching and the durability guarantees.
"""

from restrike.errors import StoreError
from restrike.store.reader import Reader
from restrike.store.types import Committed, Received, StoreStats
from restrike.store.writer import Store

__all__ = ["Committed", "Reader", "Received", "Store", "StoreError", "StoreStats"]
