"""Data-channel messages: round trips and hostile input."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind
from ultrasound_consult.protocol.channel import (
    _PARSERS,
    MAX_CHANNEL_BYTES,
    Ack,
    AnnotationAdd,
    AnnotationClear,
    AnnotationRemove,
    Pointer,
    StreamInfo,
    encode_channel,
    parse_channel_message,
    rejected_op,
)
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError

MARK = Annotation(
    id="a-1",
    kind=AnnotationKind.MARK,
    points=((0.25, 0.75),),
    author="Dr 李",
    media_ts=12.5,
    created_ms=1700000000000,
)
ARROW = Annotation(
    id="a-2",
    kind=AnnotationKind.ARROW,
    points=((0.0, 0.0), (1.0, 1.0)),
    author="x",
    color="#00ff00",
    lifetime_s=5,
)

MESSAGES = [
    AnnotationAdd(op="o-1", ann=MARK),
    AnnotationAdd(op="o-2", ann=ARROW),
    AnnotationRemove(op="o-3", id="a-1"),
    AnnotationClear(op="o-4"),
    AnnotationClear(op="o-5", author="Dr 李"),
    Ack(op="o-1"),
    Ack(op="o-2", ok=False, reason="observers can watch but not annotate"),
    StreamInfo(width=1024, height=768, fps=30.0, source="Synthetic", rtp_origin=123456),
    Pointer(seq=7, x=0.5, y=0.25, author="x", media_ts=3.0),
    Pointer(seq=8, x=0.0, y=0.0, author="x", visible=False),
]


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: type(m).__name__)
def test_round_trip(msg):
    assert parse_channel_message(encode_channel(msg)) == msg


def add(**ann_fields):
    ann = {
        "id": "a1",
        "kind": "mark",
        "points": [[0.5, 0.5]],
        "author": "x",
        "color": "#ffcc00",
        "created_ms": 0,
    }
    ann.update(ann_fields)
    return json.dumps({"type": "ann.add", "op": "o1", "ann": ann})


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (add(points=[["NaN", 0.5]]), "number"),
        (add(points=[[float("inf"), 0.5]]).replace("Infinity", "1e999"), "finite"),
        (add(points=[[1.5, 0.5]]), "between"),
        (add(points=[[0.5]]), "pair"),
        (add(points=[[0.1, 0.1], [0.2, 0.2]]), "more than 1"),
        (add(kind="arrow"), "needs 2..2 points"),
        (add(kind="hologram"), "kind"),
        (add(color="red"), "colour"),
        (add(id="has space"), "'id'"),
        (add(created_ms=-1), "created_ms"),
        (add(lifetime_s=1e9), "lifetime_s"),
        (add(label=5), "label"),
        ('{"type": "ann.add", "op": "o1", "ann": []}', "'ann'"),
        ('{"type": "pointer", "seq": 1, "x": 0.5, "y": 2, "author": "", "visible": true}', "'y'"),
        (
            '{"type": "pointer", "seq": -1, "x": 0.5, "y": 0.5, "author": "", "visible": true}',
            "'seq'",
        ),
        ('{"type": "ack", "op": "o1", "ok": "yes"}', "'ok'"),
        (
            '{"type": "stream.info", "v": 1, "width": 0, "height": 5, "fps": 30, "source": ""}',
            "'width'",
        ),
    ],
)
def test_hostile_annotations_are_rejected_with_a_reason(data, words):
    with pytest.raises(ProtocolError) as info:
        parse_channel_message(data)
    assert words in info.value.reason


def test_a_javascript_nan_is_rejected_as_json_error():
    with pytest.raises(ProtocolError) as info:
        parse_channel_message(
            '{"type": "pointer", "seq": 1, "x": NaN, "y": 0.5, "author": "", "visible": true}'
        )
    assert info.value.code is ErrorCode.BAD_JSON


def test_huge_messages_are_rejected_before_parsing():
    huge = add(label="x" * MAX_CHANNEL_BYTES)
    with pytest.raises(ProtocolError) as info:
        parse_channel_message(huge)
    assert info.value.code is ErrorCode.MESSAGE_TOO_LARGE


def test_encoding_refuses_to_build_an_oversized_message():
    big = Annotation(
        id="a", kind=AnnotationKind.MARK, points=((0.1, 0.1),), author="x", label="é" * 200
    )
    assert len(encode_channel(AnnotationAdd(op="o", ann=big))) < MAX_CHANNEL_BYTES


def test_unknown_type_is_rejected():
    with pytest.raises(ProtocolError) as info:
        parse_channel_message('{"type": "ann.explode"}')
    assert info.value.code is ErrorCode.UNKNOWN_TYPE


coords = st.one_of(st.floats(), st.integers(), st.text(max_size=3), st.none())


FIELDS = [
    "id", "kind", "author", "color", "op", "seq", "x", "y", "label", "points", "action",
    "direction", "angle_deg", "probe", "marker_deg", "origin", "width", "height",
    "mm_per_px_x", "mm_per_px_y", "a", "b", "mm", "phase", "epoch", "count", "status",
]  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(
    st.sampled_from(sorted(_PARSERS)),
    st.lists(st.lists(coords, max_size=3), max_size=5),
    st.dictionaries(st.sampled_from(FIELDS), coords),
)
def test_fuzz_only_ever_raises_protocol_error(kind, points, fields):
    """Every message type, fed junk: a message or a ProtocolError, never a crash."""
    inner = {"points": points, **fields}
    msg = {"type": kind, "op": "o1", "ann": inner, "cue": inner, **fields}
    try:
        text = json.dumps(msg)
    except ValueError:
        return
    with contextlib.suppress(ProtocolError):
        parse_channel_message(text)


@pytest.mark.parametrize(
    "text, named",
    [
        ('{"type": "ann.add", "op": "o-7", "seq": 7, "ann": {"kind": "blob"}}', ("o-7", 7)),
        ('{"type": "cue", "op": "o-8", "cue": {}}', ("o-8", 0)),  # no seq: unsequenced
        ('{"type": "ann.paint", "op": "o-9", "seq": 9}', ("o-9", 9)),  # unknown type
        ('{"type": "ann.add", "op": "o-1", "seq": -3}', ("o-1", 0)),
        ('{"type": "ann.add", "op": "o-1", "seq": true}', ("o-1", 0)),
        ('{"type": "ann.add", "op": "bad id"}', None),  # nothing to address it to
        ('{"type": "ann.add", "op": "o-1\\n"}', None),
        ('{"type": "ack", "op": "o-1", "ok": "yes"}', None),  # an answer is never answered
        ('{"type": "pointer", "op": "o-1"}', None),
        ("[1, 2]", None),
        ("{not json", None),
    ],
)
def test_a_rejected_operation_still_names_what_to_refuse(text, named):
    with pytest.raises(ProtocolError):
        parse_channel_message(text)
    assert rejected_op(text) == named


def test_a_refusal_carries_a_code_and_older_acks_still_decode():
    refusal = Ack.refusal("o-1", ErrorCode.CONFLICT, "no such annotation")
    wire = json.loads(encode_channel(refusal))
    assert wire == {
        "type": "ack", "op": "o-1", "ok": False, "code": "conflict", "reason": "no such annotation"
    }  # fmt: skip
    assert parse_channel_message(json.dumps(wire)) == refusal
    older = parse_channel_message('{"type": "ack", "op": "o-2", "ok": true}')
    assert older == Ack("o-2") and older.code == ""
