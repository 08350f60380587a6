"""Recording a real call: both sides, every event, and replay that lines up to the frame."""

from __future__ import annotations

import json

import numpy as np

from tests.support.calls import connected_with_frames, party
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.protocol.guidance import Action, CueStatus, Direction
from ultrasound_consult.record.bundle import ULTRASOUND, read_session
from ultrasound_consult.record.session_bundle import SessionBundle


async def test_both_sides_record_and_replay_puts_each_annotation_on_its_frame(
    signaling_url, invite, tmp_path
):
    async with (
        party(
            signaling_url, invite("station"), "Clinic", open_source("synthetic:640x480@30")
        ) as st,
        party(signaling_url, invite("expert"), "Dr Li") as ex,
    ):
        await connected_with_frames(ex, 15)
        station_folder = st.call.start_recording(tmp_path / "station")
        expert_folder = ex.call.start_recording(tmp_path / "expert")
        # Everyone sees who records.
        await st.obs.wait_for(lambda: set(st.obs.recorders) == {"Clinic", "Dr Li"}, what="st")
        await ex.obs.wait_for(lambda: set(ex.obs.recorders) == {"Clinic", "Dr Li"}, what="ex")

        start = ex.obs.remote_count
        await ex.obs.wait_for(lambda: ex.obs.remote_count >= start + 20, what="frames")
        marks = []
        for i in range(3):
            seen = ex.obs.remote_frames[-1]
            mark = ex.call.collab.add_annotation(
                AnnotationKind.MARK, ((0.2 + 0.2 * i, 0.5),), media_ts=seen.media_ts
            )
            marks.append((mark, seen.media_ts))
            n = ex.obs.remote_count
            await ex.obs.wait_for(lambda n=n: ex.obs.remote_count >= n + 10, what="frames")
        cue_id = ex.call.collab.send_cue(Action.SLIDE, Direction.HEAD)
        await st.obs.wait_for(lambda: st.obs.active_cue is not None, what="cue shown")
        st.call.collab.station.answer_cue(CueStatus.DONE)
        await ex.obs.wait_for(
            lambda: any(e.cue.id == cue_id and e.status is CueStatus.DONE for e in ex.obs.cues),
            what="cue done at the expert",
        )
        ex.call.mark_moment("gallbladder wall")
        n = ex.obs.remote_count
        await ex.obs.wait_for(lambda: ex.obs.remote_count >= n + 15, what="frames")
        await ex.call.stop_recording()
        await st.call.stop_recording()
        await st.obs.wait_for(lambda: st.obs.recorders == (), what="indicator off")

    for folder, side in ((station_folder, "station"), (expert_folder, "expert")):
        info = read_session(folder)
        assert info.status == "complete" and info.recorder_role == side
        assert {p.name for p in info.participants} >= {"Clinic", "Dr Li"}
        bundle = SessionBundle.open(folder)
        report = bundle.check()
        assert report["ok"], report["problems"]
        assert report["tracks"][ULTRASOUND]["frames"] > 40
        assert report["tracks"][ULTRASOUND]["size"] == [640, 480]
        by_type = report["events"]["by_type"]
        assert by_type["ann.add"] == 3 and by_type["cue"] == 1, by_type
        assert by_type["cue.state"] >= 2  # shown, done
        json.dumps(report)  # what --check prints

        # Frame-accurate: each mark shows on the very frame it was drawn on, not before.
        reader = bundle.reader(ULTRASOUND)
        timeline = bundle.timeline
        for mark_id, media_ts in marks:
            i = reader.index_at(media_ts)
            assert abs(reader.media_ts(i) - media_ts) < 1 / 90000 + 1e-9, (side, i, media_ts)
            assert mark_id in {a.id for a in timeline.state_at(reader.media_ts(i)).annotations}
            before = timeline.state_at(reader.media_ts(i - 1)).annotations
            assert mark_id not in {a.id for a in before}, f"{side}: shown a frame early"
        end = timeline.state_at(reader.media_ts(len(reader) - 1))
        assert {m for m, _ in marks} <= {a.id for a in end.annotations}
        assert end.cue is None and any(e.status is CueStatus.DONE for e in end.cues)
        # The picture itself: frames decode, with the station's moving phantom in them.
        a, b = reader.frame(5), reader.frame(len(reader) - 5)
        assert a.shape[:2] == (480, 640) and float(np.abs(a.astype(int) - b).mean()) > 1.0
        bundle.close()
    expert_types = SessionBundle.open(expert_folder).check()["events"]["by_type"]
    assert expert_types["ack"] >= 4 and expert_types["marker"] == 1


