"""The annotation model: every kind on the wire, long strokes, updates, resync, undo,
ordering across two roads, and hostile input (rejected with a reason, nothing else
affected)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.annotations import EXAMPLES, ann
from ultrasound_consult.annotate.history import UndoHistory, added, changed, removed
from ultrasound_consult.annotate.scene import (
    MAX_ANNOTATIONS,
    AnnotationScene,
    SceneError,
    opacity,
)
from ultrasound_consult.annotate.sequencer import OpSequencer
from ultrasound_consult.protocol.annotation import (
    MAX_POINTS_PER_MESSAGE,
    MAX_STROKE_POINTS,
    Annotation,
    AnnotationKind,
)
from ultrasound_consult.protocol.channel import (
    MAX_CHANNEL_BYTES,
    AnnotationAdd,
    AnnotationClear,
    AnnotationExtend,
    AnnotationRemove,
    AnnotationUpdate,
    CalibrationOrigin,
    CalibrationSet,
    SceneSync,
    annotation_ops,
    encode_channel,
    parse_channel_message,
)
from ultrasound_consult.protocol.errors import ProtocolError


def ops_counter():
    n = iter(range(1, 10**6))

    def next_op():
        i = next(n)
        return f"o{i}", i

    return next_op


@pytest.mark.parametrize("kind", list(AnnotationKind))
def test_every_kind_round_trips(kind):
    a = ann(kind)
    msg = AnnotationAdd("o1", a, seq=4)
    back = parse_channel_message(encode_channel(msg))
    assert back.seq == 4 and back.ann.kind is kind
    assert np.allclose(back.ann.points, a.points, atol=1e-5)
    assert back.ann.label == a.label and back.ann.media_ts == 3.25


def test_text_needs_words():
    with pytest.raises(ProtocolError, match="label"):
        Annotation(id="t", kind=AnnotationKind.TEXT, points=((0.1, 0.1),), author="x", label=" ")


def test_a_10000_point_stroke_travels_in_messages_under_the_limit_and_arrives_whole():
    pts = tuple(((i % 997) / 997, (i * 7 % 991) / 991) for i in range(10_000))
    stroke = Annotation(id="s1", kind=AnnotationKind.STROKE, points=pts, author="x")
    ops = annotation_ops(stroke, ops_counter())
    assert isinstance(ops[0], AnnotationAdd)
    assert all(isinstance(o, AnnotationExtend) for o in ops[1:])
    assert len(ops) == math.ceil(10_000 / MAX_POINTS_PER_MESSAGE)
    scene = AnnotationScene()
    for op in ops:
        text = encode_channel(op)
        assert len(text.encode()) < MAX_CHANNEL_BYTES
        scene.apply(parse_channel_message(text))
    assert np.allclose(scene.get("s1").points, pts, atol=1e-5)
    assert [o.seq for o in ops] == list(range(1, len(ops) + 1))


def test_strokes_stop_at_their_limit_and_other_kinds_cannot_grow():
    scene = AnnotationScene()
    scene.apply(AnnotationAdd("o1", ann(AnnotationKind.STROKE)))
    scene.apply(AnnotationAdd("o2", ann(AnnotationKind.CALIPER, 2)))
    chunk = ((0.5, 0.5),) * MAX_POINTS_PER_MESSAGE
    i = 3
    with pytest.raises(SceneError, match="at most"):
        while True:
            scene.apply(AnnotationExtend(f"o{i}", "a1", chunk))
            i += 1
    assert len(scene.get("a1").points) <= MAX_STROKE_POINTS
    with pytest.raises(SceneError, match="only a freehand stroke"):
        scene.apply(AnnotationExtend("x1", "a2", ((0.1, 0.1),)))
    assert scene.get("a2") == ann(AnnotationKind.CALIPER, 2), "the refused op changed nothing"


def test_update_changes_only_what_it_names_and_checks_the_point_count():
    scene = AnnotationScene()
    scene.apply(AnnotationAdd("o1", ann(AnnotationKind.CALIPER)))
    scene.apply(AnnotationAdd("o2", ann(AnnotationKind.MARK, 2)))
    assert scene.apply(AnnotationUpdate("o3", "a1", points=((0.1, 0.1), (0.2, 0.2))))
    assert scene.get("a1").points == ((0.1, 0.1), (0.2, 0.2))
    assert scene.get("a1").color == "#ffd400"
    assert scene.apply(AnnotationUpdate("o4", "a1", color="#00ff00"))
    assert [a.id for a in scene.annotations()] == ["a1", "a2"], "drawing order kept"
    with pytest.raises(SceneError, match=r"needs 2\.\.2"):
        scene.apply(AnnotationUpdate("o5", "a1", points=((0.1, 0.1),)))
    assert not scene.apply(AnnotationUpdate("o6", "gone", label="x")), "unknown id: no change"


def test_an_update_that_changes_nothing_is_refused_on_the_wire():
    with pytest.raises(ProtocolError, match="changes nothing"):
        parse_channel_message(json.dumps({"type": "ann.update", "op": "o1", "id": "a1"}))


def test_the_scene_holds_a_bounded_number_of_annotations():
    scene = AnnotationScene()
    for i in range(MAX_ANNOTATIONS):
        scene.apply(AnnotationAdd(f"o{i}", ann(AnnotationKind.MARK, i)))
    with pytest.raises(SceneError, match="clear some"):
        scene.apply(AnnotationAdd("more", ann(AnnotationKind.MARK, 10**6)))
    assert scene.apply(AnnotationAdd("replace", ann(AnnotationKind.MARK, 0, color="#00ff00")))


def test_resync_then_own_pending_ops_laid_back_on_top():
    station, viewer = AnnotationScene(), AnnotationScene()
    confirmed = AnnotationAdd("o1", ann(AnnotationKind.RECT, 1))
    pending = AnnotationAdd("o2", ann(AnnotationKind.ARROW, 2))
    for s in (station, viewer):
        s.apply(confirmed)
    viewer.apply(pending)  # shown at once; the station never got it (link dropped)
    viewer.apply(AnnotationAdd("o3", ann(AnnotationKind.MARK, 3)))  # stale, since cleared
    station.apply(AnnotationAdd("o9", ann(AnnotationKind.TEXT, 9, author="Dr 2")))
    # The resync: the station's scene, then our unconfirmed op again.
    viewer.reset(station.annotations())
    assert viewer.replay(pending)
    station.apply(pending)  # the resend arrives
    assert viewer.annotations() == station.annotations()


def test_lifetime_fades_over_the_last_second():
    a = ann(AnnotationKind.ARROW, lifetime_s=3.0)
    t0 = a.created_ms
    assert opacity(a, t0) == 1.0
    assert opacity(a, t0 + 2500) == pytest.approx(0.5)
    assert opacity(a, t0 + 3000) == 0.0
    assert opacity(ann(AnnotationKind.MARK), t0 + 10**9) == 1.0


# --- ordering across two roads ------------------------------------------------------


def test_sequencer_puts_a_second_road_back_in_order():
    seq: OpSequencer[str] = OpSequencer(gap_timeout_s=1.0)
    assert seq.push("dr", 1, "add", 0.0) == ["add"]
    assert seq.push("dr", 3, "extend2", 0.1) == [], "waits for 2"
    assert seq.push("dr", 4, "update", 0.1) == []
    assert seq.push("dr", 2, "extend1", 0.2) == ["extend1", "extend2", "update"]
    assert seq.push("dr", 2, "extend1", 0.3) == ["extend1"], "a resend is passed on (acked)"
    assert seq.push("other", 1, "x", 0.3) == ["x"], "senders are independent"


def test_sequencer_gives_up_on_a_gap_after_its_timeout():
    seq: OpSequencer[str] = OpSequencer(gap_timeout_s=1.0)
    assert seq.push("dr", 5, "late", 0.0) == []  # 1..4 died with an old link
    assert seq.due(0.5) == []
    assert seq.due(1.0) == [("dr", "late")]
    assert seq.push("dr", 6, "next", 1.1) == ["next"]
    assert seq.gaps_skipped == 1


def test_scene_fed_reordered_ops_through_the_sequencer_matches_the_in_order_scene():
    ops = annotation_ops(
        Annotation("s", AnnotationKind.STROKE, EXAMPLES[AnnotationKind.STROKE] * 30, "x"),
        ops_counter(),
    )
    ops.append(AnnotationUpdate("u", "s", color="#00ffff", seq=len(ops) + 1))
    straight, shuffled = AnnotationScene(), AnnotationScene()
    for op in ops:
        straight.apply(op)
    seq: OpSequencer = OpSequencer()
    order = [ops[-1], *ops[2:-1], ops[0], ops[1]]  # update first, add late
    for op in order:
        for ready in seq.push("dr", op.seq, op, 0.0):
            shuffled.apply(ready)
    assert shuffled.annotations() == straight.annotations()


# --- undo / redo ------------------------------------------------------------------


def test_undo_redo_intents():
    h = UndoHistory()
    a, b = ann(AnnotationKind.MARK, 1), ann(AnnotationKind.ARROW, 2)
    h.record(added(a))
    h.record(added(b))
    moved = Annotation(id="a2", kind=AnnotationKind.ARROW, points=((0, 0), (1, 1)), author="x")
    h.record(changed(b, moved))
    h.record(removed((a, moved)))
    assert h.undo() == (a, moved), "undo of a clear puts both back"
    assert h.undo() == (b,), "undo of a move restores the old geometry"
    assert h.redo() == (moved,)
    h.record(added(ann(AnnotationKind.TEXT, 3)))
    assert not h.can_redo, "a new step forgets what was undone"
    assert h.undo() == ("a3",)


def test_redo_of_a_stroke_brings_back_all_of_it():
    h = UndoHistory()
    start = Annotation("s", AnnotationKind.STROKE, ((0.1, 0.1),), "x")
    grown = start.with_points(((0.1, 0.1), (0.2, 0.2), (0.3, 0.3)))
    h.record(added(start))
    h.amend_last("s", grown)
    assert h.undo() == ("s",)
    assert h.redo() == (grown,)


# --- hostile input ----------------------------------------------------------------------


def _add(**fields):
    base = {"id": "a1", "kind": "stroke", "points": [[0.5, 0.5]], "author": "x",
            "color": "#ffcc00", "created_ms": 0}  # fmt: skip
    base.update(fields)
    return json.dumps({"type": "ann.add", "op": "o1", "ann": base})


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (_add(points=[[0.5, 0.5]] * (MAX_POINTS_PER_MESSAGE + 1)), "more than"),
        (_add(kind="text"), "label"),
        (_add(kind="area", points=[[0.1, 0.1], [0.2, 0.2]]), "needs 3..3"),
        (_add(kind="laser"), "kind"),
        (json.dumps({"type": "ann.extend", "op": "o", "id": "a", "points": []}), "at least one"),
        (json.dumps({"type": "ann.extend", "op": "o", "id": "a", "points": [[2, 0]]}), "between"),
        (json.dumps({"type": "ann.update", "op": "o", "id": "a", "points": [[0, 0]], "seq": -2}),
         "'seq'"),
        (json.dumps({"type": "calib", "op": "o", "origin": "user", "width": 10, "height": 10}),
         "mm_per_px"),
        (json.dumps({"type": "calib", "op": "o", "origin": "user", "width": 10, "height": 10,
                     "mm_per_px_x": 0, "mm_per_px_y": 0.1}), "mm_per_px_x"),
        (json.dumps({"type": "scene.sync", "phase": "middle", "epoch": "e", "count": 0}),
         "phase"),
    ],
)  # fmt: skip
def test_hostile_messages_rejected_with_a_reason(data, words):
    with pytest.raises(ProtocolError) as info:
        parse_channel_message(data)
    assert words in info.value.reason


hostile_point = st.one_of(
    st.tuples(st.floats(allow_nan=True, allow_infinity=True), st.floats()),
    st.tuples(st.floats(0, 1), st.floats(0, 1)),
    st.just(("x", None)),
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([k.value for k in AnnotationKind] + ["beam", "", None]),
    st.lists(hostile_point, max_size=8),
)
def test_a_bad_message_never_touches_the_scene(kind, points):
    scene = AnnotationScene()
    scene.apply(AnnotationAdd("keep", ann(AnnotationKind.MARK)))
    before = (scene.annotations(), scene.revision)
    raw = {"type": "ann.add", "op": "o2", "ann": {
        "id": "a2", "kind": kind, "points": [list(p) for p in points], "author": "x",
        "color": "#ffffff", "created_ms": 0}}  # fmt: skip
    try:
        text = json.dumps(raw)
    except ValueError:
        return
    try:
        msg = parse_channel_message(text)
    except ProtocolError as exc:
        assert exc.reason
        assert (scene.annotations(), scene.revision) == before
        return
    # Accepted: then every coordinate was a finite number inside the image.
    assert all(0 <= c <= 1 and math.isfinite(c) for p in msg.ann.points for c in p)
    scene.apply(msg)
    assert scene.get("a1") == before[0][0]


def test_calibration_message_round_trip():
    msg = CalibrationSet("o1", CalibrationOrigin.USER, 1024, 768, 0.065, 0.065,
                         (0.9, 0.1), (0.9, 0.9), 40.0, by="Dr", seq=3)  # fmt: skip
    assert parse_channel_message(encode_channel(msg)) == msg
    sync = SceneSync("begin", "e-1", 4)
    assert parse_channel_message(encode_channel(sync)) == sync
    assert parse_channel_message(encode_channel(AnnotationClear("c", "Dr", 2))).seq == 2
    assert parse_channel_message(encode_channel(AnnotationRemove("r", "a", 5))).seq == 5


def test_author_names_only_when_more_than_one_person_draws():
    """Issue 15, item 14: one expert's name on every mark is clutter."""
    from ultrasound_consult.annotate.render import render_annotations
    from ultrasound_consult.annotate.shapes import Label, several_authors, shapes_for

    frame = np.zeros((480, 640), np.uint8)
    one = [ann(AnnotationKind.MARK, 1, author="Dr A"), ann(AnnotationKind.ARROW, 2, author="Dr A")]
    assert not several_authors(one)
    mark = one[0]
    assert not any(isinstance(s, Label) for s in shapes_for(mark, 640, 480, show_author=False))
    assert any(isinstance(s, Label) for s in shapes_for(mark, 640, 480))
    bare = render_annotations(frame, one, labels=False)
    assert np.array_equal(render_annotations(frame, one), bare), "no name drawn for one author"
    two = [*one, ann(AnnotationKind.MARK, 3, author="Dr B")]
    assert several_authors(two)
    assert not np.array_equal(
        render_annotations(frame, two), render_annotations(frame, two, labels=False)
    ), "names drawn once two people draw"
