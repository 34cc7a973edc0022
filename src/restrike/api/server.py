"""The HTTP server as a station component: uvicorn on a socket bound up front.

Binding before serving means a taken port fails the start with a clear message and
``--http-port 0`` gives a free port that is known before the first request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import uvicorn

from restrike.errors import RestrikeError

if TYPE_CHECKING:
    from restrike.api.live import LiveHub
    from restrike.station import Stage, Station

__all__ = ["ApiComponent"]

log = logging.getLogger(__name__)


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
    """FastAPI app + uvicorn + the /ws/live hub; stops in the INTAKE stage."""

    name = "api"

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.server: _Server | None = None
        self.hub: LiveHub | None = None
        self._task: asyncio.Task[Any] | None = None
        self.sock: socket.socket | None = None
        self.stopped = False
        self.app: Any = None

    async def start(self, station: Station) -> None:
        from restrike.api.app import StateFastPath, create_app

        app = create_app(station)
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
        # httptools (uvicorn[standard]) parses HTTP in C; the event loop is the station's
        # (uvloop when installed, see restrike.cli.run).
        config = uvicorn.Config(StateFastPath(app, station), log_config=None,
                                access_log=False, lifespan="off", http=_http_impl(),
                                ws_ping_interval=20, ws_ping_timeout=20,
                                timeout_graceful_shutdown=2)
        self.server = _Server(config)
        await self.hub.start()
        self._task = station.create_task(self.server.serve(sockets=[sock]), name="api-uvicorn")
        for _ in range(200):
            if self.server.started or self._task.done():
                break
            await asyncio.sleep(0.01)
        if self._task.done():
            raise RestrikeError(f"HTTP server on {self.host}:{self.port} failed to start")
        station.bound["http"] = {"host": self.host, "port": self.port}
        log.info("HTTP API on http://%s:%d/", self.host, self.port)

    async def stop(self, stage: Stage) -> None:
        from restrike.station import Stage

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

    def health(self) -> dict[str, Any]:
        if self.server is None:
            return {"ok": False, "state": "not started"}
        if self.stopped:
            return {"ok": True, "state": "stopped"}
        ok = bool(self.server.started) and not (self._task and self._task.done())
        return {"ok": ok, "state": "running" if ok else "failed", "port": self.port,
                "live_clients": self.hub.client_count() if self.hub else 0}
