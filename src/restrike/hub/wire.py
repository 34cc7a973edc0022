"""The upload format between a station's hub link and the hub: one JSON body per batch.

Rows travel as arrays in the order of the station's columns (no key per value: a
catch-up sends hundreds of thousands of them). Every row is identified by the sending
station's database (``station``, a UUID made once per database) and its id there, so
an upload the hub already holds changes nothing: exactly once on (station, id), in
the station's commit order. ``FORMAT`` is raised when the shape changes; a hub that
reads an older format answers so, and the station says it in its health.

Fields added within a format are optional, so a hub reads an older station's body:
``after`` (the cursor the batch follows: a hub that holds less — restored from an
older backup — stores nothing and answers where it is, so no row is skipped) and the
reply's ``batch_rows`` (how many datagrams the hub wants at most in the next upload:
fewer while other courts are live, so one court's catch-up does not hold them up).

The **command channel** (``COMMANDS_PATH``) is a WebSocket the station opens to its
hub and keeps open: the hub sends `Command` messages (the control room's bulk OBS
actions), the station answers each with a `CommandResult`. A hub with a tokens file
signs each command with the court's token (`signature`); a station with ``hub.token``
runs only commands signed with it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "COMMANDS_PATH",
    "COMMAND_ACTIONS",
    "FORMAT",
    "MAX_ROWS",
    "Clip",
    "Command",
    "CommandAction",
    "CommandResult",
    "Datagram",
    "Day",
    "Event",
    "Live",
    "Match",
    "Person",
    "Reply",
    "Tournament",
    "Upload",
    "signature",
]

#: The upload format this code sends and reads.
FORMAT = 1
#: Rows of one table in one upload, at most (the body limit follows from it).
MAX_ROWS = 20_000
#: The station's end of the command channel (a WebSocket it opens to the hub).
COMMANDS_PATH = "/api/v1/hub/commands"
#: What the control room may ask a court: OBS actions (``POST /api/v1/obs/...`` names).
CommandAction = Literal["start_recording", "stop_recording", "start_streaming",
                        "stop_streaming", "switch_scene"]
COMMAND_ACTIONS: tuple[str, ...] = get_args(CommandAction)

Id = Annotated[int, Field(ge=0, le=2**63 - 1)]
Int4 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Time = Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)]
Text = Annotated[str, StringConstraints(max_length=4096)]
Short = Annotated[str, StringConstraints(max_length=256)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=64,
                                        pattern=r"^[^\x00-\x1f\x7f]+$")]

# (id, received_at, source, data as base64, match_id, seq)
Datagram = tuple[Id, Time, Short, Annotated[str, StringConstraints(max_length=88_000)],
                 Id | None, Id | None]
# (id, datagram_id, match_id, seq, received_at, code, kind, athlete, args JSON, raw,
#  error, truncated)
Event = tuple[Id, Id, Id | None, Int4, Time, Short | None, Short, Int4 | None, Text, Text,
              Text | None, bool]
# (id, name, created_at)
Tournament = tuple[Id, Text, Time]
# (id, tournament_id, date YYYY-MM-DD, name)
Day = tuple[Id, Id, Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")], Text]
# (id, short_name, long_name, country)
Person = tuple[Id, Text, Text, Short]
# (id, day_id, number, match_id, phase, category, division, blue, red, loaded_at,
#  started_at, ended_at, winner, decision, result JSON)
Match = tuple[Id, Id, Text | None, Text | None, Text | None, Text | None, Text | None,
              Id | None, Id | None, Time, Time | None, Time | None, Short | None,
              Short | None, Text]
# (id, run, review, day, match, requested_by, source, athlete, requested_at, path,
#  decision, decided_by, decided_at, error)
Clip = tuple[Id, Short, int, Short, Text | None, Short, Short, int | None, Time,
             Text | None, Short | None, Short | None, Time | None, Text | None]


class Live(BaseModel):
    """What the court shows now: replaced at the hub by each upload, never stored as rows."""

    model_config = ConfigDict(extra="ignore")
    state: dict[str, Any] = Field(default_factory=dict)
    review: dict[str, Any] | None = None
    obs: list[Any] = Field(default_factory=list, max_length=16)
    feed: dict[str, Any] = Field(default_factory=dict)
    lag_rows: Id = 0
    lag_seconds: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    sent_at: Time = 0.0


class Upload(BaseModel):
    """``POST /api/v1/hub/upload``: one batch of one station's rows, oldest first."""

    model_config = ConfigDict(extra="forbid")
    format: int
    court: Name
    station: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    host: Short = ""
    after: Id | None = None
    datagrams: list[Datagram] = Field(default_factory=list, max_length=MAX_ROWS)
    events: list[Event] = Field(default_factory=list, max_length=4 * MAX_ROWS)
    tournaments: list[Tournament] = Field(default_factory=list, max_length=MAX_ROWS)
    days: list[Day] = Field(default_factory=list, max_length=MAX_ROWS)
    athletes: list[Person] = Field(default_factory=list, max_length=MAX_ROWS)
    matches: list[Match] = Field(default_factory=list, max_length=MAX_ROWS)
    clips: list[Clip] = Field(default_factory=list, max_length=MAX_ROWS)
    live: Live | None = None

    @model_validator(mode="after")
    def _in_order(self) -> Upload:
        """Datagrams and events in growing id order, each event of a datagram sent with it
        (what the hub's bulk copy relies on: nothing twice within one upload)."""
        last = self.after if self.after is not None else -1
        for number, row in enumerate(self.datagrams):
            if row[0] <= last:
                raise ValueError(f"datagrams[{number}]: id {row[0]} does not follow {last}")
            last = row[0]
        first = self.datagrams[0][0] if self.datagrams else 0
        previous = -1
        for number, event in enumerate(self.events):
            if event[0] <= previous or not first <= event[1] <= last:
                raise ValueError(f"events[{number}]: id {event[0]} out of order, or of "
                                 f"datagram {event[1]} that is not in this upload")
            previous = event[0]
        return self


class Reply(BaseModel):
    """The hub's answer: the newest datagram and event ids it holds of this station (the
    cursors the station goes on from)."""

    format: int
    court: str
    last_id: int
    last_event: int
    stored: int = 0
    batch_rows: int | None = None


class Command(BaseModel):
    """Hub → station: run one OBS action (``switch_scene`` takes ``{"scene"}``)."""

    model_config = ConfigDict(extra="ignore")
    type: Literal["command"] = "command"
    id: Id
    action: CommandAction
    params: dict[str, Any] = Field(default_factory=dict)
    signature: str | None = None  # hex HMAC-SHA256 under the court's token (`signature`)


class CommandResult(BaseModel):
    """Station → hub: what a command did on each OBS connection it ran on."""

    model_config = ConfigDict(extra="ignore")
    type: Literal["result"] = "result"
    id: Id
    ok: bool
    connections: list[dict[str, Any]] = Field(default_factory=list, max_length=16)
    error: Annotated[str, StringConstraints(max_length=4096)] | None = None


def signature(token: str, court: str, command_id: int, action: str,
              params: Mapping[str, Any]) -> str:
    """The command's HMAC-SHA256 under the court's token: a station that has a token
    runs only what a hub holding the same token sent it, for its own court."""
    text = json.dumps([court, command_id, action, params], sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return hmac.new(token.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()
