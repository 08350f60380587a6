"""The lecture's windows (issue 17): a trainee watching through a real Janus raises a
hand, asks through the widgets and sees the "speak now" banner; the trainer's panel
lists the roster and sends the station the right commands."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.support.observers import RecordingObserver
from tests.support.ui import yellow_near
from ultrasound_consult.media.audio import RecordingOutput, SyntheticCapture
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.protocol.lecture import (
    LectureAction,
    QueuedQuestion,
    Roster,
    Watcher,
    WatchReport,
)
from ultrasound_consult.session.call import CallConfig, ConsultCall
from ultrasound_consult.session.engine_thread import EngineThread
from ultrasound_consult.session.observer import CallState, LectureStatus
from ultrasound_consult.ui.app import application, open_call
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.messages import error_headline


def headless(
    engine: EngineThread, config: CallConfig, **media
) -> tuple[ConsultCall, RecordingObserver]:
    """A call without a window, started on the engine's loop."""
    obs = RecordingObserver()

    async def build() -> ConsultCall:
        call = ConsultCall(config, obs, mask=PrivacyMask(), speaker=RecordingOutput(), **media)
        await call.start()
        return call

    return engine.submit(build()).result(20), obs


def on_engine(engine: EngineThread, fn, *args, **kwargs):
    """``fn`` run on the engine's thread (the call's objects live there); its result."""

    async def run():
        return fn(*args, **kwargs)

    return engine.submit(run()).result(10)


def test_a_trainee_window_watches_raises_a_hand_asks_and_is_unmuted(
    qtbot, engine, sfu_server, room
):
    application("en")
    invite = sfu_server.invite
    station, _ = headless(
        engine,
        CallConfig.from_invite(sfu_server.url, invite(room, "station"), "Clinic", lecture=True),
        source=open_source("synthetic:320x240@30"),
    )
    trainer, tobs = headless(
        engine, CallConfig.from_invite(sfu_server.url, invite(room, "trainer"), "Prof Wang")
    )
    calls = [station, trainer]
    try:
        qtbot.waitUntil(lambda: tobs.state is CallState.CONNECTED, timeout=20_000)
        qtbot.waitUntil(lambda: bool(tobs.lecture and tobs.lecture.on), timeout=20_000)
        # Headless trainees of the same lecture, beside the one with a window.
        others = [
            headless(
                engine,
                CallConfig.from_invite(sfu_server.url, invite(room, "observer"), f"T{i}"),
            )
            for i in range(2)
        ]
        calls += [call for call, _ in others]  # stopped here; the window ends its own
        trainee = open_call(
            engine,
            CallConfig.from_invite(sfu_server.url, invite(room, "observer"), "Trainee Li"),
            audio=SyntheticCapture.tone(880),
            speaker=RecordingOutput(),
        )
        window = trainee.window
        qtbot.addWidget(window)
        window.resize(1200, 760)
        window.show()
        panel = window.lecture.panel
        # The picture comes through the relay, and the window says so.
        qtbot.waitUntil(lambda: panel.isVisible(), timeout=20_000)
        qtbot.waitUntil(
            lambda: tr("watching through the relay") in panel.status.text(), timeout=20_000
        )
        qtbot.waitUntil(lambda: window.view.frames_shown > 20, timeout=20_000)
        # No peer link: the status button shows the relay's figures, as the trainer sees them.
        qtbot.waitUntil(
            lambda: (
                tr("relay") in window.status_button.text()
                and tr("Good") in window.status_button.text()
                and "fps" in window.status_button.text()
            ),
            timeout=15_000,
        )
        assert window.view.frame_size == (320, 240)
        assert not window.palette_.isVisible()  # watch-only: no drawing tools

        # The trainer's mark reaches the trainee's overlay, through the server's fan-out.
        ann = on_engine(
            engine,
            trainer.collab.add_annotation,
            AnnotationKind.MARK,
            ((0.5, 0.5),),
        )
        qtbot.waitUntil(lambda: ann in {a.id for a in window.live_annotations[0]}, timeout=15_000)
        qtbot.waitUntil(lambda: yellow_near(window.view, 0.5, 0.5) > 20, timeout=5_000)
        for _, obs in others:
            qtbot.waitUntil(lambda obs=obs: obs.remote_count > 20, timeout=15_000)
            qtbot.waitUntil(lambda obs=obs: ann in {a.id for a in obs.annotations}, timeout=5_000)

        # A raised hand, through the button: the trainer's roster has it.
        qtbot.mouseClick(panel.hand_button, Qt.LeftButton)
        assert panel.hand_button.isChecked()
        assert panel.hand_button.text() == tr("Lower hand")
        me = trainee.call.me
        assert me is not None
        qtbot.waitUntil(
            lambda: bool(
                tobs.roster and any(w.peer == me.id and w.hand for w in tobs.roster.watchers)
            ),
            timeout=15_000,
        )
        # A question, typed and sent: in the trainer's queue, "received" at the trainee.
        qtbot.keyClicks(panel.entry, "Is this the gallbladder?")
        qtbot.mouseClick(panel.send_button, Qt.LeftButton)
        assert panel.entry.text() == ""
        qtbot.waitUntil(
            lambda: bool(
                tobs.roster
                and [q.text for q in tobs.roster.questions] == ["Is this the gallbladder?"]
            ),
            timeout=15_000,
        )
        qtbot.waitUntil(lambda: tr("received by the trainer") in panel.asked.text(), timeout=15_000)
        assert tobs.roster.questions[0].name == "Trainee Li"

        # The trainer unmutes the trainee: the banner nobody misses.
        assert not window.lecture.speak_banner.isVisible()
        on_engine(engine, trainer.lecture.control, LectureAction.UNMUTE, peer=me.id)
        qtbot.waitUntil(lambda: window.lecture.speak_banner.isVisible(), timeout=15_000)
        assert tr("speak now") in window.lecture.speak_banner.text()
        assert tr("You are unmuted") in panel.speaker.text()
        on_engine(engine, trainer.lecture.control, LectureAction.MUTE)
        qtbot.waitUntil(lambda: not window.lecture.speak_banner.isVisible(), timeout=15_000)
        # The trainer answers the question: it leaves the queue.
        question = tobs.roster.questions[0].id
        on_engine(engine, trainer.lecture.control, LectureAction.ANSWERED, question=question)
        qtbot.waitUntil(lambda: not tobs.roster.questions, timeout=15_000)
        assert len(tobs.roster.watchers) == 3
        window.end_call()
    finally:
        for call in calls:
            engine.submit(call.stop()).result(10)


