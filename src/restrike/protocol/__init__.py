"""The WT UDP protocol engine: pure functions over values, no I/O.

Bytes in, typed messages out (`parse`); messages back to bytes (`encode`); the
scoreboard as a fold over messages (`reduce`). The protocol definition file drives
parsing and encoding (`load_schema`).
"""

from restrike.protocol.encoder import Style, encode, encode_message
from restrike.protocol.jsonsafe import json_ready, json_safe, safe_text
from restrike.protocol.messages import Invalid, Message, Parsed, Unknown, Value, message_to_dict
from restrike.protocol.parser import parse
from restrike.protocol.reducer import reduce, reduce_all
from restrike.protocol.schema import Schema, default_schema, load_schema, parse_schema
from restrike.protocol.state import MatchState, state_to_json

__all__ = [
    "Invalid",
    "MatchState",
    "Message",
    "Parsed",
    "Schema",
    "Style",
    "Unknown",
    "Value",
    "default_schema",
    "encode",
    "encode_message",
    "json_ready",
    "json_safe",
    "load_schema",
    "message_to_dict",
    "parse",
    "parse_schema",
    "reduce",
    "reduce_all",
    "safe_text",
    "state_to_json",
]
