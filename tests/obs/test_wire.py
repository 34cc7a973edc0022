"""Pure tests of the v5/v4 message modules: envelopes, auth string, event mapping."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from restrike.errors import ObsAuthError
from restrike.obs import wire_v4, wire_v5
from restrike.obs.events import (
    CurrentProgramSceneChanged,
    OtherEvent,
    OutputState,
    RecordStateChanged,
    ReplayBufferSaved,
    StreamStateChanged,
    output_state,
)


def _sha_b64(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_auth_response_is_the_documented_double_hash() -> None:
    secret = _sha_b64("supersecretpassword" + "lM1GncleQOaCu9lT1yeUZhFYnqhsLLP1G5lAGo3ixaI=")
    expected = _sha_b64(secret + "+IxH4CnCiqpX1rM9scsNynZzbOe4KhDeYcTNS3PDaeY=")
    got = wire_v5.auth_response(
        "supersecretpassword",
        "lM1GncleQOaCu9lT1yeUZhFYnqhsLLP1G5lAGo3ixaI=",
        "+IxH4CnCiqpX1rM9scsNynZzbOe4KhDeYcTNS3PDaeY=",
    )
    assert got == expected
    assert wire_v4.auth_response is wire_v5.auth_response


def test_event_subscription_default_is_325() -> None:
    assert int(wire_v5.EventSubscription.REPLAY_CONTROLLER) == 325


def _hello(auth: bool) -> wire_v5.Hello:
    raw = {"op": 0, "d": {"obsWebSocketVersion": "5.1.0", "rpcVersion": 1}}
    if auth:
        raw["d"]["authentication"] = {"challenge": "c", "salt": "s"}  # type: ignore[index]
    hello = wire_v5.decode(json.dumps(raw))
    assert isinstance(hello, wire_v5.Hello)
    return hello


def test_identify_without_and_with_auth() -> None:
    plain = json.loads(wire_v5.encode_identify(_hello(False), None))
    assert plain == {"op": 1, "d": {"rpcVersion": 1, "eventSubscriptions": 325}}
    authed = json.loads(wire_v5.encode_identify(_hello(True), "pw", 64))
    assert authed["d"]["authentication"] == wire_v5.auth_response("pw", "s", "c")
    assert authed["d"]["eventSubscriptions"] == 64


def test_identify_needs_a_password_when_obs_asks() -> None:
    with pytest.raises(ObsAuthError, match="requires a password"):
        wire_v5.encode_identify(_hello(True), None)


@given(
    request_type=st.text(min_size=1, max_size=30),
    request_id=st.text(min_size=1, max_size=10),
    data=st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=4),
)
def test_request_envelope_round_trip(
    request_type: str, request_id: str, data: dict[str, object]
) -> None:
    msg = json.loads(wire_v5.encode_request(request_type, request_id, data))
    assert msg["op"] == 6
    assert msg["d"]["requestType"] == request_type
    assert msg["d"]["requestId"] == request_id
    assert msg["d"].get("requestData", {}) == data


@given(st.text(max_size=200))
def test_decode_never_raises(text: str) -> None:
    wire_v5.decode(text)
    wire_v4.decode(text)


def test_decode_request_response_failure() -> None:
    msg = wire_v5.decode(json.dumps({"op": 7, "d": {
        "requestType": "StartReplayBuffer", "requestId": "3",
        "requestStatus": {"result": False, "code": 604, "comment": "disabled"}}}))
    assert msg == wire_v5.RequestResponse("StartReplayBuffer", "3", False, 604, "disabled", {})


def test_decode_bad_envelopes() -> None:
    assert isinstance(wire_v5.decode("{"), wire_v5.Undecodable)
    assert isinstance(wire_v5.decode('{"op": 7, "d": {}}'), wire_v5.Undecodable)
    assert isinstance(wire_v5.decode('{"op": 42, "d": {}}'), wire_v5.Undecodable)


@pytest.mark.parametrize(
    ("event_type", "data", "expected"),
    [
        ("RecordStateChanged",
         {"outputActive": True, "outputState": "OBS_WEBSOCKET_OUTPUT_STARTED",
          "outputPath": "/r/a.mkv"},
         RecordStateChanged(True, OutputState.STARTED, "/r/a.mkv")),
        ("StreamStateChanged",
         {"outputActive": False, "outputState": "OBS_WEBSOCKET_OUTPUT_RECONNECTING"},
         StreamStateChanged(False, OutputState.RECONNECTING)),
        ("ReplayBufferSaved", {"savedReplayPath": "/r/b.mkv"}, ReplayBufferSaved("/r/b.mkv")),
        ("CurrentProgramSceneChanged", {"sceneName": "Replay"},
         CurrentProgramSceneChanged("Replay")),
        ("InputCreated", {"inputName": "x"}, OtherEvent("InputCreated", {"inputName": "x"})),
    ],
)
def test_v5_events_are_typed(event_type: str, data: dict[str, object], expected: object) -> None:
    msg = wire_v5.decode(json.dumps({"op": 5, "d": {"eventType": event_type,
                                                    "eventIntent": 64, "eventData": data}}))
    assert isinstance(msg, wire_v5.EventMessage)
    assert wire_v5.to_obs_event(msg) == expected


def test_output_state_names() -> None:
    assert output_state("OBS_WEBSOCKET_OUTPUT_RECONNECTED") is OutputState.RECONNECTED
    assert output_state("weird") is OutputState.UNKNOWN


def test_v4_request_and_reply() -> None:
    sent = json.loads(wire_v4.encode_request("SetCurrentScene", "7", {"scene-name": "A"}))
    assert sent == {"request-type": "SetCurrentScene", "message-id": "7", "scene-name": "A"}
    ok = wire_v4.decode('{"message-id": "7", "status": "ok", "name": "A"}')
    assert ok == wire_v4.Response("7", True, None, {"name": "A"})
    err = wire_v4.decode('{"message-id": "8", "status": "error", "error": "Not Authenticated"}')
    assert err == wire_v4.Response("8", False, "Not Authenticated", {})


def test_v4_updates_map_to_the_same_events() -> None:
    upd = wire_v4.decode(json.dumps({"update-type": "RecordingStarted",
                                     "recordingFilename": "/r/c.mkv",
                                     "rec-timecode": "00:00:01.000"}))
    assert isinstance(upd, wire_v4.Update)
    assert upd.rec_timecode == "00:00:01.000"
    assert wire_v4.to_obs_event(upd) == RecordStateChanged(True, OutputState.STARTED, "/r/c.mkv")
    switch = wire_v4.decode('{"update-type": "SwitchScenes", "scene-name": "B", "sources": []}')
    assert isinstance(switch, wire_v4.Update)
    assert wire_v4.to_obs_event(switch) == CurrentProgramSceneChanged("B")
