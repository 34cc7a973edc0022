"""Bounded parameter types shared by every route: ids, days, times, names, file paths.

Each type refuses what the station cannot use with a 422 that names the field (FastAPI
puts the parameter's location in the error) and says the same in the OpenAPI document,
so a client or a fuzzer learns the bounds from the schema: ids fit SQLite's INTEGER,
days are real calendar dates the local clock can represent, text carries no control
characters (a NUL byte would reach SQLite, a file name or OBS).
"""

from __future__ import annotations

import os
from datetime import date
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from restrike.store._rows import parse_day, parse_since
from restrike.store.reader import MAX_INTEGER

__all__ = [
    "DAY_MAX",
    "DAY_MIN",
    "MAX_ID",
    "PRINTABLE",
    "Day",
    "Id",
    "Label",
    "LocalPath",
    "PathText",
    "Since",
    "printable",
]

#: SQLite's largest INTEGER: a bigger id cannot be in the database (and would not bind).
MAX_ID = MAX_INTEGER
#: Days a tournament can have. Local midnight of each is computed with the OS clock
#: functions, which fail outside roughly 1970..3000 on Windows.
DAY_MIN = date(2000, 1, 1)
DAY_MAX = date(2999, 12, 31)
_DAY_PATTERN = r"^2[0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
#: The pattern of a text without control characters, for a Query's ``pattern=``.
PRINTABLE = _PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
#: An absolute path on this machine: ``/...``, or ``C:\...`` / ``\\server\...`` on Windows.
_ABSOLUTE = r"^([A-Za-z]:[\\/]|[\\/]{2})" if os.name == "nt" else r"^/"


def printable(value: str) -> str:
    """``value`` unchanged; a control character (NUL, newline, ...) is a 422."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise PydanticCustomError("control_character",
                                  "must not contain control characters (NUL, newline, ...)")
    return value


def _day(value: Any) -> date:
    if isinstance(value, date):
        parsed = value
    else:
        try:
            parsed = parse_day(value)
        except ValueError:
            raise PydanticCustomError(
                "date", "must be a calendar date YYYY-MM-DD, not {value}",
                {"value": repr(value)}) from None
    if not DAY_MIN <= parsed <= DAY_MAX:
        raise PydanticCustomError("date_range", "must be a day from {low} to {high}",
                                  {"low": DAY_MIN.isoformat(), "high": DAY_MAX.isoformat()})
    return parsed


def _since(value: str) -> str:
    """``value`` if the store's own parser takes it (the reader parses it again)."""
    try:
        parse_since(value)
    except (ValueError, OverflowError):
        raise PydanticCustomError(
            "datetime", "must be an ISO 8601 date-time such as 2026-05-01T10:00:00Z, "
                        "not {value}", {"value": repr(value)}) from None
    return value


#: A database id (match, event): 1 .. 2^63-1.
Id = Annotated[int, Ge(1), Le(MAX_ID)]

#: A local calendar day ``YYYY-MM-DD`` from DAY_MIN to DAY_MAX; ``2026-02-30`` is a 422.
Day = Annotated[date, BeforeValidator(_day), WithJsonSchema(
    {"type": "string", "format": "date", "pattern": _DAY_PATTERN,
     "description": f"A calendar day YYYY-MM-DD from {DAY_MIN} to {DAY_MAX}."})]

#: An ISO 8601 date-time (no offset means UTC), as the client wrote it.
Since = Annotated[str, AfterValidator(_since), WithJsonSchema(
    {"type": "string", "format": "date-time",
     "description": "ISO 8601 date-time; without an offset it is UTC."})]

#: A short name (tournament, operator, scene): 1..200 characters, no control characters.
Label = Annotated[str, StringConstraints(min_length=1, max_length=200),
                  AfterValidator(printable), Field(json_schema_extra={"pattern": _PRINTABLE})]

#: A path as the client sends it (e.g. a folder on the OBS machine): 1..4096 characters,
#: no control characters (NUL).
PathText = Annotated[str, StringConstraints(min_length=1, max_length=4096),
                     AfterValidator(printable), Field(json_schema_extra={"pattern": _PRINTABLE})]

#: An absolute path of a file on this machine (the route checks the folder and the file:
#: `restrike.playback.api.video_file`); documented with its pattern.
LocalPath = Annotated[str, StringConstraints(min_length=1, max_length=4096),
                      AfterValidator(printable),
                      Field(json_schema_extra={"pattern": _ABSOLUTE + _PRINTABLE[1:]})]
