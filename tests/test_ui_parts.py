"""The pieces of the windows on their own: remembered settings, log redaction, the
call-status notices, zoom with annotations attached, the movable camera inset."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
from PySide6.QtCore import QPointF

from tests.support.ui import widget_point, yellow_near
from ultrasound_consult.logs import redact
from ultrasound_consult.media.audio import RecordingOutput
from ultrasound_consult.media.mask_store import MaskStore
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind
from ultrasound_consult.protocol.invite import Invite
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.session.link_monitor import LinkStats
from ultrasound_consult.ui.app import application
from ultrasound_consult.ui.call_status import QualityNotices, StatsHistory
from ultrasound_consult.ui.pip import CameraInset
from ultrasound_consult.ui.settings import DEFAULT_SERVER, AppSettings
from ultrasound_consult.ui.video_view import VideoView


def code(role: Role = Role.EXPERT, minutes_from_now: float = 60) -> str:
    expires = int((time.time() + minutes_from_now * 60) // 60)
    return Invite("clinic-12", role, expires, "7HXM4QPA9TKDW3FN").code()


def test_settings_persist_fall_back_and_reset(tmp_path):
    path = tmp_path / "settings.ini"
    s = AppSettings(path)
    assert s.server == DEFAULT_SERVER and s.role == "station" and s.language == "auto"
    s.server, s.name, s.role, s.preset, s.language = (
        "wss://hub/",
        "Dr Li",
        "expert",
        "weak",
        "zh_CN",
    )
    s.source = "device:1"
    s.set_shortcut("cue_done", "F13")
    s.remember_room("wss://hub/", code(), "Dr Li")
    again = AppSettings(path)
    assert (again.server, again.name, again.role, again.preset, again.language) == (
        "wss://hub/",
        "Dr Li",
        "expert",
        "weak",
        "zh_CN",
    )
    assert again.source == "device:1" and again.shortcut("cue_done") == "F13"
    rooms = again.recent_rooms()
    assert [(r.room, r.role, r.usable) for r in rooms] == [("clinic-12", "expert", True)]
    # Nonsense in the file falls back to defaults instead of breaking the app.
    again.q.setValue("role", "surgeon")
    again.q.setValue("preset", "8k")
    again.q.setValue("recent/rooms", "{not json")
    assert again.role == "station" and again.preset == "diagnostic"
    assert again.recent_rooms() == []
    again.reset()
    assert AppSettings(path).name == "" and AppSettings(path).shortcut("cue_done") == "Space"


def test_expired_codes_are_forgotten_but_the_room_is_kept(tmp_path):
    s = AppSettings(tmp_path / "s.ini")
    s.remember_room("ws://a/", code(Role.STATION, minutes_from_now=-5), "Clinic")
    s.remember_room("ws://a/", code(Role.STATION), "Clinic")  # same room again: one entry
    assert len(s.recent_rooms()) == 1
    s.forget_rooms()
    s.remember_room("ws://a/", code(Role.STATION, minutes_from_now=-5), "Clinic")
    (room,) = s.recent_rooms()
    assert room.code == "" and not room.usable and room.room == "clinic-12"


def test_reset_settings_command_keeps_privacy_masks(tmp_path):
    env = {**os.environ, "ULTRASOUND_CONSULT_CONFIG": str(tmp_path)}
    s = AppSettings(tmp_path / "settings.ini")
    s.name = "Clinic 12"
    store = MaskStore(tmp_path / "masks.json")
    store.save("synthetic", PrivacyMask(top_band=0.2))
    proc = subprocess.run(
        [sys.executable, "-m", "ultrasound_consult", "--reset-settings"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "settings reset" in proc.stdout
    assert AppSettings(tmp_path / "settings.ini").name == ""
    assert store.load("synthetic") == PrivacyMask(top_band=0.2)


def test_log_lines_never_carry_invite_secrets():
    secret = code()
    line = f"joining with {secret} via ultrasound-consult://join?server=ws%3A%2F%2Fh&code={secret}"
    out = redact(line)
    assert "7HXM" not in out and "W3FN" not in out
    assert "clinic-12." in out  # the room stays: it is what IT needs to find the call


def stats(
    quality: str, target: float | None = None, rtt: float = 20.0, *, lowered: bool = False
) -> tuple[LinkStats, ...]:
    return (
        LinkStats(
            "p", "Dr", "send", rtt, 0.0, 1.0, 4.0, 30.0, 1024, 768, "VP8", target, quality, lowered
        ),
    )


def test_quality_notices_need_a_sustained_change():
    history, notices = StatsHistory(), QualityNotices()
    said = [notices.update(history.add(stats("good", 5.0))) for _ in range(5)]
    said += [notices.update(history.add(stats("poor", 5.0)))]  # a one-second blip
    said += [notices.update(history.add(stats("good", 5.0))) for _ in range(3)]
    assert said == [None] * 9
    # The encoder's target falls: "lowering quality to keep the image moving".
    said = [notices.update(history.add(stats("fair", 2.0, lowered=True))) for _ in range(4)]
    assert said == [None, None, "lowered", None]
    said = [notices.update(history.add(stats("good", 5.0))) for _ in range(10)]
    assert said[-1] == "recovered" and said[:-1] == [None] * 9
    xs, ys = history.series("rtt_ms")
    assert len(xs) == len(ys) == 23 and xs.max() <= 0


def test_the_weak_notice_says_what_the_ladder_sends(qapp):
    """Issue 12: the station is told in plain words what the link allows now."""
    from dataclasses import replace

    from ultrasound_consult.ui.call_status import notice_text
    from ultrasound_consult.ui.i18n import install_translator

    install_translator(qapp, "en")  # whatever language an earlier test left
    (base,) = stats("fair", 1.2, lowered=True)
    half_rate = replace(base, ladder_fps=15.0, ladder_lines=None)
    assert notice_text("lowered", True, half_rate) == (
        "Network weak: sending 15 frames per second, full detail."
    )
    fewer_lines = replace(base, ladder_fps=15.0, ladder_lines=540)
    assert "540 lines at 15 frames per second" in notice_text("lowered", True, fewer_lines)
    # Only the rate was lowered (the ladder is on its top rung): the general sentence.
    assert "lowering quality" in notice_text("lowered", True, base)
    # A viewer is not told what the station sends.
    assert "15 frames" not in notice_text("lowered", False, half_rate)


def test_one_judgement_for_the_button_and_the_weak_notice():
    """Issue 15, item 4: the link monitor's verdict is the only judgement. A sender whose
    rate control lowered its target is not "good" (so the notice cannot stand beside a
    "Good" button), and only the verdict moves the notices."""
    from ultrasound_consult.session.link_monitor import is_lowered, verdict

    assert verdict(20.0, 0.0, 30.0, 30.0) == "good"
    assert verdict(20.0, 0.0, 30.0, 30.0, lowered=True) == "fair"
    assert verdict(20.0, 9.0, 30.0, 30.0, lowered=True) == "poor"
    assert is_lowered(2.0, 5.0) and not is_lowered(4.5, 5.0) and not is_lowered(None, 5.0)
    history, notices = StatsHistory(), QualityNotices()
    # A falling target alone, judged "good" elsewhere, says nothing any more.
    said = [notices.update(history.add(stats("good", t))) for t in (5.0, 2.0, 2.0, 2.0, 2.0)]
    assert said == [None] * 5


def test_the_weak_notice_goes_when_the_button_says_good(qtbot, engine, signaling_url, invite):
    from ultrasound_consult.session.call import CallConfig
    from ultrasound_consult.ui.app import application, open_call

    application("en")
    viewer = open_call(
        engine,
        CallConfig.from_invite(signaling_url, invite("expert"), "Dr"),
        speaker=RecordingOutput(),
    )
    window = viewer.window
    qtbot.addWidget(window)
    window.show()
    for _ in range(3):
        window.bridge.stats_changed.emit(stats("fair", None, rtt=200.0))
    assert window.notice.isVisible() and "Network weak" in window.notice.text()
    assert "Fair" in window.status_button.text()
    window.bridge.stats_changed.emit(stats("good"))
    assert "Good" in window.status_button.text()
    assert not window.notice.isVisible(), "no 'Network weak' beside 'Good'"
    window.end_call()


def test_error_details_are_plain_or_left_to_the_log():
    from ultrasound_consult.ui.messages import error_html, plain_detail

    down = (
        "Cannot reach the signalling server at ws://h:9 ([Errno 111] Connect call failed "
        "('127.0.0.1', 9)). Check the address."
    )
    assert (
        plain_detail(down) == "Cannot reach the signalling server at ws://h:9. Check the address."
    )
    assert plain_detail("Error querying device -1") == ""
    ours = "not connected to the station yet; annotations are sent once it is"
    assert plain_detail(ours) == ours
    assert ours in error_html("action_refused", ours)
    shown = error_html("server_unreachable", down)
    assert "Errno" not in shown and "IT contact" in shown
    assert error_html("token_invalid", "x", advice="<check>").endswith("&lt;check&gt;")


def frame_with_grid() -> np.ndarray:
    return np.full((480, 640), 60, np.uint8)


def test_zoom_keeps_the_point_under_the_cursor_and_the_marks_on_it(qtbot):
    application("en")
    view = VideoView(interactive=True)
    view.zoomable = True
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    view.set_frame(frame_with_grid())
    mark = Annotation("m1", AnnotationKind.MARK, ((0.7, 0.3),), "Dr", "#ffd400", created_ms=0)
    view.set_annotations((mark,))
    anchor = widget_point(view, 0.7, 0.3)
    before = view.to_normalised(QPointF(anchor))
    view.set_zoom(4.0, QPointF(anchor))
    assert view.zoom == 4.0
    after = view.to_normalised(QPointF(anchor))
    assert abs(after[0] - before[0]) < 0.002 and abs(after[1] - before[1]) < 0.002
    # The mark is drawn where that point of the image now is on screen, and nowhere
    # near where it was before the zoom moved the rest of the image.
    assert yellow_near(view, 0.7, 0.3) > 20
    far = widget_point(view, 0.7, 0.3)
    assert abs(far.x() - anchor.x()) <= 1 and abs(far.y() - anchor.y()) <= 1
    view.set_zoom(4.0, QPointF(100, 100))  # already at 4x: nothing moves
    view.pan_by(-200, 0)
    moved = widget_point(view, 0.7, 0.3)
    assert moved.x() == far.x() - 200 and yellow_near(view, 0.7, 0.3) > 20
    # Panning cannot leave an empty margin; 0 (fit) brings back the whole image.
    view.pan_by(10_000, 10_000)
    rect = view.image_rect()
    assert rect.x() <= 0 and rect.y() <= 0
    view.set_zoom(1.0)
    rect = view.image_rect()
    assert rect.width() <= view.width() and rect.height() <= view.height()


def test_camera_inset_is_dragged_and_keeps_its_place(qtbot):
    application("en")
    host = VideoView()
    qtbot.addWidget(host)
    host.resize(1000, 700)
    host.show()
    inset = CameraInset(host)
    inset.set_frame(np.zeros((180, 320, 3), np.uint8))
    assert inset.view.isVisible() and inset.view.x() > 500  # bottom right at first
    inset.move_to(20, 30)
    assert (inset.view.x(), inset.view.y()) == (20, 30)
    host.resize(2000, 1400)
    qtbot.waitUntil(lambda: inset.view.x() == 40, timeout=2_000)
    assert inset.view.y() == 60
    inset.move_to(-500, 99_999)  # kept inside the host
    assert inset.view.x() == 0 and inset.view.geometry().bottom() < host.height()
