"""The tournament hub (issue 17): every court's station streams what it stores to one hub
on PostgreSQL, which shows every court live and counts the whole tournament.

Two halves in one package: the station's **hub link** (`HubLink`, the built-in plugin
``hub``: settings ``[hub]``, `link`, `outbox`, `client`) and the **hub server**
(``restrike hub``: `restrike.hub.server`, needs the ``hub`` extra for psycopg). What
travels between them is `restrike.hub.wire`. docs/hub.md says how to run it.
"""

from restrike.hub.plugin import HubLink
from restrike.hub.settings import HubSettings

__all__ = ["HubLink", "HubSettings"]
