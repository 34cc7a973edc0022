"""The station's FastAPI application: core routes, /ws/live, feature routers.

``create_app(view)`` mounts, in this order: the core routes (`routes.py`),
``/ws/live`` (`live.py`), the flags router, every router a component added with
``ctx.add_router(...)`` during its start (OBS, playback, review, plugins), and last
the console (``/``, ``/ui/...``, ``/overlays/...``) with the station's live settings
(`restrike.api.live_settings`). ``view`` (`restrike.api.view.StationView`) is what
the API reads of the station, from the composition root. ``GET /api/v1/access`` says
who may call the API: the server (`restrike.api.component`) puts its `AccessPolicy`
in ``app.state.access`` and wraps the app in `restrike.api.guard.Guard`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, WebSocket
from starlette.types import ASGIApp, Receive, Scope, Send

from restrike import __version__
from restrike.api.errors import install_error_handlers
from restrike.api.live import LiveHub
from restrike.api.routes import make_router

if TYPE_CHECKING:
    from restrike.api.access import AccessPolicy
    from restrike.api.view import StationView
    from restrike.kernel import LiveState

__all__ = ["StateFastPath", "create_app"]

log = logging.getLogger(__name__)


def create_app(view: StationView) -> FastAPI:
    app = FastAPI(
        title="reStrike VTA station",
        version=__version__,
        description="Live scoreboard, stored events and matches of one taekwondo court.",
        openapi_url="/openapi.json",
    )
    install_error_handlers(app)
    hub = LiveHub(view)
    app.state.hub = hub
    core = make_router(view)
    app.state.readers = core.readers  # type: ignore[attr-defined]
    app.state.access = None
    app.include_router(core)

    @app.get("/api/v1/access", tags=["station"], summary="Who may call the API")
    def access(request: Request) -> dict[str, object]:
        """Whether an operator token is required (and, to a caller that sent it, the
        token), the Host names and the extra origins the guard accepts."""
        policy: AccessPolicy | None = request.app.state.access
        if policy is None:  # an app without the server's guard (in-process tests)
            return {"token_required": False, "token": None, "cookie": None, "hosts": [],
                    "any_ip_host": False, "origins": []}
        return policy.describe()

    @app.websocket("/ws/live")
    async def ws_live(websocket: WebSocket) -> None:
        await hub.serve(websocket)

    try:
        from restrike.flags.api import make_router as flags_router

        app.include_router(flags_router(view.data_dir / "flags"))
    except ImportError:  # pragma: no cover - flags ship with the package
        log.warning("flags routes unavailable")
    from restrike.logs.api import make_router as logs_router

    app.include_router(logs_router(view.data_dir / "logs"))
    for router in view.kernel.routers:
        app.include_router(router)
    try:
        from restrike.console import make_router as console_router
    except ImportError:  # pragma: no cover - the console ships with the package
        log.warning("console unavailable")
    else:
        from restrike.api.live_settings import LiveSettings

        live = LiveSettings(view)
        with contextlib.suppress(RuntimeError):
            live.bind(asyncio.get_running_loop())
        app.state.live_settings = live
        app.include_router(console_router(settings=view.effective,
                                          protocol_file=view.protocol_file,
                                          data_dir=view.data_dir, apply=live.apply,
                                          live=live.live, reload_protocol=live.reload_protocol,
                                          gates=view.gates))
    return app


class StateFastPath:
    """ASGI wrapper: ``GET /api/v1/state`` answered straight from the cached bytes.

    The hot endpoint (polled by scoreboards and overlays) skips Starlette's middleware
    stack, the routing over every route of the app and the Response object; everything
    else, including other methods on that path, goes to ``app``. The FastAPI route
    stays for OpenAPI and in-process tests and returns the same bytes and headers.
    """

    PATH = "/api/v1/state"

    def __init__(self, app: ASGIApp, live: LiveState) -> None:
        self.app = app
        self.live = live

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.PATH and scope["method"] == "GET":
            body = self.live.json_bytes()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", str(len(body)).encode()),
                                    (b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
