"""Real windows, offscreen: a click on the expert's image appears on the station's.

Screenshots go to test-artifacts/ so a person can look at them.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from tests.support.ui import answer_end_question, grab_array, widget_point, yellow_near
from ultrasound_consult.media.audio import AudioCapture, RecordingOutput, SyntheticCapture
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.session.call import CallConfig
from ultrasound_consult.ui.app import application, open_call
from ultrasound_consult.ui.bridge import LatestFrameSlot
from ultrasound_consult.ui.video_view import VideoView


def test_click_on_expert_image_marks_the_station_image(qtbot, consult, artifacts):
    station, expert = consult
    assert yellow_near(station.window.view, 0.3, 0.6) == 0
    qtbot.mouseClick(
        expert.window.view, Qt.LeftButton, pos=widget_point(expert.window.view, 0.3, 0.6)
    )
    qtbot.waitUntil(lambda: len(station.window.view._annotations) == 1, timeout=10_000)
    (mark,) = station.window.view._annotations
    assert mark.kind is AnnotationKind.MARK and mark.author == "Dr. Wang"
    one_pixel = 1 / expert.window.view.image_rect().width()
    assert mark.points[0][0] == pytest.approx(0.3, abs=2 * one_pixel)
    assert mark.points[0][1] == pytest.approx(0.6, abs=2 * one_pixel)
    qtbot.waitUntil(lambda: yellow_near(station.window.view, 0.3, 0.6) > 40, timeout=5_000)
    # The expert sees the station confirmed it.
    qtbot.waitUntil(lambda: expert.window.last_rtt_ms is not None, timeout=10_000)
    assert "confirmed" in expert.window.ack_label.text()

    # A drag draws an arrow.
    view = expert.window.view
    qtbot.mousePress(view, Qt.LeftButton, pos=widget_point(view, 0.6, 0.3))
    qtbot.mouseMove(view, widget_point(view, 0.7, 0.4))
    qtbot.mouseRelease(view, Qt.LeftButton, pos=widget_point(view, 0.75, 0.45))
    qtbot.waitUntil(lambda: len(station.window.view._annotations) == 2, timeout=10_000)
    arrow = station.window.view._annotations[1]
    assert arrow.kind is AnnotationKind.ARROW
    assert arrow.points[1][0] == pytest.approx(0.75, abs=0.01)

    # Hovering moves the live pointer on the station.
    qtbot.mouseMove(view, widget_point(view, 0.5, 0.5))
    qtbot.waitUntil(lambda: len(station.window.view._pointers) == 1, timeout=10_000)

    station.window.grab().save(str(artifacts / "station-window.png"))
    expert.window.grab().save(str(artifacts / "expert-window.png"))
    assert "Connected to Dr. Wang" in station.window.state_label.text()
    assert "Connected to Township clinic" in expert.window.state_label.text()


def test_clear_my_marks_button(qtbot, consult):
    station, expert = consult
    expert.window.add_mark(0.5, 0.5)
    qtbot.waitUntil(lambda: len(station.window.view._annotations) == 1, timeout=10_000)
    qtbot.mouseClick(expert.window.clear_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(station.window.view._annotations) == 0, timeout=10_000)
    qtbot.waitUntil(lambda: len(expert.window.view._annotations) == 0, timeout=10_000)


def test_the_station_clears_the_overlay_whoever_drew(qtbot, consult):
    """Issue 15, item 2: the sonographer owns the live image."""
    station, expert = consult
    assert station.window.clear_marks_button.isHidden(), "nothing to clear yet"
    expert.window.add_mark(0.5, 0.5)
    expert.window.add_arrow(0.2, 0.2, 0.4, 0.4)
    qtbot.waitUntil(lambda: len(station.window.view._annotations) == 2, timeout=10_000)
    assert station.window.clear_marks_button.isVisible()
    qtbot.mouseClick(station.window.clear_marks_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(station.window.view._annotations) == 0, timeout=10_000)
    qtbot.waitUntil(lambda: len(expert.window.view._annotations) == 0, timeout=10_000)
    assert station.window.clear_marks_button.isHidden()


def test_the_microphone_button_mutes_for_everyone(qtbot, consult, artifacts):
    station, expert = consult
    expert_ear = expert.call.media.player.output
    loud = lambda: float(np.abs(expert_ear.recent(0.2).astype(int)).mean())  # noqa: E731
    qtbot.waitUntil(lambda: loud() > 1000, timeout=10_000)
    assert station.window.mic_button.isEnabled()
    assert station.window.mic_button.text() == "Microphone on"
    qtbot.mouseClick(station.window.mic_button, Qt.LeftButton)
    assert "Muted" in station.window.mic_button.text()
    qtbot.waitUntil(lambda: loud() < 50, timeout=10_000)
    station.window.statusBar().grab().save(str(artifacts / "station-muted-statusbar.png"))
    qtbot.mouseClick(station.window.mic_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: loud() > 1000, timeout=10_000)
    # The expert joined without a microphone: its button says so and cannot be pressed.
    assert not expert.window.mic_button.isEnabled()
    assert expert.window.mic_button.text() == "No microphone"


def test_the_camera_inset_sits_in_a_corner_and_can_be_hidden(qtbot, consult, artifacts):
    _station, expert = consult
    inset = expert.window.camera_inset
    qtbot.waitUntil(inset.view.isVisible, timeout=10_000)
    assert expert.window.camera_button.isVisible()
    view, box = expert.window.view, inset.view.geometry()
    assert box.right() < view.width() and box.bottom() < view.height()
    assert box.left() > view.width() * 0.6 and box.top() > view.height() * 0.6, "bottom right"
    assert abs(box.width() / box.height() - 16 / 9) < 0.05
    pixels = grab_array(view)
    centre = pixels[box.center().y(), box.left() + box.width() * 11 // 14]  # the red bar
    assert centre[0] > 150 and centre[1] < 60, centre
    expert.window.grab().save(str(artifacts / "expert-window-with-camera.png"))
    qtbot.mouseClick(expert.window.camera_button, Qt.LeftButton)
    assert not inset.view.isVisible(), "hidden at the user's request"
    qtbot.mouseClick(expert.window.camera_button, Qt.LeftButton)
    assert inset.view.isVisible()
    # Resizing the window keeps it in the corner.
    expert.window.resize(1200, 900)
    qtbot.waitUntil(
        lambda: inset.view.geometry().right() > expert.window.view.width() - 40, timeout=5_000
    )


def test_expert_sees_a_banner_when_it_cannot_annotate_yet(qtbot, engine, signaling_url, invite):
    application("en")
    expert = open_call(engine, CallConfig.from_invite(signaling_url, invite("expert"), "Dr"))
    qtbot.addWidget(expert.window)
    expert.window.show()
    qtbot.waitUntil(lambda: expert.window.state == "waiting", timeout=10_000)
    assert "Waiting for the station" in expert.window.state_label.text()
    expert.window.add_mark(0.5, 0.5)
    qtbot.waitUntil(expert.window.banner.isVisible, timeout=5_000)
    assert "not connected to the station" in expert.window.banner.text()
    expert.window.end_call()


def test_video_view_maps_through_the_letterbox(qtbot):
    view = VideoView(interactive=True)
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.set_frame(np.zeros((300, 400), np.uint8))  # 4:3 in a 2:1 widget: bars left and right
    rect = view.image_rect()
    assert (rect.width(), rect.height()) == (pytest.approx(533.33, abs=0.01), 400)
    assert view.to_normalised(QPointF(400, 200)) == pytest.approx((0.5, 0.5))
    assert view.to_normalised(QPointF(10, 200)) is None, "clicks on the bars are not on the image"
    with qtbot.waitSignal(view.mark_requested) as sig:
        qtbot.mouseClick(view, Qt.LeftButton, pos=QPoint(400, 100))
    assert sig.args == [pytest.approx(0.5, abs=0.002), pytest.approx(0.25, abs=0.003)]


def test_latest_frame_slot_notifies_once_and_keeps_the_newest():
    calls = []
    slot: LatestFrameSlot[int] = LatestFrameSlot(lambda: calls.append(1))
    for i in range(100):
        slot.put(i)
    assert calls == [1], "one pending notification, however many frames arrive"
    assert slot.take() == 99 and slot.replaced_count == 99
    slot.put(100)
    assert calls == [1, 1]


def test_recording_from_the_window_shows_everyone_an_indicator(qtbot, consult, tmp_path, artifacts):
    station, expert = consult
    expert.window.recordings_root = tmp_path
    expert.window.record_button.click()
    qtbot.waitUntil(lambda: station.window.rec_label.isVisible(), timeout=10_000)
    assert "Dr. Wang" in station.window.rec_label.text()
    qtbot.waitUntil(lambda: expert.window.rec_label.isVisible(), timeout=10_000)
    assert expert.window.record_button.text() == "Stop recording"
    station.window.grab().save(str(artifacts / "station-window-recording-indicator.png"))
    qtbot.waitUntil(
        lambda: (
            expert.call.journal.recording is not None
            and expert.call.journal.recording.recorder.stats["ultrasound"].written >= 20
        ),
        timeout=10_000,
    )
    expert.window.record_button.click()
    qtbot.waitUntil(lambda: not station.window.rec_label.isVisible(), timeout=10_000)
    (folder,) = list(tmp_path.iterdir())
    qtbot.waitUntil(lambda: (folder / "session.json").read_text().count('"complete"') == 1)
    # The person who recorded is told where it went (issue 15, item 13).
    qtbot.waitUntil(lambda: expert.window.saved_folder == str(folder), timeout=10_000)
    assert "Recording saved to" in expert.window.notice.text()
    assert str(folder) in expert.window.notice.text() and expert.window.notice.isVisible()
    from ultrasound_consult.record.session_bundle import SessionBundle

    assert SessionBundle.open(folder).check()["ok"]


def test_roles_people_and_ending_a_call(qtbot, consult, engine, signaling_url, invite):
    """Issue 15, item 13: a trainer's window says Trainer; a trainer leaving is news,
    not a wait; everyone can see who is in the call; End call and Ctrl+W ask first."""
    station, expert = consult
    trainer = open_call(
        engine,
        CallConfig.from_invite(signaling_url, invite("trainer"), "Teacher"),
        speaker=RecordingOutput(),
    )
    qtbot.addWidget(trainer.window)
    trainer.window.show()
    assert (
        "Trainer" in trainer.window.windowTitle() and "Expert" not in trainer.window.windowTitle()
    )
    assert "Expert" in expert.window.windowTitle()
    qtbot.waitUntil(lambda: trainer.window.state == "connected", timeout=20_000)
    qtbot.waitUntil(lambda: len(station.window.latest_stats) == 2, timeout=15_000)
    people = station.window.people()
    assert people[0].startswith("Township clinic (Station)")
    assert any(p.startswith("Teacher (Trainer) · ● ") for p in people), people
    assert any(p.startswith("Dr. Wang (Expert) · ● ") for p in people), people
    assert "Teacher (Trainer)" in station.window.state_label.toolTip()
    station.window.status_button.setChecked(True)
    assert "Teacher (Trainer)" in station.window.stats_panel.people.text()

    trainer.window.end_call()  # the trainer leaves; the expert stays
    qtbot.waitUntil(lambda: "Teacher" in station.window.notice.text(), timeout=15_000)
    assert station.window.notice.text() == "Teacher (Trainer) left the call."
    qtbot.waitUntil(lambda: "Teacher" in expert.window.notice.text(), timeout=15_000)
    assert "Waiting" not in expert.window.notice.text()

    # End call asks; "Stay in the call" keeps it.
    answer_end_question(expert.window, end=False)
    qtbot.mouseClick(expert.window.end_button, Qt.LeftButton)
    assert expert.window.isVisible() and expert.call.state.value == "connected"
    # Ctrl+W asks too; "End call" ends it, and the station waits for the expert.
    answer_end_question(expert.window, end=True)
    with qtbot.waitActive(expert.window):
        expert.window.activateWindow()
    qtbot.keyClick(expert.window, Qt.Key_W, Qt.ControlModifier)
    assert not expert.window.isVisible()
    qtbot.waitUntil(lambda: "Dr. Wang" in station.window.notice.text(), timeout=15_000)
    assert "Waiting for them to come back" in station.window.notice.text()


class SilentMicrophone(AudioCapture):
    """A microphone that opens but never sends a block (unplugged mid-way, or taken by
    another program): the fake for what cannot run here, behind the same interface."""

    def start(self, deliver) -> None:  # type: ignore[no-untyped-def]
        self.started = True

    def stop(self) -> None:
        pass


def test_a_silent_microphone_is_not_called_on(qtbot, engine, signaling_url, invite):
    """Issue 15, item 9: no "Microphone on" when no sound comes from it."""
    application("en")
    station = open_call(
        engine,
        CallConfig.from_invite(signaling_url, invite("station"), "Clinic"),
        source=open_source("synthetic:320x240@15"),
        mask=PrivacyMask(),
        audio=SilentMicrophone(),
        speaker=RecordingOutput(),
    )
    expert = open_call(
        engine,
        CallConfig.from_invite(signaling_url, invite("expert"), "Dr"),
        audio=SyntheticCapture.tone(440),
        speaker=RecordingOutput(),
    )
    for o in (station, expert):
        qtbot.addWidget(o.window)
        o.window.show()
    qtbot.waitUntil(lambda: station.window.state == "connected", timeout=20_000)
    assert station.window.mic_button.text() == "Microphone on"  # not judged yet
    qtbot.waitUntil(lambda: station.window.mic_button.text() == "No microphone", timeout=10_000)
    assert "sends no sound" in station.window.mic_button.toolTip()
    assert not station.window.mic_button.isEnabled()
    assert expert.window.mic_button.text() == "Microphone on", "a working one stays on"
    for o in (expert, station):
        o.window.end_call()
