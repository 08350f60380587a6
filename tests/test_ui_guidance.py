"""The expert's hands in real windows, offscreen: every cue drawn on a real scanner
frame (PNGs in test-artifacts/cues/, both languages), the Qt overlay against the
OpenCV burn-in renderer, and the flows: answer a cue with Space, measure with the
caliper tool, freeze, draw and send a frame."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.support.annotations import ann
from tests.support.ui import grab_array, widget_point
from ultrasound_consult.annotate.calibration import Calibration
from ultrasound_consult.annotate.guidance import CueEntry
from ultrasound_consult.annotate.render import render_annotations
from ultrasound_consult.media.dicom import DicomCineSource
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.protocol.guidance import (
    ANGLED,
    DIRECTIONS,
    Action,
    Cue,
    CueStatus,
    Direction,
)
from ultrasound_consult.ui.app import application
from ultrasound_consult.ui.cue_text import cue_text
from ultrasound_consult.ui.overlay import paint_overlays
from ultrasound_consult.ui.video_view import VideoView

AMBER = np.array([0xFF, 0xB0, 0x20])


def qimage_array(img: QImage) -> np.ndarray:
    h, w = img.height(), img.width()
    raw = np.frombuffer(img.constBits(), np.uint8, img.bytesPerLine() * h)
    return raw.reshape(h, img.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()


def example_cue(action: Action) -> Cue:
    allowed = sorted(DIRECTIONS[action], key=list(Direction).index)
    return Cue(
        id=f"c-{action.value}",
        action=action,
        author="Dr. Wang",
        direction=allowed[0] if allowed else None,
        angle_deg=45.0 if action in ANGLED else None,
        probe=(0.5, 0.36) if action not in (Action.FREEZE, Action.SAVE_CLIP) else None,
        marker_deg=90.0 if action not in (Action.FREEZE, Action.SAVE_CLIP) else None,
    )


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_every_cue_on_a_real_scanner_frame(qtbot, grey_banner_frame, artifacts, language):
    application(language)
    frame = DicomCineSource(grey_banner_frame).render(0)
    frame[:38] = 0  # as the privacy mask leaves it
    view = VideoView()
    qtbot.addWidget(view)
    view.resize(1024, 768)
    view.set_frame(frame)
    view.show()
    qtbot.waitExposed(view)
    out = artifacts / "cues"
    out.mkdir(exist_ok=True)
    texts = set()
    for action in Action:
        cue = example_cue(action)
        view.set_cue(CueEntry(cue, CueStatus.SHOWN))
        pixels = grab_array(view)
        banner = pixels[: int(768 * 0.11)]
        amber = (np.abs(banner.astype(int) - AMBER).sum(axis=2) < 90).sum()
        assert amber > 400, f"{action}: the banner text is there in the cue colour"
        view.grab().save(str(out / f"cue-{action.value}-{language}.png"))
        if cue.is_motion:
            side = pixels[int(768 * 0.11) + 2 :]
            assert (np.abs(side.astype(int) - AMBER).sum(axis=2) < 90).sum() > 50, (
                f"{action}: the motion is drawn on the body marker"
            )
        texts.add(cue_text(cue))
    assert len(texts) == len(Action), "each cue says something different"
    if language == "zh_CN":
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts), texts
    view.set_cue(None)
    assert (np.abs(grab_array(view)[:80].astype(int) - AMBER).sum(axis=2) < 90).sum() == 0
    application("en")


def test_the_cue_goes_beside_the_image_when_there_is_room(qtbot, grey_banner_frame, artifacts):
    """Issue 15, item 7: on a wide window the station's cue hides none of the scanner's
    own text or depth scale; without room, the pictogram keeps to the bottom corner."""
    from ultrasound_consult.ui.guidance_view import cue_layout

    application("en")
    frame = DicomCineSource(grey_banner_frame).render(0)
    frame[:38] = 0  # as the privacy mask leaves it
    view = VideoView()
    qtbot.addWidget(view)
    view.resize(1358, 560)  # the station's image area at 1366x768 with the answer row
    view.set_frame(frame)
    view.show()
    qtbot.waitExposed(view)
    rect = view.image_rect().toAlignedRect()
    bare = grab_array(view)
    view.set_cue(CueEntry(example_cue(Action.SLIDE), CueStatus.SHOWN))
    shown = grab_array(view)
    view.grab().save(str(artifacts / "cues" / "cue-beside-the-image.png"))
    inside = (slice(rect.top(), rect.bottom()), slice(rect.left(), rect.right()))
    assert np.array_equal(shown[inside], bare[inside]), "no image pixel is covered"
    margin = shown[:, : rect.left()]
    assert (np.abs(margin.astype(int) - AMBER).sum(axis=2) < 90).sum() > 400, "words left"
    right = shown[:, rect.right() + 1 :]
    assert (np.abs(right.astype(int) - AMBER).sum(axis=2) < 90).sum() > 50, "pictogram right"
    # No room beside (a 4:3 window): a banner on top, the pictogram in the lower half.
    image = QRectF(0, 0, 800, 600)
    banner, picto, beside = cue_layout(image, QRectF(0, 0, 800, 600))
    assert not beside and banner.top() == 0 and picto.top() > 300 and image.contains(picto)
    view.set_cue(None)


def test_qt_overlay_and_opencv_renderer_draw_the_same_geometry(qtbot):
    """Both renderers, same annotations, same 1024x768 frame, labels off (fonts differ).

    Tolerance: antialiasing and sub-pixel pen widths differ by up to a pixel at every
    edge, and dash phases differ, so pixel-exact masks cannot match; instead at least
    95% of each renderer's pixels must lie within one pixel of the other's, and the
    inked areas must agree within 40% (dashed lines differ most: dash ends are round
    in Qt, square in OpenCV).
    """
    application("en")
    w, h = 1024, 768
    for kind in AnnotationKind:
        if kind is AnnotationKind.TEXT:
            continue
        a = ann(kind)
        img = QImage(w, h, QImage.Format_RGB888)
        img.fill(0)
        painter = QPainter(img)
        paint_overlays(painter, QRectF(0, 0, w, h), [a], labels=False)
        painter.end()
        qt = qimage_array(img)
        cv = render_annotations(np.zeros((h, w), np.uint8), [a], labels=False)
        colour = np.array([0xFF, 0xD4, 0x00])
        mq = np.abs(qt.astype(int) - colour).sum(axis=2) < 150
        mc = np.abs(cv.astype(int) - colour).sum(axis=2) < 150
        grow = np.ones((3, 3), np.uint8)
        near_q = cv2.dilate(mq.astype(np.uint8), grow).astype(bool)
        near_c = cv2.dilate(mc.astype(np.uint8), grow).astype(bool)
        assert (mc & near_q).sum() / mc.sum() >= 0.95, kind
        assert (mq & near_c).sum() / mq.sum() >= 0.95, kind
        assert 0.7 < mc.sum() / mq.sum() < 1.4, kind


def test_burned_in_labels_show_measurements(grey_banner_frame, artifacts):
    src = DicomCineSource(grey_banner_frame)
    frame = src.render(0)
    cal: Calibration = src.info.calibration
    caliper = ann(AnnotationKind.CALIPER)
    text = ann(AnnotationKind.TEXT, 2)
    out = render_annotations(frame, [caliper, text], calibration=cal)
    cv2.imwrite(str(artifacts / "burn-in.png"), cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
    assert out.shape == (768, 1024, 3)
    changed = np.abs(out.astype(int) - frame[..., None]).sum(axis=2) > 30
    assert changed.sum() > 2000, "lines and labels drawn"


def test_station_answers_a_cue_with_space_and_the_expert_sees_it(qtbot, consult, artifacts):
    station, expert = consult
    panel = expert.window.cue_panel
    qtbot.mouseClick(panel.motion_buttons[Action.ROTATE], Qt.LeftButton)
    assert panel.direction_buttons[Direction.CLOCKWISE].isChecked()
    assert not panel.direction_buttons[Direction.HEAD].isVisible()
    qtbot.mouseClick(panel.body, Qt.LeftButton, pos=panel.body.rect().center())
    assert panel.body.probe is not None
    qtbot.mouseClick(panel.send_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: station.window.active_cue is not None, timeout=10_000)
    assert station.window.active_cue.cue.action is Action.ROTATE
    assert station.window.answers.isVisible()
    station.window.grab().save(str(artifacts / "station-with-cue.png"))
    expert.window.grab().save(str(artifacts / "expert-cue-sent.png"))
    with qtbot.waitActive(station.window):
        station.window.activateWindow()
    qtbot.keyClick(station.window, Qt.Key_Space)
    qtbot.waitUntil(lambda: "done" in panel.status.text(), timeout=10_000)
    qtbot.waitUntil(lambda: not station.window.answers.isVisible(), timeout=5_000)
    # Where the expert looks (issue 15, item 6): on the image, and at the top of the
    # cue column, whatever the panel's scroll position.
    window = expert.window
    assert "done" in window.view.badge[0].lower()
    qtbot.waitUntil(lambda: window.view.frames_shown > 0)
    status_top = panel.status.mapTo(window, panel.status.rect().topLeft()).y()
    assert status_top < window.view.mapTo(window, window.view.rect().center()).y()
    assert panel.status.visibleRegion().boundingRect().height() == panel.status.height()
    expert.window.grab().save(str(artifacts / "expert-cue-answered.png"))


def test_send_cue_stays_put_and_the_wheel_turns_the_probe(qtbot, consult):
    """Issue 15, item 6: "Send cue" does not move with the cue type nor scroll away; the
    mouse wheel over the pictogram turns the probe's marker, not the panel."""
    _, expert = consult
    window = expert.window
    window.resize(1358, 690)
    panel = window.cue_panel
    places = set()
    for action in (Action.SLIDE, Action.ROCK, Action.ROTATE, Action.HOLD):
        qtbot.mouseClick(panel.motion_buttons[action], Qt.LeftButton)
        QApplication.processEvents()
        places.add(panel.send_button.mapTo(window, QPoint(0, 0)).toTuple())
        assert panel.send_button.visibleRegion().boundingRect().size() == panel.send_button.size()
    assert len(places) == 1, places
    scroll = window.cue_scroll.verticalScrollBar()
    scroll.setValue(scroll.maximum() // 2)
    before_marker = panel.body.marker_deg
    window.cue_scroll.ensureWidgetVisible(panel.body)
    before_scroll = scroll.value()
    centre = QPointF(panel.body.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(panel.body.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.NoButton,
        Qt.NoModifier,
        Qt.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(panel.body, event)
    assert panel.body.marker_deg == (before_marker + 15) % 360
    assert scroll.value() == before_scroll, "the panel did not scroll"


def test_caliper_tool_measures_on_both_screens(qtbot, consult, artifacts):
    station, expert = consult
    view = expert.window.view
    with qtbot.waitActive(expert.window):
        expert.window.activateWindow()
    qtbot.keyClick(expert.window, Qt.Key_C)
    assert view.tool == "caliper"
    qtbot.mousePress(view, Qt.LeftButton, pos=widget_point(view, 0.3, 0.3))
    qtbot.mouseMove(view, widget_point(view, 0.5, 0.4))
    qtbot.mouseMove(view, widget_point(view, 0.7, 0.5))
    qtbot.mouseRelease(view, Qt.LeftButton, pos=widget_point(view, 0.7, 0.5))
    qtbot.waitUntil(lambda: len(station.window.view._annotations) == 1, timeout=10_000)
    (caliper,) = station.window.view._annotations
    assert caliper.kind is AnnotationKind.CALIPER
    # The phantom is calibrated; both sides hold the same scale.
    assert station.window.view.calibration == expert.window.view.calibration is not None
    assert "mm/px" in station.window.scale_label.text()
    station.window.grab().save(str(artifacts / "station-caliper.png"))


AMBER_MARK = np.array([0xFF, 0xD4, 0x00])  # the default mark colour


def test_freeze_draw_and_send_a_frame(qtbot, consult, artifacts, tmp_path):
    station, expert = consult
    window = expert.window
    live = window.view
    window.add_mark(0.7, 0.7)  # a live mark on screen when freezing (issue 15, item 3)
    qtbot.waitUntil(lambda: len(station.window.view._annotations) == 1, timeout=10_000)
    qtbot.waitUntil(lambda: not expert.call.collab.pending_annotation_ids(), timeout=10_000)
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.keyClick(window, Qt.Key_F)
    assert window.frozen is not None and window.palette_.send_button.isEnabled()
    assert [a.points for a in live._annotations] == [((0.7, 0.7),)], "live mark kept frozen"
    frozen_tag = window.view._tag
    qtbot.wait(200)  # frames keep arriving; the frozen view must not move
    assert window.view._tag == frozen_tag
    view = window.view
    qtbot.mouseClick(view, Qt.LeftButton, pos=widget_point(view, 0.4, 0.4))
    assert len(window.drafts) == 1, "drawn on the frozen frame, kept here until sent"
    assert len(live._annotations) == 2, "the live mark and the draft, both on the frozen frame"
    assert len(station.window.view._annotations) == 1, "the draft did not reach the live image"
    qtbot.keyClick(window, Qt.Key_Return)
    panel = station.window.snapshot_panel
    qtbot.waitUntil(panel.isVisible, timeout=10_000)
    (snap,) = panel.snapshots
    assert snap.header.author == "Dr. Wang" and len(snap.header.annotations) == 2
    assert snap.image.shape[:2] == (480, 640)
    assert window.frozen is None, "sending unfreezes"
    station.window.grab().save(str(artifacts / "station-snapshot.png"))
    # The station keeps it (issue 15, item 15): saved with its marks, and larger.
    out = tmp_path / "kept.png"
    assert panel.save_to(out) and out.is_file() and "kept.png" in panel.saved.text()
    kept = cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2RGB)
    assert kept.shape[:2] == (480, 640)
    assert (np.abs(kept.astype(int) - AMBER_MARK).sum(axis=2) < 60).sum() > 20, "marks drawn in"
    assert not panel.save_to(tmp_path / "no-such-folder" / "x.png")
    assert "Choose another folder" in panel.saved.text()
    viewer = panel.enlarge()
    qtbot.addWidget(viewer)
    assert viewer.isVisible() and viewer.view.frame_size == (640, 480)
    assert viewer.width() > panel.width() * 2
    viewer.close()


def test_a_long_stroke_is_drawn_a_piece_per_frame_and_ends_whole(qtbot, monkeypatch):
    """A 10,000-point stroke must not hold up a frame: the layer takes it in pieces,
    and the pieces add up to the stroke drawn whole."""
    import ultrasound_consult.ui.video_view as vv
    from ultrasound_consult.protocol.annotation import Annotation

    pts = tuple((0.5 + 0.4 * np.cos(i / 300), 0.5 + 0.4 * np.sin(i / 170)) for i in range(10_000))
    stroke = Annotation("s", AnnotationKind.STROKE, pts, "Dr")

    def view_with_stroke() -> VideoView:
        view = VideoView()
        qtbot.addWidget(view)
        view.resize(800, 600)
        view.set_frame(np.zeros((600, 800), np.uint8))
        view.set_annotations((stroke,))
        return view

    view = view_with_stroke()
    view.grab()
    ((first, _),) = view._layer_items
    assert len(first.points) == vv.LAYER_POINTS_PER_PAINT, "one piece per paint"
    for _ in range(20):
        view.grab()
    assert view._layer_items == ((stroke, False),)
    pieces = grab_array(view)
    monkeypatch.setattr(vv, "LAYER_POINTS_PER_PAINT", 10**6)
    whole = grab_array(view_with_stroke())
    differ = (np.abs(pieces.astype(int) - whole.astype(int)).sum(axis=2) > 60).mean()
    # Where the stroke crosses itself, a later piece's dark outline lies over an earlier
    # piece (drawn whole, all outlines go under all colour): a few crossings' worth.
    assert differ < 0.01, f"{differ:.2%} of pixels differ from the stroke drawn whole"
