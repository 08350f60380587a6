"""Text in messages: every string field of every message type, fuzzed with any Unicode.

A string that is not UTF-8 text (a lone UTF-16 surrogate, written on the wire as a
JSON escape such as ``"\\ud800"``) or holds a Unicode non-character is refused at the
decoder with a reason naming the field. Whatever a decoder accepts encodes back to
valid UTF-8 and decodes to the same message: encode -> decode -> encode is stable.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind
from ultrasound_consult.protocol.channel import (
    _PARSERS,
    Ack,
    AnnotationAdd,
    AnnotationClear,
    AnnotationExtend,
    AnnotationRemove,
    AnnotationUpdate,
    CalibrationOrigin,
    CalibrationSet,
    MediaRequest,
    Pointer,
    Probe,
    RecordingNotice,
    SceneSync,
    StreamInfo,
    encode_channel,
    parse_channel_message,
)
from ultrasound_consult.protocol.chat import ChatSend
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.guidance import (
    Action,
    Cue,
    CueCancel,
    CueSend,
    CueState,
    CueStatus,
    Direction,
)
from ultrasound_consult.protocol.lecture import (
    Hand,
    LectureAction,
    LectureControl,
    LectureState,
    Question,
    QueuedQuestion,
    Roster,
    Voice,
    Watcher,
    WatchReport,
)
from ultrasound_consult.protocol.opinion import (
    Opinion,
    OpinionSend,
    Recommendation,
    Urgency,
)
from ultrasound_consult.protocol.signaling import (
    Answer,
    App,
    Candidate,
    Error,
    Fanout,
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
    SfuRequest,
    Welcome,
    encode_client,
    encode_server,
    parse_client_message,
    parse_server_message,
)
from ultrasound_consult.protocol.snapshot import (
    SnapshotHeader,
    pack_snapshot,
    unpack_snapshot,
)

ANN = Annotation(
    id="a-1",
    kind=AnnotationKind.MARK,
    points=((0.25, 0.75),),
    author="Dr 李",
    label="left kidney",
    media_ts=1.5,
    created_ms=1700000000000,
)
CUE = Cue(id="c-1", action=Action.SLIDE, author="Dr", direction=Direction.HEAD, note="slowly")

CHANNEL = [
    AnnotationAdd("o-1", ANN, 1),
    AnnotationUpdate("o-2", "a-1", label="cyst", seq=2),
    AnnotationExtend("o-3", "a-1", ((0.1, 0.2),), 3),
    AnnotationRemove("o-4", "a-1", 4),
    AnnotationClear("o-5", "Dr", 5),
    CalibrationSet("o-6", CalibrationOrigin.USER, 640, 480, 0.1, 0.1, by="Dr"),
    CueSend("o-7", CUE, 7),
    CueCancel("o-8", "c-1", 8),
    ChatSend("o-9", "m-1", "请向头侧滑动 2 cm", "Dr 王", 1_700_000_000_000, 9),
    OpinionSend(
        "o-10",
        Opinion(
            "op-1",
            2,
            "Abdomen",
            "Gallbladder wall 4 mm",
            "Cholecystitis",
            Recommendation.OTHER,
            Urgency.SOON,
            "Dr 王",
            1_700_000_000_000,
            recommendation_text="CT",
            note="",
            local_ref="P-1",
            amends_reason="re-read",
            media_ts=12.5,
            key="k" * 44,
            signature="s" * 88,
        ),
        10,
    ),
    CueState("c-1", CueStatus.SHOWN, by="Clinic", at_ms=5),
    Ack("o-1", ok=False, reason="no"),
    StreamInfo(640, 480, 30.0, "synthetic phantom", 1, preset="balanced"),
    Pointer(1, 0.5, 0.5, "Dr"),
    Probe(1),
    SceneSync("begin", "e-1", 2),
    RecordingNotice("Dr", True),
    MediaRequest(True, "balanced", "Dr"),
    LectureState(True, "p-2", (Voice("p-1", 10), Voice("p-2", 2))),
    LectureControl("o-11", LectureAction.UNMUTE, peer="p-2"),
    Hand(True),
    Question("o-12", "这是胆囊吗?"),
    WatchReport(29.5, 3400.0, 0.01, 12.0),
    Roster(
        (Watcher("p-2", "学员 Li", WatchReport(30.0, 5000.0, 0.0), hand=True),),
        (QueuedQuestion("q1", "p-2", "学员 Li", "深度多少?", 1_700_000_000_000),),
    ),
]
CLIENT = [
    Join("r1", Role.OBSERVER, "trainee", token="tok", resume=Resume("p1", "key")),
    Offer("p1", "v=0"),
    Answer("p1", "v=0"),
    Candidate("p1", "candidate:1 1 UDP 1 1.2.3.4 5 typ host", "0", 0),
    App("p1", {"type": "ann.add", "note": "x"}),
    Leave(),
    Ping(),
    SfuRequest((1, 2)),
    Fanout({"type": "ann.clear", "op": "s-1", "author": "Dr 王", "seq": 0}),
]
SERVER = [
    Welcome(
        "p1",
        "r1",
        Role.EXPERT,
        peers=(PeerInfo("p2", Role.STATION, "Clinic"),),
        ice_servers=(IceServer(("turn:t.example:3478",), "user", "pass"),),
        resume_key="k",
    ),
    PeerJoined(PeerInfo("p2", Role.OBSERVER, "trainee")),
    PeerLeft("p2", "left"),
    Offer("p1", "v=0"),
    Candidate("p1", "candidate:1", "0", 0),
    App("p1", {"type": "ack", "reason": "x"}),
    Pong(),
    Error(ErrorCode.ROOM_FULL, "full"),
]
SNAPSHOT = SnapshotHeader(
    "s-1", "Dr", 640, 480, 1, annotations=(ANN,), note="look here", format="jpeg"
)

#: Any code point, surrogates and non-characters included.
ANY_TEXT = st.text(
    st.one_of(
        st.characters(codec=None, exclude_categories=()),
        st.characters(categories=["Cs"]),  # hypothesis leaves surrogates out unless asked
        st.sampled_from(["\ufdd0", "\ufffe", "\U0010ffff"]),
    ),
    max_size=40,
)
NASTY = ["\ud800", "a\udfff", "\ud83d", "\ufffe", "\uffff", "\ufdd0", "\U0010ffff", "\U0001fffe"]


def string_paths(obj: Any, path: tuple = ()) -> list[tuple]:
    """Every path to a string leaf of a wire object (the message's ``type`` excepted)."""
    if isinstance(obj, str):
        return [path] if path != ("type",) else []
    items = (
        obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else []
    )
    return [p for k, v in items for p in string_paths(v, (*path, k))]


def replaced(obj: Any, path: tuple, text: str) -> Any:
    wire = json.loads(json.dumps(obj))
    target = wire
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = text
    return wire


def on_the_wire(obj: Any) -> str:
    # What a hostile peer sends: ASCII JSON in which a surrogate is a plain \\uXXXX escape.
    return json.dumps(obj, ensure_ascii=True)


KINDS = (
    [("channel", m, lambda m: m.to_wire(), parse_channel_message, encode_channel) for m in CHANNEL]
    + [
        ("client", m, lambda m: json.loads(encode_client(m)), parse_client_message, encode_client)
        for m in CLIENT
    ]
    + [
        ("server", m, lambda m: json.loads(encode_server(m)), parse_server_message, encode_server)
        for m in SERVER
    ]
)
CASES = [
    (f"{side}-{type(m).__name__}-{'.'.join(map(str, p))}", to_wire(m), p, parse, encode)
    for side, m, to_wire, parse, encode in KINDS
    for p in string_paths(to_wire(m))
]


def test_every_message_type_is_fuzzed():
    assert {type(m).TYPE for m in CHANNEL} == set(_PARSERS)
    assert len(CASES) > 60


def check_stable(text: str, parse, encode) -> None:
    """Refused with a reason, or accepted and stable through encode -> decode -> encode."""
    try:
        msg = parse(text)
    except ProtocolError as exc:
        assert exc.code in (ErrorCode.BAD_MESSAGE, ErrorCode.MESSAGE_TOO_LARGE), exc
        assert exc.reason
        return
    once = encode(msg)
    once.encode("utf-8")  # strict: a receiver must be able to send it on
    assert parse(once) == msg
    assert encode(parse(once)) == once


@pytest.mark.parametrize(
    ("wire", "path", "parse", "encode"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
@settings(max_examples=25, deadline=None)
@given(text=ANY_TEXT)
def test_any_text_in_any_string_field(wire, path, parse, encode, text):
    check_stable(on_the_wire(replaced(wire, path, text)), parse, encode)


@pytest.mark.parametrize(
    ("wire", "path", "parse", "encode"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
@pytest.mark.parametrize("nasty", NASTY, ids=ascii)
def test_surrogates_and_non_characters_are_refused_with_the_field(wire, path, parse, encode, nasty):
    with pytest.raises(ProtocolError) as caught:
        parse(on_the_wire(replaced(wire, path, f"ok{nasty}")))
    assert caught.value.code is ErrorCode.BAD_MESSAGE
    field = [k for k in path if isinstance(k, str)][-1]
    assert field in caught.value.reason, caught.value


@pytest.mark.parametrize("nasty", ["\ud800", "\udc00", "\ud83d"], ids=ascii)
def test_a_surrogate_anywhere_is_refused_keys_and_nested_app_data_included(nasty):
    for obj in (
        {"type": "ping", "extra": nasty},
        {"type": "ping", nasty: 1},
        {"type": "app", "to": "p1", "data": {"type": "ann.add", "deep": [[{"x": nasty}]]}},
    ):
        with pytest.raises(ProtocolError, match="surrogate"):
            parse_client_message(on_the_wire(obj))


def test_a_valid_surrogate_pair_is_one_character_and_accepted():
    msg = parse_client_message(
        '{"type":"join","v":1,"room":"r","role":"observer","name":"\\ud83d\\ude00","token":"t"}'
    )
    assert isinstance(msg, Join) and msg.name == "\U0001f600"
    assert encode_client(msg).encode("utf-8")


def test_an_integer_with_thousands_of_digits_is_refused_not_crashing():
    with pytest.raises(ProtocolError, match="digits"):
        parse_channel_message('{"type":"probe","seq":' + "9" * 5000 + ',"reply":false}')


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT, note=ANY_TEXT)
def test_snapshot_headers_with_any_text(text, note):
    header = SNAPSHOT.to_wire()
    header["author"], header["note"] = text, note
    blob_head = on_the_wire(header).encode("ascii")
    blob = len(blob_head).to_bytes(4, "big") + blob_head + b"\xff\xd8jpeg"
    try:
        parsed, image = unpack_snapshot(blob)
    except ProtocolError as exc:
        assert exc.code is ErrorCode.BAD_MESSAGE and exc.reason
        return
    assert unpack_snapshot(pack_snapshot(parsed, image)) == (parsed, image)
