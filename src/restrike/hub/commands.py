"""The station's end of the command channel: the control room's OBS actions, run here.

The link opens a WebSocket to its own hub (``hub.url`` → ``ws(s)://…/api/v1/hub/
commands``, the court's token as ``Authorization: Bearer``) and keeps it open: no
port opens on the court laptop, and a network cut is a closed socket (pings every
5 s), reopened with backoff like the uploads. Each command is checked — a station
with ``hub.token`` runs only commands signed with it (`restrike.hub.wire.signature`),
so only a hub that holds the court's token can drive its OBS — then handed to the
OBS component through the bus (`ObsCommandRequested`, the console buttons' own
actions), and its result goes back on the same socket. Commands run one at a time,
in the order sent.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, WebSocketException

from restrike.bus import Bus, ObsCommandRequested
from restrike.errors import ObsError
from restrike.hub.wire import COMMANDS_PATH, Command, CommandResult, signature

__all__ = ["COMMAND_TIMEOUT", "CommandChannel", "commands_url"]

log = logging.getLogger(__name__)

#: How long the station's OBS may take over one command before it is answered failed.
COMMAND_TIMEOUT = 10.0
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0


def commands_url(hub_url: str, court: str, station: str) -> str:
    """``http(s)://host:port[/prefix]`` → the command channel's ``ws(s)://`` URL."""
    parts = urlsplit(hub_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    query = urlencode({"court": court, "station": station})
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + COMMANDS_PATH,
                       query, ""))


class CommandChannel:
    """``run()`` keeps the channel open until cancelled; ``health()`` says how it is."""

    def __init__(self, hub_url: str, token: str, court: str, station: str,
                 bus: Bus) -> None:
        self.url = commands_url(hub_url, court, station)
        self.token = token
        self.court = court
        self.bus = bus
        self.state = "connecting"
        self.error: str | None = None
        self.received = 0
        self.last: dict[str, Any] | None = None  # the last command and its result

    def health(self) -> dict[str, Any]:
        return {"state": self.state, "error": self.error, "received": self.received,
                "last": self.last}

    async def run(self) -> None:
        backoff = BACKOFF_FIRST
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        while True:
            try:
                async with connect(self.url, additional_headers=headers, open_timeout=10,
                                   ping_interval=5, ping_timeout=10, max_size=1 << 20,
                                   proxy=None) as ws:
                    self.state, self.error = "connected", None
                    backoff = BACKOFF_FIRST
                    await self._serve(ws)
                self._down("unreachable", "the hub closed the command channel")
            except InvalidStatus as err:
                answer = err.response
                detail = answer.body.decode("utf-8", "replace")[:300] if answer.body else ""
                self._down("refused", f"the hub refused the command channel: "
                                      f"{answer.status_code} {detail}")
                backoff = BACKOFF_MAX  # a token or a name: a person must fix it
            except (OSError, TimeoutError, InvalidHandshake, WebSocketException) as err:
                self._down("unreachable", f"command channel: {type(err).__name__}: {err}")
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)

    def _down(self, state: str, error: str) -> None:
        if (state, error) != (self.state, self.error):
            log.warning("hub link: %s", error)
        self.state, self.error = state, error

    async def _serve(self, ws: ClientConnection) -> None:
        async for message in ws:
            try:
                command = Command.model_validate_json(message)
            except ValidationError as err:
                log.warning("hub link: a command that is not one (ignored): %s", err)
                continue
            self.received += 1
            result = await self.apply(command)
            self.last = {"id": command.id, "action": command.action, "at": time.time(),
                         "ok": result.ok, "error": result.error}
            await ws.send(result.model_dump_json())

    async def apply(self, command: Command) -> CommandResult:
        """Check the command, run it through the bus, say what it did."""
        if self.token:
            expected = signature(self.token, self.court, command.id, command.action,
                                 command.params)
            if command.signature is None or not hmac.compare_digest(
                    command.signature, expected):
                return CommandResult(id=command.id, ok=False, error=(
                    f"not run: the command is not signed with court {self.court!r}'s token "
                    "(the hub must have this court's token in its tokens file)"))
        request = ObsCommandRequested(command.action, command.params)
        self.bus.publish(request)
        try:
            connections = await asyncio.wait_for(asyncio.wrap_future(request.done),
                                                 COMMAND_TIMEOUT)
        except ObsError as err:
            return CommandResult(id=command.id, ok=False, error=str(err))
        except TimeoutError:
            return CommandResult(id=command.id, ok=False, error=(
                f"no answer from this station's OBS within {COMMAND_TIMEOUT:g} s"))
        failed = [f"{c['name']}: {c['error']}" for c in connections if not c.get("ok")]
        return CommandResult(id=command.id, ok=not failed, connections=connections,
                             error="; ".join(failed) or None)
