"""A lecture through a real Janus: the station publishes once, trainees watch from the
SFU, annotations reach them through the server's fan-out, they ask and are answered,
one is unmuted and heard, and the expert's peer link never notices the SFU."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import numpy as np
import pytest
from aiortc.mediastreams import AudioStreamTrack

from signaling_server.process import SignalingServerProcess
from tests.support.observers import RecordingObserver
from ultrasound_consult.media.audio import SAMPLE_RATE, RecordingOutput, SyntheticCapture
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.protocol.guidance import Action, Direction
from ultrasound_consult.protocol.janus import STATION_FEED, JanusError, SfuGrant
from ultrasound_consult.protocol.lecture import LectureAction
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.record.bundle import LECTURE
from ultrasound_consult.record.session_bundle import SessionBundle
from ultrasound_consult.session.call import CallConfig, ConsultCall
from ultrasound_consult.session.lecture_host import SPEAKER_FEED
from ultrasound_consult.session.observer import CallState
from ultrasound_consult.session.sfu_link import SfuPublisher, SfuSubscriber


class Member:
    def __init__(self, call: ConsultCall, obs: RecordingObserver, ear: RecordingOutput) -> None:
        self.call, self.obs, self.ear = call, obs, ear


@contextlib.asynccontextmanager
async def member(
    server: SignalingServerProcess,
    room: str,
    role: str,
    name: str,
    *,
    tone: float | None = None,
    lecture: bool = False,
) -> AsyncIterator[Member]:
    obs, ear = RecordingObserver(), RecordingOutput()
    config = CallConfig.from_invite(server.url, server.invite(room, role), name, lecture=lecture)
    call = ConsultCall(
        config,
        obs,
        source=open_source("synthetic:320x240@30") if role == "station" else None,
        mask=PrivacyMask(),
        audio=SyntheticCapture.tone(tone) if tone else None,
        speaker=ear,
    )
    await call.start()
    try:
        yield Member(call, obs, ear)
    finally:
        await call.stop()


def has_tone(ear: RecordingOutput, hz: float) -> bool:
    """The last half second holds ``hz`` among the loudest frequencies."""
    heard = ear.recent(0.5).astype(np.float64)
    if len(heard) < SAMPLE_RATE // 2 or not heard.any():
        return False
    spectrum = np.abs(np.fft.rfft(heard * np.hanning(len(heard))))
    freqs = np.fft.rfftfreq(len(heard), 1 / SAMPLE_RATE)
    near = spectrum[np.abs(freqs - hz) < 6].max()
    return bool(near > 0.25 * spectrum[1:].max())


async def frames(m: Member, count: int, what: str) -> None:
    start = m.obs.remote_count
    await m.obs.wait_for(lambda: m.obs.remote_count >= start + count, what=what, timeout=20)


def annotation_ids(obs: RecordingObserver) -> set[str]:
    return {a.id for a in obs.annotations}


async def test_a_lecture_with_trainees_questions_and_a_voice(sfu_server, room):
    async with contextlib.AsyncExitStack() as stack:
        st = await stack.enter_async_context(
            member(sfu_server, room, "station", "Clinic", tone=440)
        )
        ex = await stack.enter_async_context(member(sfu_server, room, "expert", "Dr Li"))
        tr = await stack.enter_async_context(
            member(sfu_server, room, "trainer", "Prof Wang", tone=660)
        )
        await ex.obs.wait_for(lambda: ex.obs.state is CallState.CONNECTED, what="expert on")
        await tr.obs.wait_for(lambda: tr.obs.state is CallState.CONNECTED, what="trainer on")

        # The trainer turns the call into a lecture; trainees join after and before.
        early = await stack.enter_async_context(member(sfu_server, room, "observer", "早"))
        await early.obs.wait_for(lambda: early.obs.state is CallState.CONNECTED, what="p2p")
        tr.call.lecture.control(LectureAction.START)
        await st.obs.wait_for(lambda: bool(st.obs.lecture and st.obs.lecture.relayed), what="pub")
        trainees = [early]
        for i, tone in enumerate((1320.0, None)):
            trainees.append(
                await stack.enter_async_context(
                    member(sfu_server, room, "observer", f"学员{i}", tone=tone)
                )
            )
        for t in trainees:
            await t.obs.wait_for(
                lambda t=t: bool(t.obs.lecture and t.obs.lecture.relayed), what="sfu"
            )
            await frames(t, 20, "frames through the SFU")
        # The station holds no peer link to any trainee: one upload serves them all.
        assert {link.remote.role for link in st.call.links.values()} == {
            Role.EXPERT,
            Role.TRAINER,
        }
        assert st.call.lecture.publisher is not None

        # The expert draws; every trainee gets it (through the server's fan-out).
        ann = ex.call.collab.add_annotation(AnnotationKind.ARROW, ((0.2, 0.2), (0.5, 0.5)))
        for t in trainees:
            await t.obs.wait_for(lambda t=t: ann in annotation_ids(t.obs), what="annotation")

        # A question: it reaches the trainer's queue, the trainee sees it delivered.
        asker = trainees[1]
        op = asker.call.lecture.ask("这个是胆囊吗?")
        await asker.obs.wait_for(
            lambda: any(q.op == op and q.delivered for q in asker.obs.lecture.asked),
            what="question delivered",
        )
        await tr.obs.wait_for(
            lambda: tr.obs.roster is not None and len(tr.obs.roster.questions) == 1,
            what="question in the trainer's queue",
        )
        question = tr.obs.roster.questions[0]
        assert question.text == "这个是胆囊吗?" and question.name == "学员0"
        # Every trainee reports how well it watches.
        await tr.obs.wait_for(
            lambda: (
                len(tr.obs.roster.watchers) == 3
                and all(w.report and w.report.fps > 5 for w in tr.obs.roster.watchers)
            ),
            what=f"reports from all three {tr.obs.roster}",
        )

        # A hand raised, and lowered by the trainer: the trainee's own state follows.
        trainees[2].call.lecture.raise_hand(True)
        await tr.obs.wait_for(
            lambda: any(w.hand for w in tr.obs.roster.watchers), what="the hand in the roster"
        )
        tr.call.lecture.control(LectureAction.LOWER_HAND, peer=trainees[2].call.me.id)
        await trainees[2].obs.wait_for(lambda: not trainees[2].obs.lecture.hand, what="lowered")
        await tr.obs.wait_for(lambda: not any(w.hand for w in tr.obs.roster.watchers), what="-")

        # Unmuted, the asker is heard by the trainer and the station.
        tr.call.lecture.control(LectureAction.UNMUTE, peer=asker.call.me.id)
        await asker.obs.wait_for(lambda: asker.obs.lecture.speaking, what="speaking")
        await tr.obs.wait_for(lambda: has_tone(tr.ear, 1320), what="trainer hears", timeout=20)
        # ... and the class hears it, and the trainer's own voice (its feed on the SFU).
        listener = trainees[2]
        await listener.obs.wait_for(lambda: has_tone(listener.ear, 1320), what="class", timeout=20)
        await listener.obs.wait_for(lambda: has_tone(listener.ear, 660), what="trainer", timeout=20)
        await st.obs.wait_for(lambda: has_tone(st.ear, 1320), what="station hears", timeout=20)
        tr.call.lecture.control(LectureAction.ANSWERED, question=question.id)
        await tr.obs.wait_for(lambda: not tr.obs.roster.questions, what="queue empty")

        # The upload to the SFU follows Janus's REMB (no arrival reports come from it),
        # and a quality change reaches it as it reaches each peer's stream.
        upload = st.call.lecture.publisher.outgoing
        st.call.stream.set_quality("balanced")
        assert upload.encoder.policy.preset.name == "balanced"
        assert upload.video.preset.name == "balanced"

        # The expert's link stayed peer to peer all along.
        expert_link = next(iter(ex.call.links.values()))
        assert expert_link.connection_state == "connected"


async def test_without_an_sfu_the_trainer_hears_why(signaling_server, room):
    async with contextlib.AsyncExitStack() as stack:
        st = await stack.enter_async_context(member(signaling_server, room, "station", "Clinic"))
        tr = await stack.enter_async_context(member(signaling_server, room, "trainer", "Prof"))
        await tr.obs.wait_for(lambda: tr.obs.state is CallState.CONNECTED, what="trainer on")
        tr.call.lecture.control(LectureAction.START)
        await tr.obs.wait_for(
            lambda: any(code == "lecture_refused" for code, _ in tr.obs.errors), what="refusal"
        )
        message = next(m for code, m in tr.obs.errors if code == "lecture_refused")
        assert "SFU" in message and "4" in message
        assert not st.call.lecture.on


async def test_janus_restart_trainees_back_within_5_s_expert_never_interrupted(
    janus, sfu_server, room
):
    async with contextlib.AsyncExitStack() as stack:
        st = await stack.enter_async_context(
            member(sfu_server, room, "station", "Clinic", lecture=True)
        )
        ex = await stack.enter_async_context(member(sfu_server, room, "expert", "Dr Li"))
        ex.obs.keep_frames = 100_000  # every arrival time, to find the longest gap
        trainees = [
            await stack.enter_async_context(member(sfu_server, room, "observer", f"t{i}"))
            for i in range(2)
        ]
        for t in trainees:
            await frames(t, 10, "frames through the SFU")
        await frames(ex, 10, "the expert's frames")
        states_before = len(ex.obs.states)

        janus.kill()
        crashed = time.perf_counter()
        for t in trainees:
            await t.obs.wait_for(lambda t=t: not t.obs.lecture.relayed, what="trainee lost it")
        janus.start()
        counts = [t.obs.remote_count for t in trainees]
        for t, count in zip(trainees, counts, strict=True):
            await t.obs.wait_for(
                lambda t=t, c=count: t.obs.remote_count >= c + 5, what="back", timeout=10
            )
        recovered = time.perf_counter() - crashed
        await st.obs.wait_for(lambda: st.obs.lecture.relayed, what="the station publishes again")
        await frames(ex, 30, "the expert's frames after")

        print(f"trainees back {recovered:.2f} s after Janus was killed")
        assert recovered < 5.0
        # The expert's peer link never noticed: no state change, no gap in its picture.
        assert len(ex.obs.states) == states_before
        arrivals = [f.received_at for f in ex.obs.remote_frames if f.received_at >= crashed]
        gaps = np.diff(arrivals)
        assert arrivals[0] - crashed < 0.2 and arrivals[-1] - crashed > recovered
        assert gaps.max() < 0.25, f"longest gap in the expert's picture {gaps.max():.3f} s"
        assert st.call.lecture.publisher is not None and st.call.lecture.publisher.rejoins >= 1


async def test_a_pin_holder_cannot_take_the_picture_or_a_voice_and_strangers_see_nothing(
    sfu_server, room
):
    async with contextlib.AsyncExitStack() as stack:
        st = await stack.enter_async_context(member(sfu_server, room, "station", "Clinic"))
        tr = await stack.enter_async_context(member(sfu_server, room, "trainer", "Prof"))
        honest = await stack.enter_async_context(
            member(sfu_server, room, "observer", "学员", tone=1320)
        )
        rogue = await stack.enter_async_context(member(sfu_server, room, "observer", "Rogue"))
        await tr.obs.wait_for(lambda: tr.obs.state is CallState.CONNECTED, what="trainer on")
        # An admitted trainee gets the pin and a token, and sits on the station's feed
        # and on the unmuted trainee's voice before the lecture starts.
        grant = await rogue.call.room.request_sfu(())
        squatters = [
            SfuPublisher(replace(grant, feed=feed), AudioStreamTrack, name=f"rogue-{feed}")
            for feed in (STATION_FEED, SPEAKER_FEED)
        ]
        for squatter in squatters:
            await squatter.start()
            stack.push_async_callback(squatter.close)

        tr.call.lecture.control(LectureAction.START)
        await st.obs.wait_for(lambda: bool(st.obs.lecture and st.obs.lecture.relayed), what="pub")
        await frames(honest, 20, "the station's picture, not the squatter's")
        tr.call.lecture.control(LectureAction.UNMUTE, peer=honest.call.me.id)
        await tr.obs.wait_for(
            lambda: has_tone(tr.ear, 1320), what="the trainee's voice", timeout=20
        )

        # Someone with the Janus address and room number but no grant: refused.
        for stranger in (
            SfuGrant(grant.url, grant.room, pin="", token=""),
            SfuGrant(grant.url, grant.room, pin="guess", token=grant.token),
        ):
            with pytest.raises(JanusError):
                await SfuSubscriber(stranger).start(timeout=5)


async def test_pointer_cues_and_scale_reach_trainees_and_the_recording_replays(
    sfu_server, room, tmp_path
):
    async with contextlib.AsyncExitStack() as stack:
        st = await stack.enter_async_context(
            member(sfu_server, room, "station", "Clinic", lecture=True)
        )
        ex = await stack.enter_async_context(member(sfu_server, room, "expert", "Dr Li"))
        await ex.obs.wait_for(lambda: ex.obs.state is CallState.CONNECTED, what="expert on")
        folder = st.call.start_recording(tmp_path / "lecture")
        trainees = [
            await stack.enter_async_context(member(sfu_server, room, "observer", f"t{i}"))
            for i in range(2)
        ]
        for t in trainees:
            await frames(t, 10, "frames through the SFU")

        ex.call.collab.calibrate((0.1, 0.5), (0.9, 0.5), 100.0)
        cue = ex.call.collab.send_cue(Action.SLIDE, Direction.HEAD)
        mark = ex.call.collab.add_annotation(AnnotationKind.MARK, ((0.3, 0.4),))
        for x in (0.2, 0.4, 0.6):
            ex.call.collab.pointer.move(x, 0.5)
        for t in trainees:
            await t.obs.wait_for(lambda t=t: t.obs.calibration is not None, what="scale")
            await t.obs.wait_for(
                lambda t=t: any(e.cue.id == cue for e in t.obs.cues), what="the cue"
            )
            await t.obs.wait_for(lambda t=t: mark in annotation_ids(t.obs), what="the mark")
            # The latest pointer position arrives (sent at most 15 times a second).
            await t.obs.wait_for(
                lambda t=t: any(p.author == "Dr Li" and p.x == 0.6 for p in t.obs.pointers),
                what="the expert's pointer",
            )
        scale = st.call.collab.overlay.calibration
        assert replace(trainees[0].obs.calibration, seq=0) == replace(scale, seq=0)
        await st.call.stop_recording()

    # The station's recording of the lecture replays as a consult's does.
    timeline = SessionBundle.open(folder).timeline
    state = timeline.state_at(1e6)  # after everything
    assert mark in {a.id for a in state.annotations}
    assert state.calibration is not None and any(e.cue.id == cue for e in state.cues)
    lecture_events = [e for e in SessionBundle.open(folder).events if e.type == LECTURE]
    assert lecture_events and lecture_events[0].data.get("on") is True


async def test_a_station_restarted_mid_lecture_gets_its_trainees_back_peer_to_peer(
    sfu_server, room
):
    async with contextlib.AsyncExitStack() as stack:
        trainee = await stack.enter_async_context(member(sfu_server, room, "observer", "t"))
        async with member(sfu_server, room, "station", "Clinic", lecture=True):
            await frames(trainee, 10, "frames through the SFU")
            assert trainee.obs.lecture.on and trainee.call.lecture.seat.view is not None
        # The station's app comes back as a consult (nobody started a lecture yet).
        async with member(sfu_server, room, "station", "Clinic"):
            await trainee.obs.wait_for(lambda: not trainee.obs.lecture.on, what="lecture off")
            await trainee.obs.wait_for(
                lambda: trainee.obs.state is CallState.CONNECTED, what="peer link"
            )
            await frames(trainee, 10, "frames peer to peer")
            assert trainee.call.lecture.seat.view is None and trainee.call.links


async def test_the_lecture_moves_to_the_new_room_of_a_restarted_signalling_server(
    janus, room, tmp_path
):
    secret_file = tmp_path / "sfu.secret"
    secret_file.write_text(janus.secret + "\n")
    args = ["--sfu", f"janus:{janus.url}", "--sfu-secret-file", str(secret_file)]
    first = SignalingServerProcess(log_file=tmp_path / "first.log", extra_args=args).start()
    try:
        async with contextlib.AsyncExitStack() as stack:
            st = await stack.enter_async_context(
                member(first, room, "station", "Clinic", lecture=True)
            )
            trainees = [
                await stack.enter_async_context(member(first, room, "observer", f"t{i}"))
                for i in range(2)
            ]
            for t in trainees:
                await frames(t, 10, "frames through the SFU")
            old_room = st.call.lecture.publisher.grant.room
            invites_secret = tmp_path / "signaling.secret"  # stop() removes its folder
            invites_secret.write_bytes(first.secret_file.read_bytes())
            first.stop()  # its lecture room goes with it
            second = SignalingServerProcess(
                port=first.port,
                secret_file=invites_secret,
                log_file=tmp_path / "second.log",
                extra_args=args,
            ).start()
            stack.callback(second.stop)
            for t in trainees:
                await t.obs.wait_for(
                    lambda t=t: any(up for up, _ in t.obs.server_events), timeout=30
                )
                await frames(t, 10, "frames from the new room")
            assert st.call.lecture.publisher.grant.room != old_room
            assert st.obs.lecture.on and not st.call.links  # still a lecture, no peer links
    finally:
        first.stop()
