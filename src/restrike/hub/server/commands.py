"""The hub's end of the command channel: which courts listen, and the control room's
OBS actions sent to them with each court's answer.

Each station keeps one WebSocket open to the hub (`restrike.hub.commands`); a court
is reachable while its channel is. An action is sent once to every court it names
(at most once: a court whose channel drops before it answers is shown "no answer",
never sent it again — a second "start recording" is not what anyone wants), and the
control room's request waits for the answers up to `WAIT` seconds; answers that come
later still reach the record (`recent`). Records are kept in the hub's database
(table ``commands``, each court's answer written as it comes), so a restarted hub
still lists them; a court still "sent" when the hub stopped is "no answer"
(`close_unanswered`, at start).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from starlette.websockets import WebSocket, WebSocketDisconnect

from restrike.errors import HubError
from restrike.hub.server.pool import Pool
from restrike.hub.server.tokens import Tokens
from restrike.hub.wire import Command, CommandResult, signature

__all__ = ["WAIT", "Channels", "close_unanswered"]

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
    #: command id -> the action, the court's part of it and what the control room's
    #: request awaits
    waiting: dict[int, tuple[_Action, _Sent, asyncio.Future[None]]] = field(
        default_factory=dict)

    def closed(self) -> list[_Action]:
        """Every action still waiting on this court is "no answer"; those actions."""
        for _action, sent, answered in self.waiting.values():
            sent.state, sent.error = "no answer", ("the court's command channel closed "
                                                   "before it answered")
            if not answered.done():
                answered.set_result(None)
        actions = [action for action, _sent, _answered in self.waiting.values()]
        self.waiting.clear()
        return actions


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

    def __init__(self, tokens: Tokens, pool: Pool) -> None:
        self.tokens = tokens
        self.pool = pool
        self._open: dict[str, _Channel] = {}

    @property
    def courts(self) -> list[str]:
        """The courts whose channel is open."""
        return sorted(self._open)

    async def recent(self) -> list[dict[str, Any]]:
        """The last `KEEP` actions, newest first (from the database)."""
        async with self.pool.connection() as conn:
            rows = await (await conn.execute(
                "SELECT id, action, params, at, courts FROM commands ORDER BY id DESC "
                "LIMIT %s", (KEEP,))).fetchall()
        return [{"id": i, "action": a, "params": p, "at": at, "courts": c}
                for i, a, p, at, c in rows]

    async def _record(self, action: str, params: dict[str, Any]) -> _Action:
        """A new action written down before anything is sent (HubError if the database
        cannot keep it: nothing is sent then). Its id is above every stored one and
        about the time in milliseconds."""
        at = time.time()
        async with self.pool.connection() as conn, conn.transaction():
            # two presses in the same millisecond: one after the other, distinct ids
            await conn.execute("LOCK TABLE commands IN SHARE ROW EXCLUSIVE MODE")
            row = await (await conn.execute(
                "INSERT INTO commands (id, action, params, at, courts) SELECT greatest("
                "%s, coalesce(max(id), 0) + 1), %s, %s, %s, '[]' FROM commands RETURNING id",
                (int(at * 1000), action, Jsonb(params), at))).fetchone()
        assert row is not None
        return _Action(int(row[0]), action, params, at, [])

    async def _save(self, record: _Action) -> None:
        """Write the courts' answers so far (a failure is logged: the command ran)."""
        try:
            async with self.pool.connection() as conn:
                await conn.execute("UPDATE commands SET courts = %s WHERE id = %s",
                                   (Jsonb([c.as_dict() for c in record.courts]), record.id))
        except HubError as err:
            log.warning("the answers to command %s were not kept: %s", record.id, err)

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
                    record, sent, answered = waiting
                    sent.answered(result)
                    await self._save(record)
                    if not answered.done():
                        answered.set_result(None)
        except (WebSocketDisconnect, RuntimeError):  # closed, or replaced and closed by us
            pass
        finally:
            if self._open.get(court) is channel:
                del self._open[court]
            for record in channel.closed():
                await self._save(record)
            log.info("command channel of court %r closed", court)

    async def send(self, action: str, params: dict[str, Any], courts: Iterable[str]
                   ) -> dict[str, Any]:
        """Send ``action`` to ``courts``; the record once all answered or after WAIT s."""
        record = await self._record(action, params)
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
            channel.waiting[record.id] = (record, sent, answered)
            answers.append(answered)
        await self._save(record)  # who it goes to, before any answer can come
        for court, channel in list(self._open.items()):
            if record.id in channel.waiting:
                try:
                    await channel.ws.send_text(self._command(court, record).model_dump_json())
                except (WebSocketDisconnect, RuntimeError, OSError):
                    channel.closed()
        if answers:
            await asyncio.wait(answers, timeout=WAIT)
        await self._save(record)
        return record.as_dict()

    def _command(self, court: str, record: _Action) -> Command:
        """The command as ``court``'s station gets it: signed with its token, if any."""
        token = self.tokens.token_of(court)
        return Command.model_validate({
            "id": record.id, "action": record.action, "params": record.params,
            "signature": signature(token, court, record.id, record.action, record.params)
            if token else None})


def close_unanswered(conn: psycopg.Connection) -> int:
    """At start: the courts of stored actions still "sent" (the hub stopped before they
    answered) become "no answer"; how many actions changed."""
    rows = conn.execute("SELECT id, courts FROM commands WHERE courts @> %s",
                        (Jsonb([{"state": "sent"}]),)).fetchall()
    for ident, courts in rows:
        for court in courts:
            if court["state"] == "sent":
                court["state"] = "no answer"
                court["error"] = "the hub stopped before the court answered"
        conn.execute("UPDATE commands SET courts = %s WHERE id = %s", (Jsonb(courts), ident))
    return len(rows)


async def _close(channel: _Channel) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await channel.ws.close(code=4000, reason="replaced by a new channel of the station")
