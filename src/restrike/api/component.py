"""The HTTP server as a station component: uvicorn on a socket bound up front.

``ApiComponent(host, port, access, view)``: ``view`` (`restrike.api.view.StationView`)
is what the API shows of the station, from the composition root.

Binding before serving means a taken port fails the start with a clear message and
``--http-port 0`` gives a free port that is known before the first request. Everything
the server answers goes through `restrike.api.guard.Guard` (Host, Origin, operator
token, body type and size), the ``GET /api/v1/state`` fast path included; on an
address other than loopback the server does not listen without an operator token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

import uvicorn

from restrike.api.access import AccessPolicy, HttpAccess, is_loopback
from restrike.api.view import StationView
from restrike.errors import RestrikeError
from restrike.kernel import Context, Health, Stage

if TYPE_CHECKING:
    from fastapi import FastAPI

    from restrike.api.live import LiveHub

__all__ = ["ApiComponent"]

log = logging.getLogger(__name__)

#: /ws/live clients send nothing the station reads: a small cap on their messages.
WS_MAX_MESSAGE = 64 * 1024


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the station owns shutdown.

    (uvicorn would take SIGINT/SIGTERM for itself and close the HTTP side before the
    station's INTAKE stage; the station's handlers stop everything in order.)
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # pragma: no cover - older uvicorn
        return None


def _http_impl() -> str:
    try:
        import httptools  # noqa: F401
    except ImportError:  # pragma: no cover - uvicorn without [standard]
        return "h11"
    return "httptools"


class ApiComponent:
    """FastAPI app + uvicorn + the /ws/live hub behind the guard; stops in the INTAKE stage.

    ``access`` carries ``http.token`` and the allowed hosts and origins; without a
    token, one is read from (or generated into) the data folder when ``host`` is not
    loopback.
    """

    name = "api"

    def __init__(self, host: str, port: int, access: HttpAccess | None = None, *,
                 view: StationView) -> None:
        self.host = host
        self.port = port
        self.access = access or HttpAccess()
        self.view = view
        self.policy: AccessPolicy | None = None
        self.server: _Server | None = None
        self.hub: LiveHub | None = None
        self._task: asyncio.Task[None] | None = None
        self.sock: socket.socket | None = None
        self.stopped = False
        self.app: FastAPI | None = None

    async def start(self, ctx: Context) -> None:
        from restrike.api.app import StateFastPath, create_app
        from restrike.api.guard import Guard
        from restrike.api.token import operator_token

        token = self.access.token
        if token is None and not is_loopback(self.host):
            # Raises (ConfigError) when there is none and none can be made: no listening.
            token = operator_token(ctx.data_dir).value
        app = create_app(self.view)
        self.app = app
        self.hub = app.state.hub
        try:
            sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET,
                                 socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError as err:
            raise RestrikeError(f"cannot listen on HTTP {self.host}:{self.port}: "
                                f"{err.strerror or err}") from err
        self.sock = sock
        self.port = sock.getsockname()[1]
        try:
            self.policy = AccessPolicy.build(
                self.host, self.port, allowed_hosts=self.access.allowed_hosts,
                allowed_origins=self.access.allowed_origins, token=token)
        except RestrikeError:
            sock.close()
            raise
        app.state.access = self.policy
        # httptools (uvicorn[standard]) parses HTTP in C; the event loop is the station's
        # (uvloop when installed, see restrike.cli.run).
        config = uvicorn.Config(Guard(StateFastPath(app, self.view.live), self.policy),
                                log_config=None, access_log=False, lifespan="off",
                                http=_http_impl(), ws_ping_interval=20, ws_ping_timeout=20,
                                ws_max_size=WS_MAX_MESSAGE, timeout_graceful_shutdown=2)
        self.server = _Server(config)
        await self.hub.start()
        self._task = ctx.create_task(self.server.serve(sockets=[sock]), name="api-uvicorn")
        for _ in range(200):
            if self.server.started or self._task.done():
                break
            await asyncio.sleep(0.01)
        if self._task.done():
            raise RestrikeError(f"HTTP server on {self.host}:{self.port} failed to start")
        ctx.bound["http"] = {"host": self.host, "port": self.port,
                                 "token_required": token is not None}
        log.info("HTTP API on http://%s:%d/%s", self.host, self.port,
                 " (operator token required)" if token is not None else "")

    def console_url(self) -> str:
        """The console's address, with ``?token=`` when one is in force (to open it once)."""
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        token = self.policy.token if self.policy is not None else None
        return f"http://{host}:{self.port}/" + (f"?token={token}" if token else "")

    async def stop(self, stage: Stage) -> None:
        if stage is not Stage.INTAKE or self.server is None or self.stopped:
            return
        self.stopped = True
        if self.hub is not None:
            await self.hub.stop()
        self.server.should_exit = True
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 4.0)
            except TimeoutError:
                self.server.force_exit = True
                self._task.cancel()
        if self.sock is not None:
            self.sock.close()
        if self.app is not None:
            self.app.state.readers.close()

    def health(self) -> Health:
        if self.server is None:
            return {"ok": False, "state": "not started"}
        if self.stopped:
            return {"ok": True, "state": "stopped"}
        ok = bool(self.server.started) and not (self._task and self._task.done())
        return {"ok": ok, "state": "running" if ok else "failed", "port": self.port,
                "live_clients": self.hub.client_count() if self.hub else 0}
