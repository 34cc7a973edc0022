"""The operator console and the OBS overlays, served by the station itself.

``make_router(...)`` returns one FastAPI router with the console page at ``/``, its
files at ``/ui/...``, the overlays at ``/overlays/...`` and the console's own API
(``/api/v1/interfaces``, ``/api/v1/settings``, ``/api/v1/protocol``,
``/api/v1/overlays``). ``restrike.console.window`` shows the console in a native window.
"""

from __future__ import annotations

from restrike.console.router import OVERLAYS, WEB_ROOT, make_router

__all__ = ["OVERLAYS", "WEB_ROOT", "make_router"]