async def test_recording_started_mid_call_opens_with_the_scene_on_screen(
    signaling_url, invite, tmp_path
):
    """Draw, then record, then replay frame 0: the caliper, arrow and mark everyone was
    looking at, the cue on screen and the scale are there (issue 15, item 1)."""
    from ultrasound_consult.record.export import frame_image

    async with (
        party(
            signaling_url, invite("station"), "Clinic", open_source("synthetic:640x480@30")
        ) as st,
        party(signaling_url, invite("expert"), "Dr Li") as ex,
    ):
        await connected_with_frames(ex, 15)
        collab = ex.call.collab
        before = {
            collab.add_annotation(AnnotationKind.CALIPER, ((0.3, 0.4), (0.6, 0.4))),
            collab.add_annotation(AnnotationKind.ARROW, ((0.2, 0.2), (0.4, 0.5))),
            collab.add_annotation(AnnotationKind.MARK, ((0.7, 0.7),)),
        }
        cue_id = collab.send_cue(Action.ROTATE, Direction.CLOCKWISE, angle_deg=45)
        await st.obs.wait_for(lambda: st.obs.active_cue is not None, what="cue shown")
        await st.obs.wait_for(
            lambda: before <= {a.id for a in st.call.collab.scene.annotations()}, what="marks at st"
        )
        await ex.obs.wait_for(lambda: not ex.call.collab.pending_annotation_ids(), what="acks")
        folders = {
            "station": st.call.start_recording(tmp_path / "station"),
            "expert": ex.call.start_recording(tmp_path / "expert"),
        }
        n = ex.obs.remote_count
        await ex.obs.wait_for(lambda: ex.obs.remote_count >= n + 20, what="frames")
        after = collab.add_annotation(
            AnnotationKind.MARK, ((0.5, 0.5),), media_ts=ex.obs.remote_frames[-1].media_ts
        )
        n = ex.obs.remote_count
        await ex.obs.wait_for(lambda: ex.obs.remote_count >= n + 20, what="frames")
        await ex.call.stop_recording()
        await st.call.stop_recording()

    for side, folder in folders.items():
        bundle = SessionBundle.open(folder)
        reader = bundle.reader(ULTRASOUND)
        first = bundle.timeline.state_at(reader.media_ts(0))
        shown = {a.id for a in first.annotations}
        assert before <= shown, f"{side}: frame 0 misses {before - shown}"
        assert after not in shown, f"{side}: a later mark shown at frame 0"
        assert first.cue is not None and first.cue.cue.id == cue_id, side
        assert first.calibration is not None, f"{side}: no scale at frame 0"
        last = bundle.timeline.state_at(reader.media_ts(len(reader) - 1))
        assert before | {after} <= {a.id for a in last.annotations}, side
        # The burned-in export of frame 0 carries the marks: it differs from the raw frame.
        raw = frame_image(bundle, 0, annotated=False)
        raw = raw if raw.ndim == 3 else np.repeat(raw[..., None], 3, axis=-1)
        burnt = frame_image(bundle, 0, annotated=True)
        assert float((np.abs(raw.astype(int) - burnt).max(axis=-1) > 60).mean()) > 0.001, side
        bundle.close()
