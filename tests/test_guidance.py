"""Probe-guidance cues: the vocabulary's rules, the station's board, the pictogram
directions; and the snapshot framing with hostile chunks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ultrasound_consult.annotate.guidance import GuidanceBoard, marker_vector, motion_vector
from ultrasound_consult.media.snapshot import decode_image, encode_image
from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind
from ultrasound_consult.protocol.channel import encode_channel, parse_channel_message
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.guidance import (
    DIRECTIONS,
    Action,
    Cue,
    CueCancel,
    CueSend,
    CueState,
    CueStatus,
    Direction,
)
from ultrasound_consult.protocol.snapshot import (
    CHUNK_PAYLOAD,
    MAX_OPEN_TRANSFERS,
    MAX_SNAPSHOT_BYTES,
    Reassembler,
    SnapshotHeader,
    chunk_snapshot,
    pack_snapshot,
    unpack_snapshot,
)


def cue(action, direction=None, **kw) -> Cue:
    return Cue(id="c1", action=action, author="Dr 张", direction=direction, **kw)


def test_every_action_with_every_allowed_direction_round_trips():
    n = 0
    for action, allowed in DIRECTIONS.items():
        for direction in allowed or [None]:
            angle = 30.0 if action is Action.ROTATE else None
            c = cue(action, direction, angle_deg=angle, probe=(0.4, 0.3), marker_deg=90.0)
            msg = CueSend("o1", c, seq=2)
            assert parse_channel_message(encode_channel(msg)) == msg
            n += 1
    assert n >= 30


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"action": Action.SLIDE}, "needs a direction"),
        ({"action": Action.ROCK, "direction": Direction.HEAD}, "cannot go 'head'"),
        ({"action": Action.HOLD, "direction": Direction.FEET}, "takes no direction"),
        ({"action": Action.ROTATE, "direction": Direction.CLOCKWISE}, "angle_deg"),
        ({"action": Action.ROTATE, "direction": Direction.CLOCKWISE, "angle_deg": 400}, "between"),
        ({"action": Action.SLIDE, "direction": Direction.HEAD, "angle_deg": 10}, "no angle"),
        ({"action": Action.HOLD, "marker_deg": 10}, "needs 'probe'"),
        ({"action": Action.COMPRESS, "direction": Direction.CLOCKWISE}, "takes less, more"),
    ],
)
def test_ambiguous_or_impossible_cues_are_refused(kwargs, words):
    with pytest.raises(ProtocolError) as info:
        Cue(id="c", author="x", **kwargs)
    assert words in info.value.reason


def test_hostile_cue_on_the_wire():
    for bad in (
        {"type": "cue", "op": "o", "cue": {"id": "c", "action": "teleport", "author": "",
                                            "created_ms": 0}},
        {"type": "cue", "op": "o", "cue": {"id": "c", "action": "slide", "direction": "up",
                                            "author": "", "created_ms": 0}},
        {"type": "cue", "op": "o", "cue": {"id": "c", "action": "hold", "author": "",
                                            "probe": [2, 0], "created_ms": 0}},
        {"type": "cue.state", "id": "c", "status": "maybe", "by": "", "at_ms": 0},
    ):  # fmt: skip
        with pytest.raises(ProtocolError):
            parse_channel_message(json.dumps(bad))


def test_board_shows_one_cue_at_a_time_and_records_outcomes():
    board = GuidanceBoard()
    first = cue(Action.SLIDE, Direction.HEAD)
    second = Cue(id="c2", action=Action.ROTATE, author="Dr", direction=Direction.CLOCKWISE,
                 angle_deg=45)  # fmt: skip
    assert board.show(first, 1) == [CueState("c1", CueStatus.SHOWN, "", 1)]
    assert board.show(first, 2) == [], "a retry shows nothing new"
    changes = board.show(second, 3)
    assert [(s.id, s.status) for s in changes] == [
        ("c1", CueStatus.REPLACED),
        ("c2", CueStatus.SHOWN),
    ]
    assert board.active == "c2"
    assert board.answer("c2", CueStatus.DONE, "Clinic", 4) == [
        CueState("c2", CueStatus.DONE, "Clinic", 4)
    ]
    assert board.active is None
    assert board.answer("c2", CueStatus.CANT, "Clinic", 5) == [], "an outcome is final"
    # A viewer mirrors the station from the states alone.
    mirror = GuidanceBoard()
    mirror.remember(first)
    mirror.remember(second)
    for state in (CueState("c1", CueStatus.SHOWN), CueState("c1", CueStatus.REPLACED),
                  CueState("c2", CueStatus.SHOWN), CueState("c2", CueStatus.DONE, "Clinic")):  # fmt: skip
        mirror.apply_state(state)
    assert [e.status for e in mirror.entries()] == [CueStatus.REPLACED, CueStatus.DONE]
    assert parse_channel_message(encode_channel(CueCancel("o", "c2", 3))) == CueCancel("o", "c2", 3)


def test_pictogram_directions_are_in_the_patients_frame():
    # Supine patient seen from the feet: their left is on the viewer's right.
    assert motion_vector(cue(Action.SLIDE, Direction.PATIENT_LEFT)) == (1.0, 0.0)
    assert motion_vector(cue(Action.SLIDE, Direction.PATIENT_RIGHT)) == (-1.0, 0.0)
    assert motion_vector(cue(Action.SWEEP, Direction.HEAD)) == (0.0, -1.0)
    # Toward the marker follows wherever the marker points (here: toward the feet).
    toward = cue(Action.ROCK, Direction.TOWARD_MARKER, probe=(0.5, 0.4), marker_deg=180.0)
    assert np.allclose(motion_vector(toward), (0.0, 1.0))
    away = cue(Action.ROCK, Direction.AWAY_FROM_MARKER, probe=(0.5, 0.4), marker_deg=180.0)
    assert np.allclose(motion_vector(away), (0.0, -1.0))
    assert np.allclose(marker_vector(90.0), (1.0, 0.0))
    assert motion_vector(cue(Action.HOLD)) is None


# --- snapshots ----------------------------------------------------------------------


def header(**kw) -> SnapshotHeader:
    anns = (Annotation("a", AnnotationKind.STROKE, tuple((i / 3000, 0.5) for i in range(3000)),
                       "Dr"),)  # fmt: skip
    base = dict(id="s1", author="Dr", width=64, height=48, created_ms=1, media_ts=2.5,
                annotations=anns)  # fmt: skip
    base.update(kw)
    return SnapshotHeader(**base)


def test_snapshot_round_trip_through_chunks_in_any_order():
    frame = (np.arange(64 * 48) % 251).astype(np.uint8).reshape(48, 64)
    blob = pack_snapshot(header(), encode_image(frame) + b"\0" * 40_000)
    chunks = chunk_snapshot(blob)
    assert len(chunks) > 2 and all(len(c) <= 16 * 1024 for c in chunks)
    r = Reassembler()
    out = None
    for c in reversed(chunks):
        out = r.push(c, 0.0) or out
    hdr, image = unpack_snapshot(out)
    assert hdr.id == "s1" and hdr.media_ts == 2.5 and (hdr.width, hdr.height) == (64, 48)
    assert np.allclose(hdr.annotations[0].points, header().annotations[0].points, atol=1e-5)
    assert len(hdr.annotations[0].points) == 3000, "a long stroke rides along whole"
    decoded = decode_image(image.rstrip(b"\0"), 64, 48)
    assert decoded.shape == (48, 64) and np.abs(decoded.astype(int) - frame).mean() < 3


def test_hostile_snapshot_chunks_are_refused_and_bounded():
    r = Reassembler()
    with pytest.raises(ProtocolError, match="not a snapshot"):
        r.push(b"JUNK" + b"\0" * 20, 0)
    with pytest.raises(ProtocolError, match="too short"):
        r.push(b"SNP1", 0)
    blob = pack_snapshot(header(annotations=()), b"x" * 100)
    (one,) = chunk_snapshot(blob, b"A" * 8)
    forged = bytearray(one)
    forged[12:16] = (0).to_bytes(2, "big") + (60000).to_bytes(2, "big")
    with pytest.raises(ProtocolError, match="out of range"):
        r.push(bytes(forged), 0)
    for i in range(MAX_OPEN_TRANSFERS):  # half-finished transfers are capped
        r.push(chunk_snapshot(b"y" * (CHUNK_PAYLOAD * 2), bytes([i]) * 8)[0], 0)
    with pytest.raises(ProtocolError, match="in flight"):
        r.push(chunk_snapshot(b"y" * (CHUNK_PAYLOAD * 2), b"Z" * 8)[0], 0)
    assert r.push(chunk_snapshot(b"y" * (CHUNK_PAYLOAD * 2), b"Q" * 8)[0], 100.0) is None, (
        "stale transfers expire"
    )
    with pytest.raises(ProtocolError):
        pack_snapshot(header(), b"z" * (MAX_SNAPSHOT_BYTES + 1))
    with pytest.raises(ProtocolError, match="header length"):
        unpack_snapshot(b"\xff\xff\xff\xffabc")
    with pytest.raises(ValueError, match="not the 64x48"):
        decode_image(encode_image(np.zeros((10, 10), np.uint8)), 64, 48)
