"""The expert's hands end to end on loopback: the real server process, real aiortc
peers. Every kind reaches the station and a watching trainee, long strokes arrive
whole, cues are answered, calibration is shared, snapshots arrive, and operations
still arrive through the server when the data channel is down."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.support.calls import connected_with_frames, party
from ultrasound_consult.annotate.calibration import calibration_of
from ultrasound_consult.annotate.shapes import measurement_text
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.protocol.channel import OPS_CHANNEL
from ultrasound_consult.protocol.guidance import Action, CueStatus, Direction

SOURCE = "synthetic:320x240@15"


def ids(annotations) -> set[str]:
    return {a.id for a in annotations}


async def test_every_kind_reaches_the_station_and_a_trainee_with_round_trips(signaling_url, invite):
    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(SOURCE)) as st,
        party(signaling_url, invite("expert"), "Dr 王") as ex,
        party(signaling_url, invite("observer"), "Trainee") as ob,
    ):
        await connected_with_frames(ex, 3)
        await connected_with_frames(ob, 3)
        c = ex.call.collab
        made = [
            c.add_annotation(AnnotationKind.MARK, ((0.5, 0.5),)),
            c.add_annotation(AnnotationKind.ARROW, ((0.1, 0.1), (0.3, 0.3)), color="#00ffff"),
            c.add_annotation(AnnotationKind.STROKE, tuple((i / 100, 0.5) for i in range(100))),
            c.add_annotation(AnnotationKind.ELLIPSE, ((0.2, 0.2), (0.4, 0.3))),
            c.add_annotation(AnnotationKind.RECT, ((0.6, 0.6), (0.8, 0.7))),
            c.add_annotation(AnnotationKind.TEXT, ((0.3, 0.8),), label="胆囊 GB"),
            c.add_annotation(AnnotationKind.CALIPER, ((0.2, 0.5), (0.7, 0.5))),
            c.add_annotation(AnnotationKind.AREA, ((0.3, 0.5), (0.7, 0.5), (0.5, 0.6))),
        ]
        assert ids(ex.obs.annotations) == set(made), "the author sees them at once"
        await st.obs.wait_for(lambda: ids(st.obs.annotations) == set(made), what="station")
        await ob.obs.wait_for(lambda: ids(ob.obs.annotations) == set(made), what="trainee")
        await ex.obs.wait_for(lambda: not ex.obs.pending, what="all confirmed")
        assert len(ex.obs.acks) == len(made) and all(ok for _, ok, _, _ in ex.obs.acks)
        assert all(rtt > 0 for _, _, rtt, _ in ex.obs.acks)
        assert st.obs.annotations == ex.obs.annotations == ob.obs.annotations
        station_authors = {a.author for a in st.obs.annotations}
        assert station_authors == {"Dr 王"}, "the station sees who drew what"

        # Edit, undo and redo converge everywhere too.
        c.update_annotation(made[1], points=((0.5, 0.5), (0.9, 0.9)))
        c.remove_annotation(made[0])
        assert c.undo() and c.undo()  # the mark is back, the arrow where it was
        assert c.redo()  # the arrow moved again
        await st.obs.wait_for(
            lambda: st.obs.annotations == ex.call.collab.scene.annotations(), what="edits converge"
        )
        arrow = st.call.collab.scene.get(made[1])
        assert arrow.points == ((0.5, 0.5), (0.9, 0.9)) and made[0] in st.call.collab.scene
        c.clear_annotations(mine_only=True)
        await ob.obs.wait_for(lambda: not ob.obs.annotations, what="trainee cleared")
        assert not st.call.collab.scene.annotations()

        # The trainee may not draw: the station refuses, nothing changes.
        ob.call.collab.add_annotation(AnnotationKind.MARK, ((0.5, 0.5),))
        await ob.obs.wait_for(lambda: ob.obs.acks and not ob.obs.acks[-1][1], what="refusal")
        assert not st.call.collab.scene.annotations()


async def test_a_10000_point_stroke_arrives_whole_while_video_flows(signaling_url, invite):
    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(SOURCE)) as st,
        party(signaling_url, invite("expert"), "Dr") as ex,
    ):
        await connected_with_frames(ex, 3)
        pts = tuple((0.5 + 0.4 * math.cos(i / 300), 0.5 + 0.4 * math.sin(i / 170))
                    for i in range(10_000))  # fmt: skip
        stroke = ex.call.collab.add_annotation(AnnotationKind.STROKE, pts[:1])
        ex.call.collab.extend_stroke(stroke, pts[1:])
        frames = ex.obs.remote_count
        await st.obs.wait_for(
            lambda: st.obs.annotations and len(st.obs.annotations[0].points) == 10_000,
            what="whole stroke at the station",
        )
        assert np.allclose(st.call.collab.scene.get(stroke).points, pts, atol=1e-5)
        await ex.obs.wait_for(lambda: ex.obs.remote_count >= frames + 5, what="video goes on")


async def test_cue_shown_answered_and_seen_by_the_expert(signaling_url, invite):
    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(SOURCE)) as st,
        party(signaling_url, invite("expert"), "Dr") as ex,
    ):
        await connected_with_frames(ex, 3)
        first = ex.call.collab.send_cue(Action.SLIDE, Direction.HEAD, probe=(0.5, 0.4),
                                        marker_deg=0.0)  # fmt: skip
        await st.obs.wait_for(
            lambda: st.obs.active_cue and st.obs.active_cue.cue.id == first, what="cue shown"
        )
        second = ex.call.collab.send_cue(Action.ROTATE, Direction.CLOCKWISE, angle_deg=90)
        await st.obs.wait_for(
            lambda: st.obs.active_cue and st.obs.active_cue.cue.id == second, what="replaced"
        )
        assert st.call.collab.station.answer_cue(CueStatus.DONE)
        status = lambda cid: next(  # noqa: E731
            (e.status for e in ex.obs.cues if e.cue.id == cid), None
        )
        await ex.obs.wait_for(lambda: status(second) is CueStatus.DONE, what="done seen")
        assert status(first) is CueStatus.REPLACED
        assert next(e for e in ex.obs.cues if e.cue.id == second).by == "Clinic"
        third = ex.call.collab.send_cue(Action.HOLD)
        await st.obs.wait_for(lambda: st.obs.active_cue is not None, what="hold shown")
        ex.call.collab.cancel_cue(third)
        await st.obs.wait_for(lambda: st.obs.active_cue is None, what="withdrawn")
        await ex.obs.wait_for(lambda: status(third) is CueStatus.CANCELLED, what="cancel seen")


async def test_calibration_is_shared_and_measurements_agree(signaling_url, invite):
    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(SOURCE)) as st,
        party(signaling_url, invite("expert"), "Dr") as ex,
    ):
        await connected_with_frames(ex, 3)
        # The phantom knows its scale: the expert has it before anyone calibrates.
        await ex.obs.wait_for(lambda: ex.obs.calibration is not None, what="source scale")
        assert ex.obs.calibration.origin.value == "synthetic"
        ex.call.collab.calibrate((0.9, 0.1), (0.9, 0.9), 60.0)
        await st.obs.wait_for(
            lambda: st.obs.calibration and st.obs.calibration.origin.value == "user",
            what="user calibration at the station",
        )
        cal_st, cal_ex = calibration_of(st.obs.calibration), calibration_of(ex.obs.calibration)
        assert cal_st == cal_ex
        assert cal_st.mm_per_px_y == 60.0 / (0.8 * 240)
        caliper = ex.call.collab.add_annotation(AnnotationKind.CALIPER, ((0.1, 0.2), (0.1, 0.6)))
        await st.obs.wait_for(lambda: caliper in st.call.collab.scene, what="caliper")
        texts = {measurement_text(p.call.collab.scene.get(caliper), calibration_of(p.obs.calibration),
                                  320, 240) for p in (st, ex)}  # fmt: skip
        assert texts == {"30.0 mm"}


async def test_operations_go_through_the_server_when_the_data_channel_is_down(
    signaling_url, invite
):
    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(SOURCE)) as st,
        party(signaling_url, invite("expert"), "Dr") as ex,
    ):
        await connected_with_frames(ex, 3)
        (link,) = ex.call.links.values()
        link.channels[OPS_CHANNEL].close()
        await ex.obs.wait_for(lambda: not link.channel_open(OPS_CHANNEL), what="channel down")
        mark = ex.call.collab.add_annotation(AnnotationKind.MARK, ((0.4, 0.4),))
        cue = ex.call.collab.send_cue(Action.COMPRESS, Direction.MORE)
        await st.obs.wait_for(lambda: mark in st.call.collab.scene, what="mark via the server")
        await st.obs.wait_for(lambda: st.obs.active_cue is not None, what="cue via the server")
        assert st.obs.active_cue.cue.id == cue
        await ex.obs.wait_for(lambda: len(ex.obs.acks) == 2, what="acks back via the server")
        assert ex.call.stats.ops_via_server == 2
        assert st.call.stats.ops_via_server_received == 2


async def test_late_viewer_gets_the_whole_scene_and_a_snapshot_arrives(signaling_url, invite):
    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(SOURCE)) as st,
        party(signaling_url, invite("expert"), "Dr") as ex,
    ):
        await connected_with_frames(ex, 3)
        long = tuple((i / 2000, 0.3) for i in range(2000))
        stroke = ex.call.collab.add_annotation(AnnotationKind.STROKE, long)
        text = ex.call.collab.add_annotation(AnnotationKind.TEXT, ((0.5, 0.5),), label="here")
        await st.obs.wait_for(lambda: len(st.call.collab.scene) == 2, what="scene at the station")
        frame = ex.obs.remote_frames[-1]
        image = frame.display_array()
        snap = ex.call.collab.snapshots.send(
            image, ex.call.collab.scene.annotations(), media_ts=frame.media_ts
        )
        await st.obs.wait_for(lambda: st.obs.snapshots, what="snapshot at the station")
        got = st.obs.snapshots[0]
        assert got.header.id == snap and got.image.shape[:2] == image.shape[:2]
        assert got.header.media_ts == pytest.approx(frame.media_ts, abs=1e-6)
        assert [a.id for a in got.header.annotations] == [stroke, text]
        await ex.obs.wait_for(lambda: any(op == snap for op, *_ in ex.obs.acks), what="ack")
        async with party(signaling_url, invite("trainer"), "Teacher") as late:
            await late.obs.wait_for(lambda: len(late.obs.annotations) == 2, what="resync")
            assert len(late.call.collab.scene.get(stroke).points) == 2000
            assert late.obs.calibration is not None


async def test_marks_leave_with_their_author_come_back_on_rejoin_and_the_station_clears(
    signaling_url, invite, monkeypatch
):
    """A mark belongs to its author's presence (issue 15, item 2): the expert leaves,
    their marks leave the station's live image; they rejoin within the resume window,
    the marks are back; the station can always clear the overlay for everyone."""
    from ultrasound_consult.session import station_scene as collab_module

    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(SOURCE)) as st,
        party(signaling_url, invite("trainer"), "Teacher") as tr,
    ):
        await connected_with_frames(tr, 3)
        kept = tr.call.collab.add_annotation(AnnotationKind.MARK, ((0.1, 0.1),))
        async with party(signaling_url, invite("expert"), "Dr Li") as ex:
            await connected_with_frames(ex, 3)
            arrow = ex.call.collab.add_annotation(AnnotationKind.ARROW, ((0.2, 0.2), (0.5, 0.5)))
            mark = ex.call.collab.add_annotation(AnnotationKind.MARK, ((0.7, 0.3),))
            await st.obs.wait_for(
                lambda: len(st.call.collab.scene) == 3, what="marks at the station"
            )
            await tr.obs.wait_for(lambda: len(tr.obs.annotations) == 3, what="marks at trainer")
        # Gone with the expert, at the station and at the trainer; the trainer's stays.
        await st.obs.wait_for(lambda: ids(st.obs.annotations) == {kept}, what="marks cleared")
        await tr.obs.wait_for(lambda: ids(tr.obs.annotations) == {kept}, what="trainer too")
        async with party(signaling_url, invite("expert"), "Dr Li") as back:
            await connected_with_frames(back, 3)
            want = {kept, arrow, mark}
            await st.obs.wait_for(lambda: ids(st.obs.annotations) == want, what="restored")
            await tr.obs.wait_for(lambda: ids(tr.obs.annotations) == want, what="at trainer")
            await back.obs.wait_for(lambda: ids(back.obs.annotations) == want, what="own back")
            # The station clears the overlay for everyone, whoever drew.
            st.call.collab.station.clear()
            assert len(st.call.collab.scene) == 0
            await tr.obs.wait_for(lambda: not tr.obs.annotations, what="cleared at trainer")
            await back.obs.wait_for(lambda: not back.obs.annotations, what="cleared at expert")
        # Past the resume window, a rejoin brings nothing back.
        async with party(signaling_url, invite("expert"), "Dr Li") as ex:
            await connected_with_frames(ex, 3)
            late = ex.call.collab.add_annotation(AnnotationKind.MARK, ((0.4, 0.4),))
            await st.obs.wait_for(lambda: late in ids(st.obs.annotations), what="mark")
        await st.obs.wait_for(lambda: "Dr Li" in st.call.collab.station.set_aside, what="set aside")
        monkeypatch.setattr(collab_module, "MARKS_RESUME_S", 0.0)
        async with party(signaling_url, invite("expert"), "Dr Li") as back:
            await connected_with_frames(back, 3)
            assert "Dr Li" not in st.call.collab.station.set_aside
            assert late not in ids(st.call.collab.scene.annotations())


async def test_a_snapshot_is_encoded_off_the_loop_and_recorded_as_it_travelled(
    signaling_url, invite, tmp_path, monkeypatch
):
    """Item 4 of issue 14: the JPEG is made on a worker thread, and both recordings
    keep the very bytes that went over the wire (the station does not re-encode)."""
    import threading

    from ultrasound_consult.media import snapshot as snapshot_codec
    from ultrasound_consult.session import snapshots as snapshots_module

    threads: list[str] = []
    encode = snapshot_codec.encode_image

    def spying_encode(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return encode(*args, **kwargs)

    monkeypatch.setattr(snapshots_module, "encode_image", spying_encode)
    async with (
        party(signaling_url, invite("station"), "Clinic", open_source(SOURCE)) as st,
        party(signaling_url, invite("expert"), "Dr") as ex,
    ):
        await connected_with_frames(ex, 3)
        st.call.start_recording(tmp_path / "station")
        ex.call.start_recording(tmp_path / "expert")
        frame = ex.obs.remote_frames[-1]
        snap = ex.call.collab.snapshots.send(frame.display_array(), (), media_ts=frame.media_ts)
        await ex.obs.wait_for(lambda: any(op == snap for op, *_ in ex.obs.acks), what="ack")
        await st.call.stop_recording()
        await ex.call.stop_recording()
    assert threads and threads[0] != threading.main_thread().name
    sent = (tmp_path / "expert" / "snapshots" / f"{snap}.jpg").read_bytes()
    kept = (tmp_path / "station" / "snapshots" / f"{snap}.jpg").read_bytes()
    assert sent[:2] == b"\xff\xd8" and sent == kept
