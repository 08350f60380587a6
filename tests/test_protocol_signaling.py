"""Signalling messages: round trips, and every kind of bad input rejected with a reason."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.signaling import (
    MAX_APP_BYTES,
    MAX_SIGNAL_BYTES,
    SUPPORTED_VERSIONS,
    Answer,
    App,
    Candidate,
    Error,
    IceServer,
    Join,
    Leave,
    Offer,
    PeerInfo,
    PeerJoined,
    PeerLeft,
    Ping,
    Pong,
    Resume,
    Role,
    Welcome,
    encode_client,
    encode_server,
    parse_client_message,
    parse_server_message,
)

CLIENT_MESSAGES = [
    Join(room="clinic-12", role=Role.STATION, name="Township A", token="abc"),
    Join(room="r1", role=Role.TRAINER, token="t", resume=Resume("p9", "0000000.AAAA")),
    App(peer="p1", data={"type": "ann.add", "op": "o1"}),
    Join(room="r1", role=Role.EXPERT, name="Dr 王"),
    Offer(peer="p1", sdp="v=0\r\n..."),
    Answer(peer="p2", sdp="v=0\r\n..."),
    Candidate(
        peer="p3",
        candidate="candidate:1 1 UDP 1 1.2.3.4 5 typ host",
        sdp_mid="0",
        sdp_mline_index=0,
    ),
    Candidate(peer="p3", candidate=None),
    Leave(),
    Ping(),
]

SERVER_MESSAGES = [
    Welcome(
        peer_id="abc123",
        room="r1",
        role=Role.EXPERT,
        peers=(PeerInfo("def456", Role.STATION, "Clinic"),),
        ice_servers=(IceServer(("turn:turn.example:3478",), "1700000000:x", "secret"),),
    ),
    PeerJoined(PeerInfo("p9", Role.OBSERVER, "")),
    PeerLeft("p9", "left"),
    Offer(peer="p1", sdp="v=0"),
    Answer(peer="p1", sdp="v=0"),
    Candidate(peer="p1", candidate=None),
    App(peer="p1", data={"type": "ack", "op": "o1", "ok": True}),
    Pong(),
    Error(ErrorCode.ROOM_FULL, "full", fatal=True),
]


@pytest.mark.parametrize("msg", CLIENT_MESSAGES, ids=lambda m: type(m).__name__)
def test_client_messages_round_trip(msg):
    assert parse_client_message(encode_client(msg)) == msg


@pytest.mark.parametrize("msg", SERVER_MESSAGES, ids=lambda m: type(m).__name__)
def test_server_messages_round_trip(msg):
    assert parse_server_message(encode_server(msg)) == msg


def test_relay_direction_is_explicit_on_the_wire():
    up = json.loads(encode_client(Offer(peer="x1", sdp="s")))
    down = json.loads(encode_server(Offer(peer="x1", sdp="s")))
    assert up["to"] == "x1" and "from" not in up
    assert down["from"] == "x1" and "to" not in down


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        ("not json", ErrorCode.BAD_JSON, "not valid JSON"),
        ("[1, 2]", ErrorCode.BAD_MESSAGE, "JSON object"),
        ('{"no": "type"}', ErrorCode.BAD_MESSAGE, "'type'"),
        ('{"type": "dance"}', ErrorCode.UNKNOWN_TYPE, "dance"),
        (
            '{"type": "join", "v": 1, "room": "r", "role": "king", "name": ""}',
            ErrorCode.BAD_MESSAGE,
            "role",
        ),
        (
            '{"type": "join", "v": 1, "room": "bad room!", "role": "expert", "name": ""}',
            ErrorCode.BAD_MESSAGE,
            "room",
        ),
        (
            '{"type": "join", "room": "r", "role": "expert", "name": ""}',
            ErrorCode.BAD_MESSAGE,
            "'v'",
        ),
        ('{"type": "offer", "sdp": "x"}', ErrorCode.BAD_MESSAGE, "'to'"),
        ('{"type": "offer", "to": "p", "sdp": 5}', ErrorCode.BAD_MESSAGE, "sdp"),
        (
            '{"type": "candidate", "to": "p", "candidate": "c", "sdpMLineIndex": "0"}',
            ErrorCode.BAD_MESSAGE,
            "sdpMLineIndex",
        ),
        ('{"type": "ping", "x": NaN}', ErrorCode.BAD_JSON, "NaN"),
        ('{"type": "app", "to": "p", "data": {"x": 1}}', ErrorCode.BAD_MESSAGE, "data.type"),
        ('{"type": "app", "to": "p", "data": "ann.add"}', ErrorCode.BAD_MESSAGE, "'data'"),
        (
            '{"type": "app", "to": "p", "data": {"type": "x", "pad": "'
            + "y" * MAX_APP_BYTES
            + '"}}',
            ErrorCode.MESSAGE_TOO_LARGE,
            "'data'",
        ),
        (
            '{"type": "join", "v": 1, "room": "r", "role": "expert", "name": "", "resume": {"peer_id": "p"}}',
            ErrorCode.BAD_MESSAGE,
            "'key'",
        ),
        (b'{"type": "ping"}', ErrorCode.BINARY_NOT_SUPPORTED, "binary"),
        (
            '{"type": "ping", "pad": "' + "x" * MAX_SIGNAL_BYTES + '"}',
            ErrorCode.MESSAGE_TOO_LARGE,
            "limit",
        ),
        ("[" * 100_000, ErrorCode.MESSAGE_TOO_LARGE, "limit"),
    ],
)
def test_bad_client_input_is_rejected_with_a_reason(data, code, words):
    with pytest.raises(ProtocolError) as info:
        parse_client_message(data)
    assert info.value.code is code
    assert words in info.value.reason


def test_deeply_nested_json_under_the_size_limit_is_rejected_cleanly():
    with pytest.raises(ProtocolError) as info:
        parse_client_message("[" * 20_000 + "]" * 20_000)
    assert info.value.code is ErrorCode.BAD_JSON


def test_unsupported_version_names_the_versions_that_work():
    with pytest.raises(ProtocolError) as info:
        parse_client_message(
            json.dumps({"type": "join", "v": 99, "room": "r", "role": "expert", "name": ""})
        )
    assert info.value.code is ErrorCode.UNSUPPORTED_VERSION
    assert "99" in info.value.reason and str(SUPPORTED_VERSIONS[0]) in info.value.reason
    reply = json.loads(encode_server(Error.from_exception(info.value, fatal=True)))
    assert reply["supported_versions"] == list(SUPPORTED_VERSIONS)


def test_unknown_error_codes_from_a_newer_server_are_kept_not_fatal():
    msg = parse_server_message('{"type": "error", "code": "brand_new", "message": "hello"}')
    assert isinstance(msg, Error) and msg.message == "hello"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_decoder_fuzz_text_only_ever_raises_protocol_error(text):
    with contextlib.suppress(ProtocolError):
        parse_client_message(text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["join", "offer", "answer", "candidate", "leave", "ping", "x"]),
    st.dictionaries(
        st.sampled_from(
            [
                "v",
                "room",
                "role",
                "name",
                "token",
                "to",
                "sdp",
                "candidate",
                "sdpMid",
                "sdpMLineIndex",
            ]
        ),
        json_values,
    ),
)
def test_decoder_fuzz_shaped_messages_only_ever_raise_protocol_error(kind, fields):
    with contextlib.suppress(ProtocolError):
        parse_client_message(json.dumps({"type": kind, **fields}))
