"""The station's `StoreAccess` over a bare `restrike.store.Store` (what StoreComponent
gives a plugin), for tests that drive the analytics' updater without a station."""

from __future__ import annotations

import concurrent.futures
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from restrike.store import Reader, Store
from restrike.store.owned import apply_owned_steps

T = TypeVar("T")


class Access:
    def __init__(self, store: Store, path: Path) -> None:
        self.store = store
        self._path = path

    @property
    def is_open(self) -> bool:
        return True

    @property
    def path(self) -> Path:
        return self._path

    def reader(self) -> Reader:
        return self.store.reader()

    def call(self, fn: Callable[[sqlite3.Connection], T]) -> concurrent.futures.Future[T]:
        return self.store.call(fn)

    def migrate(self, owner: str, steps: Sequence[str]) -> concurrent.futures.Future[int]:
        return self.store.call(lambda conn: apply_owned_steps(conn, owner, steps))