def roster() -> Roster:
    good = WatchReport(fps=29.0, kbps=800.0, loss=0.0)
    return Roster(
        watchers=(
            Watcher("p1", "Trainee Li", good, hand=True),
            Watcher("p2", "Trainee Zhao", WatchReport(fps=6.0, kbps=90.0, loss=0.12)),
            Watcher("p3", "Trainee Wu", good, speaking=True),
        ),
        questions=(
            QueuedQuestion("q1", "p1", "Trainee Li", "Is this the gallbladder?", 1_700_000_000_000),
            QueuedQuestion("q2", "p2", "Trainee Zhao", "Which probe?", 1_700_000_060_000),
        ),
    )


def test_the_trainer_panel_sends_the_station_what_was_clicked(qtbot, engine, signaling_url, invite):
    application("en")
    opened = open_call(
        engine, CallConfig.from_invite(signaling_url, invite("trainer"), "Prof"), start=False
    )
    window, bridge, call = opened.window, opened.bridge, opened.call
    qtbot.addWidget(window)
    window.show()
    # What the engine was asked (then the real method: with no station it refuses).
    got: list[tuple] = []
    real = call.lecture.control

    def control(action, peer=None, question=None):
        got.append((action, peer, question))
        return real(action, peer, question)

    call.lecture.control = control
    lecture = window.lecture
    qtbot.mouseClick(lecture.button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(got) == 1)
    assert got[-1] == (LectureAction.START, None, None)
    # Refused (no station here): said in the banner, and the button is usable again.
    qtbot.waitUntil(lambda: window.banner.isVisible() and lecture.button.isEnabled())
    assert error_headline("action_refused") in window.banner.text()

    bridge.lecture_changed.emit(LectureStatus(on=True, relayed=True))
    bridge.roster_changed.emit(roster())
    qtbot.waitUntil(lambda: len(lecture.panel.question_rows) == 2)
    assert lecture.button.text() == tr("Stop lecture")
    assert lecture.tabs.currentWidget() is lecture.panel
    assert lecture.tabs.tabText(1) == tr("Lecture ({n})").format(n=2)
    panel = lecture.panel
    # Oldest first.
    rows = [panel.questions_col.itemAt(i).widget() for i in range(2)]
    assert [r.question.id for r in rows] == ["q1", "q2"]
    # A poor link is said in words and red; a raised hand offers Unmute, a speaker Mute.
    assert tr("Poor") in panel.watcher_rows["p2"].figures.text()
    assert not panel.watcher_rows["p2"].button.isVisible()
    assert panel.watcher_rows["p1"].button.text() == tr("Unmute")
    assert panel.watcher_rows["p3"].button.text() == tr("Mute")

    qtbot.mouseClick(panel.question_rows["q2"].answered_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(got) == 2)
    assert got[-1] == (LectureAction.ANSWERED, None, "q2")
    qtbot.mouseClick(panel.question_rows["q1"].unmute_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(got) == 3)
    assert got[-1] == (LectureAction.UNMUTE, "p1", None)
    qtbot.mouseClick(panel.watcher_rows["p1"].button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(got) == 4)
    assert got[-1] == (LectureAction.UNMUTE, "p1", None)
    qtbot.mouseClick(panel.watcher_rows["p3"].button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(got) == 5)
    assert got[-1] == (LectureAction.MUTE, "p3", None)

    # The station's next roster: q2 answered, gone from the list.
    answered = roster()
    answered = Roster(answered.watchers, answered.questions[:1])
    bridge.roster_changed.emit(answered)
    qtbot.waitUntil(lambda: list(panel.question_rows) == ["q1"])
    assert lecture.tabs.tabText(1) == tr("Lecture ({n})").format(n=1)
    # A refusal from the station reads as plain language.
    bridge.error_raised.emit("lecture_refused", "that trainee is not watching the lecture")
    qtbot.waitUntil(lambda: error_headline("lecture_refused") in window.banner.text())
    assert "not watching" in window.banner.text()
    qtbot.mouseClick(lecture.button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(got) == 6)
    assert got[-1] == (LectureAction.STOP, None, None)
    window.end_call()
