"""The hub's end of the command channel: which courts listen, and the control room's
OBS actions sent to them with each court's answer.

Each station keeps one WebSocket open to the hub (`restrike.hub.commands`); a court
is reachable while its channel is. An action is sent once to every court it names
(at most once: a court whose channel drops before it answers is shown "no answer",
never sent it again — a second "start recording" is not what anyone wants), and the
control room's request waits for the answers up to `WAIT` seconds; answers that come
later still reach the record (`recent`). Records live in memory: the last `KEEP`
actions since the hub started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from restrike.errors import HubError
from restrike.hub.server.tokens import Tokens
from restrike.hub.wire import Command, CommandResult, signature

__all__ = ["WAIT", "Channels"]

log = logging.getLogger(__name__)

#: How long the control room's request waits for the courts' answers.
WAIT = 12.0
KEEP = 50


@dataclass
class _Sent:
    """One court's part of an action, as the control room shows it."""

    court: str
    state: str  # sent, done, failed, offline, no answer
    error: str | None = None
    connections: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"court": self.court, "state": self.state, "ok": self.state == "done",
                "error": self.error, "connections": self.connections}

    def answered(self, result: CommandResult) -> None:
        self.state = "done" if result.ok else "failed"
        self.error, self.connections = result.error, result.connections


@dataclass(eq=False)
class _Channel:
    court: str
    station: str
    ws: WebSocket
    #: command id -> the court's part of it and what the control room's request awaits
    waiting: dict[int, tuple[_Sent, asyncio.Future[None]]] = field(default_factory=dict)

    def closed(self) -> None:
        for sent, answered in self.waiting.values():
            sent.state, sent.error = "no answer", ("the court's command channel closed "
                                                   "before it answered")
            if not answered.done():
                answered.set_result(None)
        self.waiting.clear()


@dataclass
class _Action:
    id: int
    action: str
    params: dict[str, Any]
    at: float
    courts: list[_Sent]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "action": self.action, "params": self.params, "at": self.at,
                "courts": [c.as_dict() for c in self.courts]}


class Channels:
    """The open command channels by court, and the actions sent over them."""

    def __init__(self, tokens: Tokens) -> None:
        self.tokens = tokens
        self._open: dict[str, _Channel] = {}
        self._recent: deque[_Action] = deque(maxlen=KEEP)
        self._next = int(time.time() * 1000)  # ids that do not repeat across restarts

    @property
    def courts(self) -> list[str]:
        """The courts whose channel is open."""
        return sorted(self._open)

    def recent(self) -> list[dict[str, Any]]:
        """The last actions, newest first."""
        return [a.as_dict() for a in reversed(self._recent)]

    def admit(self, court: str, station: str, authorization: str | None) -> None:
        """HubError (401, 409) unless this station may hold ``court``'s channel."""
        self.tokens.check(court, authorization)
        held = self._open.get(court)
        if held is not None and held.station != station:
            raise HubError(f"court {court!r}'s command channel is held by station "
                           f"{held.station[:8]}; refused station {station[:8]} — give each "
                           "station its own station.court", status=409)

    async def serve(self, ws: WebSocket, court: str, station: str) -> None:
        """Hold an accepted channel until it closes; answers resolve what waits on them."""
        old = self._open.get(court)
        channel = self._open[court] = _Channel(court, station, ws)
        if old is not None:  # the same station again (its old socket went silent)
            await _close(old)
        log.info("command channel of court %r open (station %s)", court, station[:8])
        try:
            while True:
                try:
                    result = CommandResult.model_validate_json(await ws.receive_text())
                except ValueError as err:
                    log.warning("court %r sent a result that is not one: %s", court, err)
                    continue
                waiting = channel.waiting.pop(result.id, None)
                if waiting is not None:
                    waiting[0].answered(result)
                    if not waiting[1].done():
                        waiting[1].set_result(None)
        except (WebSocketDisconnect, RuntimeError):  # closed, or replaced and closed by us
            pass
        finally:
            if self._open.get(court) is channel:
                del self._open[court]
            channel.closed()
            log.info("command channel of court %r closed", court)

    async def send(self, action: str, params: dict[str, Any], courts: Iterable[str]
                   ) -> dict[str, Any]:
        """Send ``action`` to ``courts``; the record once all answered or after WAIT s."""
        self._next += 1
        record = _Action(self._next, action, params, time.time(), [])
        self._recent.append(record)
        answers = []
        for court in sorted(set(courts)):
            sent = _Sent(court, "sent")
            record.courts.append(sent)
            channel = self._open.get(court)
            if channel is None:
                sent.state, sent.error = "offline", ("the court's station has no command "
                                                     "channel open to this hub")
                continue
            answered = asyncio.get_running_loop().create_future()
            channel.waiting[record.id] = (sent, answered)
            answers.append(answered)
            try:
                await channel.ws.send_text(self._command(court, record).model_dump_json())
            except (WebSocketDisconnect, RuntimeError, OSError):
                channel.closed()
        if answers:
            await asyncio.wait(answers, timeout=WAIT)
        return record.as_dict()

    def _command(self, court: str, record: _Action) -> Command:
        """The command as ``court``'s station gets it: signed with its token, if any."""
        token = self.tokens.token_of(court)
        return Command.model_validate({
            "id": record.id, "action": record.action, "params": record.params,
            "signature": signature(token, court, record.id, record.action, record.params)
            if token else None})


async def _close(channel: _Channel) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await channel.ws.close(code=4000, reason="replaced by a new channel of the station")
