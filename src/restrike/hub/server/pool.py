"""A few PostgreSQL connections shared by the hub's requests (psycopg 3, async).

Small on purpose: uploads are one transaction each and the read pages are quick, so
a handful of connections serve 14 courts. A connection that broke (the server
restarted) is replaced when it is next taken; every psycopg error becomes HubError.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from psycopg.types.json import set_json_loads
from pydantic_core import from_json

from restrike.errors import HubError

__all__ = ["Pool"]

log = logging.getLogger(__name__)


class Pool:
    """``async with pool.connection() as conn`` — at most ``size`` at once."""

    def __init__(self, dsn: str, size: int = 4) -> None:
        self.dsn = dsn
        self.size = size
        self._idle: asyncio.Queue[psycopg.AsyncConnection | None] = asyncio.Queue()
        for _ in range(size):
            self._idle.put_nowait(None)  # made when first taken

    async def _open(self) -> psycopg.AsyncConnection:
        try:
            conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
        except psycopg.Error as err:
            raise HubError(f"cannot connect to the hub database: {err}") from err
        # jsonb read with pydantic's JSON parser: the cached match summaries an athlete's
        # figures read are ~2 KB each, and it parses them in about half the time.
        set_json_loads(from_json, conn)
        return conn

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        conn = await self._idle.get()
        try:
            if conn is None or conn.closed or conn.broken:
                conn = await self._open()
            yield conn
        except psycopg.OperationalError as err:
            if conn is not None:
                await conn.close()
            conn = None
            raise HubError(f"the hub database failed: {err}") from err
        except psycopg.DataError as err:  # a value of the request the columns refuse
            raise HubError(f"the hub database refused a value: {err}", status=422) from err
        except psycopg.Error as err:
            raise HubError(f"the hub database refused a query: {err}") from err
        finally:
            self._idle.put_nowait(conn)

    async def close(self) -> None:
        for _ in range(self.size):
            conn = await self._idle.get()
            if conn is not None:
                await conn.close()
