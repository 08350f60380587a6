"""Every screen in both languages at a laptop's 1366x768 and a monitor's 1920x1080,
saved to test-artifacts/ for a person to look at; the first screen, the settings
dialog and the call windows' controls (live picture and figures painted over) are also
compared with golden images (tests/golden/), so a layout regression fails. ``UPDATE_GOLDEN=1`` rewrites the golden images after an intended change.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QPushButton, QWidget

from tests.support.ui import join, make_app
from ultrasound_consult import APP_ID, __version__
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind
from ultrasound_consult.protocol.guidance import Action, Direction
from ultrasound_consult.protocol.lecture import QueuedQuestion, Roster, Watcher, WatchReport
from ultrasound_consult.protocol.signaling import PeerInfo, Role
from ultrasound_consult.session.call import CallConfig
from ultrasound_consult.session.observer import AskedQuestion, LectureStatus
from ultrasound_consult.ui.app import application, open_call
from ultrasound_consult.ui.i18n import install_translator, tr
from ultrasound_consult.ui.screen_fit import DEFAULT_FRAME, place
from ultrasound_consult.ui.settings_dialog import AboutDialog, SettingsDialog

GOLDEN = Path(__file__).with_name("golden")
SIZES = ((1366, 768), (1920, 1080))
LANGS = ("en", "zh_CN")
#: Share of the image (at quarter size, grey) that may differ from the golden image by
#: more than :data:`GOLDEN_LEVELS`: a live level meter or antialiasing moves a few
#: pixels (< 0.05%); a panel's rows moved by their height changed 0.9% (measured).
GOLDEN_TOLERANCE = 0.003
GOLDEN_LEVELS = 24


#: A taskbar along the bottom, and a window manager's title bar and borders: what a
#: clinic laptop leaves of its 768 lines (the offscreen platform has neither).
TASKBAR = 40


def available_on(w: int, h: int) -> QRect:
    return QRect(0, 0, w, h - TASKBAR)


def cut_or_off_screen(window, widgets, available: QRect) -> list[str]:
    """Each widget that lies (partly) outside ``available`` with the window's frame, or
    is narrower than its text needs (truncated); empty when all is well."""
    # Twice: a status that changed text in the first pass lays out in the second.
    QApplication.processEvents()
    QApplication.processEvents()
    problems = []
    frame = window.geometry().marginsAdded(DEFAULT_FRAME)
    if not available.contains(frame):
        problems.append(f"window frame {frame.getRect()} outside {available.getRect()}")
    origin = window.geometry().topLeft()
    for widget in widgets:
        if not widget.isVisible():
            continue
        name = widget.objectName() or type(widget).__name__
        text = getattr(widget, "text", lambda: "")() or getattr(widget, "currentText", str)()
        top_left = origin + widget.mapTo(window, QPoint(0, 0))
        rect = QRect(top_left, widget.size())
        if not available.contains(rect):
            problems.append(f"{name} {text!r} at {rect.getRect()} is off-screen")
        wraps = getattr(widget, "wordWrap", lambda: False)()
        if text and not wraps and widget.width() < widget.sizeHint().width():
            problems.append(
                f"{name} {text!r} truncated: {widget.width()} < {widget.sizeHint().width()} px"
            )
    return problems


def essential_controls(window) -> list:
    """What a person must reach or read in a call window."""
    bar = window.statusBar()
    found = [w for w in bar.findChildren(QWidget) if w.parent() is bar or w.parent() is not None]
    found = [w for w in found if isinstance(w, QLabel | QPushButton | QComboBox)]
    for name in ("done_button", "cant_button", "keyframe_button", "cue_scroll"):
        if hasattr(window, name):
            found.append(getattr(window, name))
    if hasattr(window, "palette_"):
        found += window.palette_.findChildren(QPushButton)
    return found


def grab(widget, path: Path) -> np.ndarray:
    QApplication.processEvents()
    image = widget.grab()
    image.save(str(path))
    return cv2.imread(str(path))


def compare_golden(array: np.ndarray, name: str) -> float:
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") or not golden.exists():
        GOLDEN.mkdir(exist_ok=True)
        cv2.imwrite(str(golden), array)
        if not os.environ.get("UPDATE_GOLDEN"):
            pytest.fail(f"{golden} did not exist: written now, look at it and commit it")
    want = cv2.imread(str(golden))
    assert want.shape == array.shape, f"{name}: size {array.shape} != golden {want.shape}"

    def small(a: np.ndarray) -> np.ndarray:
        grey = cv2.cvtColor(a, cv2.COLOR_BGR2GRAY)
        return cv2.resize(grey, (a.shape[1] // 4, a.shape[0] // 4), interpolation=cv2.INTER_AREA)

    diff = np.abs(small(array).astype(int) - small(want).astype(int))
    return float((diff > GOLDEN_LEVELS).mean())


@pytest.mark.parametrize("lang", LANGS)
def test_first_screen_and_dialogs(qtbot, engine, tmp_path, artifacts, lang):
    app = application(lang)
    install_translator(app, lang)
    consult = make_app(qtbot, engine, tmp_path, f"screens-{lang}", role="expert")
    start = consult.start
    qtbot.waitUntil(lambda: start.mic.peak > 0, timeout=5_000)  # the meter moved ...
    start.stop_checks()  # ... and is still for the golden image
    for w, h in SIZES:
        start.resize(w, h)
        shot = grab(start, artifacts / f"screen_start_expert_{lang}_{w}x{h}.png")
        assert shot.shape[:2] == (h, w)
        if (w, h) == SIZES[0]:
            diff = compare_golden(shot, f"start_expert_{lang}_{w}x{h}.png")
            assert diff < GOLDEN_TOLERANCE, (
                f"first screen ({lang}) differs in {diff:.2%} of the image"
            )
    # Every control fits at the laptop size: nothing pushed off the window.
    start.resize(*SIZES[0])
    QApplication.processEvents()
    for widget in (start.join_button, start.network_button, start.about_button):
        corner = widget.mapTo(start, widget.rect().bottomRight())
        assert 0 < corner.x() <= start.width() and 0 < corner.y() <= start.height()
    start.start_checks()
    qtbot.mouseClick(start.role_buttons["station"], Qt.LeftButton)
    qtbot.waitUntil(lambda: start.preview.frames > 2, timeout=10_000)
    for w, h in SIZES:
        start.resize(w, h)
        grab(start, artifacts / f"screen_start_station_{lang}_{w}x{h}.png")
    qtbot.mouseClick(start.role_buttons["review"], Qt.LeftButton)
    grab(start, artifacts / f"screen_start_review_{lang}.png")
    start.stop_checks()

    dialog = SettingsDialog(consult.settings, start)
    qtbot.addWidget(dialog)
    dialog.resize(640, 420)
    dialog.show()
    shot = grab(dialog, artifacts / f"screen_settings_{lang}.png")
    diff = compare_golden(shot, f"settings_{lang}.png")
    assert diff < GOLDEN_TOLERANCE, f"settings dialog ({lang}) differs in {diff:.2%} of the image"
    about = AboutDialog(consult.settings, start)
    qtbot.addWidget(about)
    about.show()
    grab(about, artifacts / f"screen_about_{lang}.png")
    assert "ultrasound-consult.log" in about.paths["log"]
    assert about.app_id.text().startswith(f"{APP_ID} {__version__} (")
    assert not QApplication.instance().windowIcon().isNull()


@pytest.mark.parametrize("lang", LANGS)
def test_call_windows(qtbot, engine, tmp_path, artifacts, signaling_url, invite, lang):
    app = application(lang)
    install_translator(app, lang)
    station = make_app(qtbot, engine, tmp_path, "st", source="synthetic:1024x768@30")
    expert = make_app(qtbot, engine, tmp_path, "ex", role="expert")
    st = join(qtbot, station, "station", invite("station"), "Clinic 12", signaling_url)
    # Waiting for the expert: the longest state sentence, still whole at 1366x768.
    qtbot.waitUntil(lambda: st.window.state == "waiting", timeout=10_000)
    available = available_on(*SIZES[0])
    place(st.window, available=available, frame=DEFAULT_FRAME)
    problems = cut_or_off_screen(st.window, essential_controls(st.window), available)
    assert problems == [], f"waiting station {lang}: {problems}"
    ex = join(qtbot, expert, "expert", invite("expert"), "Dr. Wang", signaling_url)
    qtbot.waitUntil(lambda: ex.call.stream_info is not None, timeout=20_000)
    qtbot.waitUntil(lambda: ex.window.view.frame_size == (1024, 768), timeout=20_000)
    ex.bridge.call(
        ex.call.collab.add_annotation, AnnotationKind.CALIPER, ((0.42, 0.45), (0.58, 0.45))
    )
    ex.bridge.call(ex.call.collab.send_cue, Action.SLIDE, Direction.HEAD)
    qtbot.waitUntil(lambda: st.window.active_cue is not None, timeout=10_000)
    qtbot.waitUntil(lambda: len(st.window.history.samples) >= 3, timeout=15_000)
    qtbot.waitUntil(lambda: len(ex.window.history.annotation_rtts) >= 1, timeout=15_000)
    st.window.status_button.setChecked(True)
    ex.window.status_button.setChecked(True)
    for w, h in SIZES:
        available = available_on(w, h)
        for name, window in (("station", st.window), ("expert", ex.window)):
            # As it opens on that screen, with a taskbar and a window manager's frame.
            got = place(window, available=available, frame=DEFAULT_FRAME)
            shot = grab(window, artifacts / f"screen_{name}_{lang}_{w}x{h}.png")
            assert shot.shape[:2] == (got.height(), got.width())
            assert got.width() >= w - 10 and got.height() >= h - TASKBAR - 40, "fills the screen"
            # Every essential control on screen and whole (issue 15, item 5).
            problems = cut_or_off_screen(window, essential_controls(window), available)
            assert problems == [], f"{name} {lang} {w}x{h}: {problems}"
            # The image dominates, even with the graphs open.
            view = window.view
            assert view.width() * view.height() > 0.4 * got.width() * got.height()
    # The call windows' own controls against golden images too: what moves (the live
    # picture, round-trip figures) is painted over, the rest must not move.
    available = available_on(*SIZES[0])
    for name, window in (("station", st.window), ("expert", ex.window)):
        window.status_button.setChecked(False)
        place(window, available=available, frame=DEFAULT_FRAME)
        shot = grab(window, artifacts / f"screen_{name}_{lang}_controls.png")
        moving = [window.view, window.status_button, window.notice, window.banner]
        moving += [getattr(window, "ack_label", window.view), window.camera_button]
        for widget in moving:
            if widget.isVisible():
                top_left = widget.mapTo(window, QPoint(0, 0))
                x, y = top_left.x(), top_left.y()
                shot[y : y + widget.height(), x : x + widget.width()] = 0
        size = f"{shot.shape[1]}x{shot.shape[0]}"
        diff = compare_golden(shot, f"call_{name}_{lang}_{size}.png")
        assert diff < GOLDEN_TOLERANCE, f"{name} window ({lang}) differs in {diff:.2%}"
    ex.window.view.set_zoom(2.5)
    grab(ex.window, artifacts / f"screen_expert_zoomed_{lang}.png")
    st.window.close()
    ex.window.close()


def lecture_roster():
    """A lecture in full swing: hands up, a poor link, questions waiting (some long)."""
    good = WatchReport(fps=29.0, kbps=820.0, loss=0.001)
    names = ["李医生", "Dr. Zhao", "王护士", "Trainee Wu", "陈医生", "Dr. Ma"]
    watchers = [
        Watcher(f"p{i}", name, good, hand=i in (0, 2), speaking=i == 3)
        for i, name in enumerate(names)
    ]
    watchers[1] = Watcher("p1", "Dr. Zhao", WatchReport(fps=7.0, kbps=140.0, loss=0.09))
    watchers[4] = Watcher("p4", "陈医生", WatchReport(0.0, 0.0, 0.0, watching=False))
    at = 1_764_600_000_000
    questions = (
        QueuedQuestion("q1", "p0", "李医生", "这个是胆囊吗？边缘看起来有点厚。", at),
        QueuedQuestion(
            "q2", "p1", "Dr. Zhao", "Which probe and which depth for this view?", at + 60_000
        ),
        QueuedQuestion("q3", "p2", "王护士", "要不要让病人深吸气再看一次？", at + 120_000),
    )
    return Roster(tuple(watchers), questions)


@pytest.mark.parametrize("lang", LANGS)
def test_lecture_windows(qtbot, engine, tmp_path, artifacts, signaling_url, invite, lang):
    """The trainee watching a lecture (unmuted, a hand up, questions asked) and the
    trainer with its lecture panel, fed through the bridge as the engine would."""
    app = application(lang)
    install_translator(app, lang)
    picture = open_source("synthetic:1024x768@30").render(40)
    # What leaves the station is masked: the viewers' windows show it so.
    masked = picture.copy()
    PrivacyMask().plan(1024, 768).apply(masked)
    station = PeerInfo("st", Role.STATION, "Clinic 12")
    mark = ((0.45, 0.4), (0.55, 0.5))
    windows = {}
    for role, name in (
        ("observer", "学员 Li"),
        ("trainer", "Prof. Wang"),
        ("station", "Clinic 12"),
    ):
        source = open_source("synthetic:1024x768@30") if role == "station" else None
        opened = open_call(
            engine,
            CallConfig.from_invite(signaling_url, invite(role), name),
            source=source,
            start=False,
        )
        qtbot.addWidget(opened.window)
        bridge = opened.bridge
        bridge.state_changed.emit("connected", "")
        others = (PeerInfo("tr", Role.TRAINER, "Prof. Wang"),) if role == "station" else ()
        bridge.peers_changed.emit(others or (station,))
        opened.window.view.set_frame(picture if role == "station" else masked)
        opened.window.show()
        windows[role] = opened
    trainee, trainer, station_ = windows["observer"], windows["trainer"], windows["station"]
    trainee.bridge.lecture_changed.emit(
        LectureStatus(
            on=True,
            relayed=True,
            speaker="学员 Li",
            speaking=True,
            hand=True,
            asked=(
                AskedQuestion("o1", "这个是胆囊吗？边缘看起来有点厚。", True),
                AskedQuestion("o2", "Which depth?", None),
                AskedQuestion(
                    "o3",
                    "探头要不要换成高频的线阵探头来看这个结构？",
                    False,
                    "too many questions wait; ask again later",
                ),
            ),
        )
    )
    trainer.bridge.lecture_changed.emit(LectureStatus(on=True, relayed=True))
    trainer.bridge.roster_changed.emit(lecture_roster())
    station_.bridge.lecture_changed.emit(LectureStatus(on=True, relayed=True))
    station_.bridge.roster_changed.emit(lecture_roster())
    ann = Annotation("a1", AnnotationKind.ELLIPSE, mark, author="Prof. Wang")
    for opened in windows.values():
        opened.bridge.annotations_changed.emit(((ann,), frozenset()))
    for w, h in SIZES:
        available = available_on(w, h)
        for name, opened in (("trainee", trainee), ("trainer", trainer), ("station", station_)):
            window = opened.window
            place(window, available=available, frame=DEFAULT_FRAME)
            grab(window, artifacts / f"screen_lecture_{name}_{lang}_{w}x{h}.png")
            lecture = window.lecture
            if name == "station":
                extra = [lecture.label]
                assert lecture.label.text() == tr("Lecture: {n} watching").format(n=6)
            elif name == "trainee":
                panel = lecture.panel
                extra = [panel.hand_button, panel.send_button, lecture.speak_banner]
                # The station's reason, in the user's language.
                assert tr("too many questions are waiting; ask again later") in panel.asked.text()
            else:
                extra = [lecture.button, lecture.tabs]
                for row in lecture.panel.question_rows.values():
                    extra += [row.answered_button, row.unmute_button]
                for row in lecture.panel.watcher_rows.values():
                    extra += [row.button]
            problems = cut_or_off_screen(window, essential_controls(window) + extra, available)
            assert problems == [], f"{name} {lang} {w}x{h}: {problems}"
            view = window.view
            assert view.width() * view.height() > 0.4 * window.width() * window.height()
    for opened in windows.values():
        opened.window.close()
