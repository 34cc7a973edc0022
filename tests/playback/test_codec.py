"""The pure JSON-IPC codec: exact wire shapes, and hypothesis for robustness."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from restrike.playback import codec
from restrike.playback.codec import Event, Invalid, LineDecoder, PropertyChange, Reply

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def test_positional_command_line() -> None:
    line = codec.encode_command(["seek", 5.0, "relative+exact"], 7)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {"command": ["seek", 5.0, "relative+exact"], "request_id": 7}


def test_named_loadfile_carries_options() -> None:
    cmd = {"name": "loadfile", "url": "/c/a b.mp4", "flags": "replace", "options": {"start": "10"}}
    assert json.loads(codec.encode_command(cmd, 1))["command"] == cmd


@pytest.mark.parametrize(
    ("command", "request_id"),
    [([], 1), (["x"], -1), (["x"], True), ("seek", 1), ({"url": "x"}, 1), (["x", float("nan")], 1)],
)
def test_bad_commands_raise_value_error(command: object, request_id: object) -> None:
    with pytest.raises(ValueError):
        codec.encode_command(command, request_id)  # type: ignore[arg-type]


def test_decodes_replies_events_and_property_changes() -> None:
    assert codec.decode_line(b'{"data":"mpv 0.35.1","request_id":1,"error":"success"}\n') == (
        Reply(1, "success", "mpv 0.35.1")
    )
    refused = codec.decode_line(b'{"request_id":2,"error":"property unavailable"}')
    assert isinstance(refused, Reply) and not refused.ok
    assert codec.decode_line(b'{"event":"end-file","reason":"stop","playlist_entry_id":1}') == (
        Event("end-file", {"reason": "stop", "playlist_entry_id": 1})
    )
    assert codec.decode_line(b'{"event":"property-change","id":3,"name":"path"}') == (
        PropertyChange(3, "path", None)
    )
    change = codec.decode_line(b'{"event":"property-change","id":1,"name":"speed","data":0.5}')
    assert change == PropertyChange(1, "speed", 0.5)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"nope",
        b"[1,2]",
        b'{"x":1}',
        b'{"event":5}',
        b'{"request_id":"1","error":"x"}',
        b'{"request_id":1}',
        b'{"event":"property-change","id":"a","name":"x"}',
        b"NaN",
        b'{"request_id":1,"error":"success","data":NaN}',
        b"\xff\xfe",
    ],
)
def test_garbage_becomes_invalid(raw: bytes) -> None:
    assert isinstance(codec.decode_line(raw), Invalid)


@given(request_id=st.integers(min_value=0, max_value=2**53), args=st.lists(json_values, max_size=5))
def test_request_id_round_trips(request_id: int, args: list[object]) -> None:
    line = codec.encode_command(["cmd", *args], request_id)
    assert line.count(b"\n") == 1
    sent = json.loads(line)
    assert sent["request_id"] == request_id and sent["command"][0] == "cmd"
    reply = json.dumps({"request_id": sent["request_id"], "error": "success", "data": args})
    assert codec.decode_line(reply.encode()) == Reply(request_id, "success", args)


@given(st.binary(max_size=300))
def test_decoder_never_raises_on_bytes(raw: bytes) -> None:
    message = codec.decode_line(raw)
    assert isinstance(message, Reply | Event | PropertyChange | Invalid)


@given(json_values)
def test_decoder_never_raises_on_json(value: object) -> None:
    codec.decode_line(json.dumps(value).encode())


@given(
    lines=st.lists(st.dictionaries(st.text(max_size=6), json_values, max_size=3), max_size=6),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=8),
)
def test_line_decoder_ignores_chunking(lines: list[dict[str, object]], cuts: list[int]) -> None:
    stream = b"".join(json.dumps(obj).encode() + b"\n" for obj in lines)
    expected = [codec.decode_line(json.dumps(obj).encode()) for obj in lines]
    decoder, got, start = LineDecoder(), [], 0
    for cut in sorted({c for c in cuts if c < len(stream)}):
        got += decoder.feed(stream[start:cut])
        start = cut
    got += decoder.feed(stream[start:])
    assert got == expected and decoder.pending == 0


def test_line_decoder_drops_overlong_lines_and_recovers() -> None:
    decoder = LineDecoder(max_line_bytes=32)
    out = decoder.feed(b"x" * 40)
    out += decoder.feed(b"y" * 40 + b'\n{"event":"idle"}\n')
    assert [type(m) for m in out] == [Invalid, Event]
    assert decoder.feed(b"z" * 33 + b"\n") == [Invalid(b"z" * 33, "line too long")]
