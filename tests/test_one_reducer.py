"""One reducer from messages to the overlay: a replay shows what the expert saw.

A real call is recorded by the expert (a trainer draws too, the station answers a
cue). Its recorded events are then fed, in the order replay applies them, to a
viewer's :class:`Collaboration` through its receive path (the live view) and to the
replay :class:`Timeline`; after every event the two hold the same annotations, cues
and scale.
"""

from __future__ import annotations

from tests.support.calls import connected_with_frames, party
from ultrasound_consult.annotate.overlay import OVERLAY_TYPES
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.protocol.channel import parse_channel_message
from ultrasound_consult.protocol.fields import encode_object
from ultrasound_consult.protocol.guidance import Action, CueStatus, Direction
from ultrasound_consult.protocol.signaling import PeerInfo, Role
from ultrasound_consult.record.session_bundle import SessionBundle
from ultrasound_consult.record.timeline import effective_time, tick
from ultrasound_consult.session.collab import Collaboration
from ultrasound_consult.session.journal import Journal
from ultrasound_consult.session.messenger import Messenger
from ultrasound_consult.session.observer import CallObserver
from ultrasound_consult.session.ports import CollabPorts
from ultrasound_consult.session.stats import CallStats

STATION = PeerInfo("station-1", Role.STATION, "Clinic")


def live_viewer() -> Collaboration:
    """A viewer's collaboration with no links: what it is told goes through its
    receive path exactly as in a call."""
    return Collaboration(
        CollabPorts(
            role=Role.EXPERT,
            messenger=Messenger(lambda: (), lambda _peer, _data: False),
            events=CallObserver(),
            stats=CallStats(role="expert"),
            journal=Journal(on_change=lambda _on: None, on_failed=lambda *_: None, spawn=print),
            author=lambda: "Replay",
            my_id=lambda: None,
            peer=lambda _id: STATION,
            station=lambda: STATION,
            frame_size=lambda: (640, 480),
            media_ts=lambda: None,
            spawn=lambda coro: coro.close(),
        )
    )


async def test_live_view_and_replay_hold_the_same_scene_at_every_event(
    signaling_url, invite, tmp_path
):
    folder = tmp_path / "expert-recording"
    async with (
        party(
            signaling_url, invite("station"), "Clinic", open_source("synthetic:640x480@30")
        ) as st,
        party(signaling_url, invite("expert"), "Dr Wang") as ex,
        party(signaling_url, invite("trainer"), "Dr Li") as tr,
    ):
        await connected_with_frames(ex, 5)
        await connected_with_frames(tr, 5)
        before = tr.call.collab.add_annotation(AnnotationKind.MARK, ((0.2, 0.2),))
        await ex.obs.wait_for(lambda: ex.call.collab.scene.get(before), what="trainer's mark")
        ex.call.start_recording(folder)

        async def frames_pass(n: int = 3) -> None:
            """A few frames go by between actions, as they do in a real consult."""
            seen = ex.obs.remote_count
            await ex.obs.wait_for(lambda: ex.obs.remote_count >= seen + n, what="frames")

        await frames_pass()
        arrow = ex.call.collab.add_annotation(AnnotationKind.ARROW, ((0.1, 0.1), (0.4, 0.5)))
        await frames_pass()
        ex.call.collab.add_annotation(AnnotationKind.CALIPER, ((0.3, 0.4), (0.6, 0.4)))
        await frames_pass()
        ex.call.collab.calibrate((0.1, 0.1), (0.1, 0.6), 40.0)
        await frames_pass()
        stroke = tr.call.collab.stroke("k", ((0.5, 0.5), (0.55, 0.52), (0.6, 0.56)))
        await frames_pass()
        tr.call.collab.extend_stroke(stroke, ((0.65, 0.6), (0.7, 0.61)))
        await frames_pass()
        ex.call.collab.send_cue(Action.ROTATE, Direction.CLOCKWISE, angle_deg=45)
        await st.obs.wait_for(lambda: st.obs.active_cue is not None, what="cue shown")
        await frames_pass()
        st.call.collab.station.answer_cue(CueStatus.DONE)
        await frames_pass()
        ex.call.collab.remove_annotation(arrow)
        await frames_pass()
        tr.call.collab.clear_annotations(mine_only=True)
        await ex.obs.wait_for(
            lambda: (
                ex.call.collab.scene.get(stroke) is None
                and ex.call.collab.scene.get(before) is None
                and not ex.call.collab.pending_annotation_ids()
                and any(e.status is CueStatus.DONE for e in ex.call.collab.guidance.entries())
            ),
            what="everything confirmed at the expert",
        )
        live_at_end = ex.call.collab.scene.annotations()
        await ex.call.stop_recording()

    bundle = SessionBundle.open(folder)
    timeline = bundle.timeline
    ordered = []
    for order, event in enumerate(bundle.events):
        if event.type in OVERLAY_TYPES:
            t = effective_time(event)
            ordered.append((float("-inf") if t is None else t, order, event))
    ordered.sort(key=lambda item: (item[0], item[1]))
    assert len(ordered) >= 12, [e.type for _, _, e in ordered]

    viewer = live_viewer()
    compared = 0
    for i, (t, _, event) in enumerate(ordered):
        msg = parse_channel_message(encode_object(event.data))
        viewer.on_message(STATION, msg, lambda _answer: None)
        last_of_moment = i + 1 == len(ordered) or (
            t == float("-inf") or tick(ordered[i + 1][0]) != tick(t)
        )
        if t == float("-inf") or not last_of_moment:
            continue
        state = timeline.state_at(t)
        assert state.annotations == viewer.scene.annotations(), f"after event {i} ({event.type})"
        assert state.cues == viewer.guidance.entries(), f"after event {i} ({event.type})"
        assert state.calibration == viewer.calibration, f"after event {i} ({event.type})"
        compared += 1
    assert compared >= 8, "\n".join(str((t, e.type, e.t, e.anchor)) for t, _, e in ordered)
    # And both end where the expert's own screen ended.
    assert viewer.scene.annotations() == live_at_end
    assert timeline.state_at(1e9).annotations == live_at_end
