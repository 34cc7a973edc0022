"""Running the hub: migrate its database, then serve the app with uvicorn until stopped."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
import uvicorn

from restrike.errors import HubError
from restrike.hub.server.app import create_app
from restrike.hub.server.commands import close_unanswered
from restrike.hub.server.people import fill_names
from restrike.hub.server.pool import Pool
from restrike.hub.server.schema import migrate
from restrike.hub.server.tokens import Tokens

__all__ = ["prepare", "serve"]

log = logging.getLogger(__name__)


def prepare(database: str, tokens_file: Path | None) -> tuple[int, Tokens]:
    """Check the database (migrating it) and read the tokens; (schema version, tokens).

    HubError or ConfigError with a message for the operator.
    """
    tokens = Tokens.from_file(tokens_file)
    try:
        with psycopg.connect(database, connect_timeout=10) as conn:
            version = migrate(conn)
            fill_names(conn)
            close_unanswered(conn)
    except psycopg.Error as err:
        raise HubError(f"cannot open the hub database {_masked(database)}: {err}") from err
    return version, tokens


def serve(database: str, host: str, port: int, tokens_file: Path | None,
          connections: int = 4, allowed_hosts: tuple[str, ...] = ()) -> None:
    """Migrate, then serve on ``host:port`` until interrupted."""
    version, tokens = prepare(database, tokens_file)
    log.info("hub database %s at schema %s", _masked(database), version)
    if tokens.open:
        log.warning("the hub runs without --tokens: it accepts uploads from every court "
                    "(give it a tokens file for a real tournament)")
    app = create_app(Pool(database, connections), tokens, allowed_hosts)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False,
                timeout_graceful_shutdown=2)


def _masked(dsn: str) -> str:
    """The DSN without a password."""
    head, at, tail = dsn.rpartition("@")
    if not at:
        return dsn
    scheme, sep, user = head.partition("://")
    return f"{scheme}{sep}{user.split(':', 1)[0]}@{tail}"
